import json
from datetime import date

import pytest

from pandi.audit.models import AuditEntry
from pandi.land.models import ConstructionFacts, Parcel

pytestmark = pytest.mark.django_db


def test_parcel_list_is_scoped_and_paged(login, world):
    data = login(world.users["town_a"]).get("/api/land/parcels").json()
    assert data["count"] == 1 and [p["code"] for p in data["items"]] == ["A-001"]
    lead = login(world.users["lead"]).get("/api/land/parcels?limit=1").json()
    assert lead["count"] == 2 and len(lead["items"]) == 1


def test_parcel_list_filters_like_the_page(login, world):
    client = login(world.users["lead"])
    assert client.get(f"/api/land/parcels?township={world.township_b.pk}").json()["count"] == 1
    assert client.get("/api/land/parcels?state=overdue").json()["count"] == 2
    assert client.get("/api/land/parcels?q=乙公司").json()["items"][0]["code"] == "B-001"
    assert client.get("/api/land/parcels?area_min_mu=70").json()["count"] == 0  # each is about 64.6 亩


def test_enterprise_user_sees_only_parcels_it_holds(login, world):
    data = login(world.users["ent_a"]).get("/api/land/parcels").json()
    assert [p["code"] for p in data["items"]] == ["A-001"]
    assert login(world.users["ent_a"]).get(f"/api/land/parcels/{world.parcel_b.pk}").status_code == 404


def test_geojson_by_bbox(login, world):
    client = login(world.users["lead"])
    fc = client.get("/api/land/parcels.geojson?bbox=119.70,29.10,119.715,29.12").json()
    assert [f["properties"]["code"] for f in fc["features"]] == ["A-001"]
    assert fc["features"][0]["geometry"]["type"] == "Polygon" and fc["truncated"] is False
    assert client.get("/api/land/parcels.geojson?bbox=nonsense").status_code == 422
    town_b = login(world.users["town_b"]).get("/api/land/parcels.geojson?bbox=119.6,29.0,119.8,29.2").json()
    assert [f["properties"]["code"] for f in town_b["features"]] == ["B-001"]


def test_parcel_detail_has_everything(login, world):
    d = login(world.users["town_a"]).get(f"/api/land/parcels/{world.parcel_a.pk}").json()
    assert d["holdings"][0]["enterprise"] == "甲公司"
    assert d["contracts"][0]["agreed_start"] == "2019-07-10"
    assert d["construction"] is None and d["geometry"]["type"] == "Polygon"
    assert d["state"] == "overdue" and d["state_label"] == "已供地·逾期未开工"


def test_construction_patch_is_audited_as_api_and_moves_the_state(login, world):
    client = login(world.users["town_a"])
    response = client.patch(f"/api/land/parcels/{world.parcel_a.pk}/construction",
                            json.dumps({"permit_no": "3307032021001", "actual_start": "2021-03-01"}),
                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert ConstructionFacts.objects.get(parcel=world.parcel_a).actual_start == date(2021, 3, 1)
    assert Parcel.objects.get(pk=world.parcel_a.pk).state == "under_construction"
    entry = AuditEntry.objects.filter(content_type__model="constructionfacts").latest("id")
    assert entry.source == "api" and entry.actor == world.users["town_a"]


def test_construction_patch_refuses_other_township_and_bad_data(login, world):
    client = login(world.users["town_a"])
    assert client.patch(f"/api/land/parcels/{world.parcel_b.pk}/construction", "{}",
                        content_type="application/json").status_code == 404
    bad = client.patch(f"/api/land/parcels/{world.parcel_a.pk}/construction",
                       json.dumps({"actual_start": "2021-03-01", "actual_completion": "2020-01-01"}),
                       content_type="application/json")
    assert bad.status_code == 422
    assert not ConstructionFacts.objects.filter(parcel=world.parcel_a).exists()


def test_import_through_the_api_defaults_to_dry_run(login, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.users["nr"])
    data = "宗地编号,土地使用权人,面积(平方米),土地用途\nAPI-1,甲公司,1000,工业用地\n".encode()
    response = client.post("/api/land/imports", {"kind": "supplies", "file": SimpleUploadedFile("a.csv", data)})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dry_run"
    assert not Parcel.objects.filter(code="API-1").exists()
    bad_kind = client.post("/api/land/imports", {"kind": "x", "file": SimpleUploadedFile("a.csv", data)})
    assert bad_kind.status_code == 422


def test_api_lists_are_query_bounded(login, world, django_assert_max_num_queries):
    client = login(world.users["lead"])
    with django_assert_max_num_queries(8):
        assert client.get("/api/land/parcels").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/land/enterprises").status_code == 200

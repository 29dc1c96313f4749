"""Screening on the registry's map (layer switch, inventory overlay) and on the parcel page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.screening_world import accepted, screened

pytestmark = pytest.mark.django_db

BBOX = "119.69,29.09,119.75,29.13"


def test_map_layer_screening_colours_by_the_latest_run(world, login):
    screened(world)
    client = login(world.users["lead"])
    data = client.get(reverse("api:map_parcels"), {"bbox": BBOX, "zoom": 16, "layer": "screening"}).json()
    states = {f["properties"]["key"]: f["properties"]["state"] for f in data["features"]}
    assert states == {"A-001": "idle_not_started", "B-001": "idle_not_started"}
    assert data["layer"]["name"] == "screening"
    clusters = client.get(reverse("api:map_parcels"), {"bbox": BBOX, "zoom": 11, "layer": "screening"}).json()
    assert sum(c["states"].get("idle_not_started", 0) for c in clusters["clusters"]) == 2
    plain = client.get(reverse("api:map_parcels"), {"bbox": BBOX, "zoom": 16}).json()
    assert {f["properties"]["state"] for f in plain["features"]} == {"overdue"}


def test_map_layer_is_scoped_and_rejects_unknown_layers(world, login):
    screened(world)
    client = login(world.users["town_a"])
    data = client.get(reverse("api:map_parcels"), {"bbox": BBOX, "zoom": 16, "layer": "screening"}).json()
    assert [f["properties"]["key"] for f in data["features"]] == ["A-001"]
    assert client.get(reverse("api:map_parcels"), {"bbox": BBOX, "zoom": 16, "layer": "x"}).status_code == 422


def test_inventory_overlay_has_numbers_and_is_scoped(world, login):
    ns = accepted(world)
    lead = login(world.users["lead"]).get(reverse("api:map_inventory")).json()
    numbers = {f["properties"]["number"] for f in lead["features"]}
    assert {ns.entry_a.number, ns.block_a.number, ns.entry_b.number, ns.block_b.number} <= numbers
    town = login(world.users["town_a"]).get(reverse("api:map_inventory")).json()
    assert {f["properties"]["township"] for f in town["features"]} == {"多湖街道"}
    ent = login(world.users["ent_a"]).get(reverse("api:map_inventory")).json()
    assert ent["features"] == []


def test_map_page_offers_the_layers_to_internal_users_only(world, login):
    screened(world)
    page = login(world.users["town_a"]).get(reverse("land:map"), {"layer": "screening", "inventory": "1"})
    html = page.content.decode()
    assert 'data-testid="map-layer"' in html and "按筛查状态着色" in html
    assert 'data-testid="map-inventory"' in html
    ent = login(world.users["ent_a"]).get(reverse("land:map")).content.decode()
    assert 'data-testid="map-layer"' not in ent and 'data-testid="map-inventory"' not in ent


def test_parcel_page_shows_screening_status_basis_and_inventory_entries(world, login):
    ns = accepted(world)
    html = login(world.users["town_a"]).get(reverse("land:parcel_detail", args=[world.parcel_a.pk])).content.decode()
    assert 'data-testid="section-screening"' in html
    assert "超过约定动工日期满一年未动工" in html
    assert "第十四条" in html  # the idle-fee article in the basis
    assert ns.entry_a.number in html and ns.block_a.number in html
    assert "排摸筛查（判断日期 2021-04-30）" in html  # on the timeline


def test_enterprise_user_does_not_see_screening_on_the_parcel_page(world, login):
    accepted(world)
    html = login(world.users["ent_a"]).get(reverse("land:parcel_detail", args=[world.parcel_a.pk])).content.decode()
    assert 'data-testid="section-screening"' not in html
    assert "清单编号" not in html


def test_map_layer_rectification_colours_by_the_plan_state(world, login):
    from tests.rectification_world import drafted

    drafted(world)  # 甲公司's draft plan for A-001
    client = login(world.users["town_a"])
    data = client.get(reverse("api:map_parcels"), {"bbox": BBOX, "zoom": 16, "layer": "rectification"}).json()
    assert {f["properties"]["key"]: f["properties"]["state"] for f in data["features"]} == {"A-001": "draft"}
    lead = login(world.users["lead"]).get(reverse("api:map_parcels"),
                                          {"bbox": BBOX, "zoom": 16, "layer": "rectification"}).json()
    assert {f["properties"]["key"]: f["properties"]["state"] for f in lead["features"]} == {
        "A-001": "draft", "B-001": "none"}
    html = login(world.users["town_a"]).get(reverse("land:map"), {"layer": "rectification"}).content.decode()
    assert '<option value="rectification" selected>按整改状态着色</option>' in html

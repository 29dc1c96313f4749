"""Map data (/api/map/…): scoped like the pages, from the indexed bounding-box columns, polygons
only when zoomed in (capped), a grid of counts by state when zoomed out, a constant number of queries."""

from __future__ import annotations

import json
from itertools import cycle

import pytest
from django.urls import reverse

from pandi.domain.geo import bbox, ground_area_m2, representative_point, simplified
from pandi.land.models import Holding, Parcel
from pandi.land.selectors import FEATURE_MIN_ZOOM, map_parcels

from ..conftest import square

pytestmark = pytest.mark.django_db

STATES = ["overdue", "not_due", "under_construction", "completed", "no_supply", "unknown"]
A_BOX = "119.70,29.10,119.72,29.12"
BOTH_BOX = "119.70,29.10,119.74,29.12"


def bulk_parcels(township, n: int, *, lon0: float, lat0: float = 29.1005, enterprise=None, prefix: str = "X",
                 side: float = 0.0006, per_row: int = 20, states=None) -> list[Parcel]:
    """`n` small square parcels in a grid from (lon0, lat0), written in bulk (read-side tests only:
    the services are exercised elsewhere). States cycle through `states`."""
    states = cycle(states or STATES)
    area = ground_area_m2(square(lon0, lat0, side))
    rows = []
    for i in range(n):
        lon = lon0 + (i % per_row) * side * 1.25
        lat = lat0 + (i // per_row) * side * 1.25
        geometry = square(lon, lat, side)
        min_lon, min_lat, max_lon, max_lat = bbox(geometry)
        c_lon, c_lat = representative_point(geometry)
        rows.append(Parcel(
            code=f"{prefix}-{i:04d}", name=f"{prefix}地块{i}", township=township, geometry=geometry,
            geometry_simple=simplified(geometry), min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat,
            centroid_lon=c_lon, centroid_lat=c_lat, area_m2=area, area_source="geometry", state=next(states),
            supply_year=2015 + i % 5, holder_names=enterprise.name if enterprise else "",
        ))
    created = Parcel.objects.bulk_create(rows)
    if enterprise is not None:
        Holding.objects.bulk_create([Holding(parcel=p, enterprise=enterprise) for p in created])
    return created


def get(client, name: str, **params):
    response = client.get(reverse(name), params)
    return response, (json.loads(response.content) if response["Content-Type"].startswith("application/json")
                      else None)


def keys(data) -> set[str]:
    return {f["properties"]["key"] for f in data["features"]}


# --- scope ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "expected"), [
    ("lead", {"A-001", "B-001"}),
    ("sup", {"A-001", "B-001"}),
    ("town_a", {"A-001"}),
    ("town_b", {"B-001"}),
    ("ent_a", {"A-001"}),
    ("ent_b", {"B-001"}),
])
def test_map_parcels_returns_only_the_users_parcels(login, world, username, expected):
    client = login(world.users[username])
    response, data = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=16)
    assert response.status_code == 200
    assert data["mode"] == "features" and keys(data) == expected
    assert data["truncated"] is False


def test_township_filter_cannot_widen_the_scope(login, world):
    client = login(world.users["town_a"])
    _, data = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=16, township=world.township_b.pk)
    assert data["features"] == []
    _, clusters = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=10, township=world.township_b.pk)
    assert clusters["count"] == 0


def test_feature_carries_what_the_card_shows(login, world):
    client = login(world.users["lead"])
    _, data = get(client, "api:map_parcels", bbox=A_BOX, zoom=17)
    [feature] = data["features"]
    props = feature["properties"]
    assert props["id"] == world.parcel_a.pk and props["key"] == "A-001" and props["name"] == "甲公司厂区"
    assert props["holder"] == "甲公司" and props["state"] == "overdue"
    assert props["area_mu"] == pytest.approx(float(world.parcel_a.area_m2) * 15 / 10000, abs=0.01)
    assert feature["geometry"]["type"] == "Polygon"


def test_bounding_box_keeps_parcels_outside_the_view_out(login, world):
    client = login(world.users["lead"])
    _, data = get(client, "api:map_parcels", bbox="119.7001,29.1001,119.7040,29.1040", zoom=16)
    assert keys(data) == set()  # A-001 starts at 119.705
    _, data = get(client, "api:map_parcels", bbox="119.7060,29.1060,119.7065,29.1065", zoom=18)
    assert keys(data) == {"A-001"}  # a view inside the parcel still shows it


def test_state_filter_takes_one_or_several_states(login, world):
    bulk_parcels(world.township_a, 12, lon0=119.701)
    client = login(world.users["lead"])
    _, data = get(client, "api:map_parcels", bbox=A_BOX, zoom=16, state="completed")
    assert data["count"] == 2 and {f["properties"]["state"] for f in data["features"]} == {"completed"}
    _, data = get(client, "api:map_parcels", bbox=A_BOX, zoom=16, state="completed,overdue")
    assert data["count"] == 5  # 2 + 2 bulk overdue + A-001


# --- cap and aggregation ----------------------------------------------------------------------

def test_polygons_are_capped_and_say_so(world):
    bulk_parcels(world.township_a, 30, lon0=119.701)
    data = map_parcels(user=world.users["lead"], bbox=(119.70, 29.10, 119.72, 29.12), zoom=17, cap=10)
    assert data["truncated"] is True and data["count"] == 10 and len(data["features"]) == 10
    data = map_parcels(user=world.users["lead"], bbox=(119.70, 29.10, 119.72, 29.12), zoom=16, cap=100)
    assert data["truncated"] is False and data["count"] == 31


def test_a_dense_view_at_zoom_15_or_16_is_counted_not_truncated(world):
    bulk_parcels(world.township_a, 30, lon0=119.701)
    data = map_parcels(user=world.users["lead"], bbox=(119.70, 29.10, 119.72, 29.12), zoom=16, cap=10)
    assert data["mode"] == "clusters" and data["dense"] is True and data["count"] == 31


def test_below_zoom_15_parcels_are_counted_in_a_grid_with_their_states(login, world):
    bulk_parcels(world.township_a, 60, lon0=119.701)
    client = login(world.users["lead"])
    _, data = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=FEATURE_MIN_ZOOM - 3)
    assert data["mode"] == "clusters" and "features" not in data
    clusters = data["clusters"]
    assert data["count"] == 62 == sum(c["count"] for c in clusters)
    assert len(clusters) < 62  # aggregated, not one point per parcel
    for c in clusters:
        assert sum(c["states"].values()) == c["count"]
        assert "geometry" not in c
        lon0, lat0, lon1, lat1 = c["bbox"]
        assert lon0 <= c["lon"] <= lon1 and lat0 <= c["lat"] <= lat1
    totals: dict[str, int] = {}
    for c in clusters:
        for state, n in c["states"].items():
            totals[state] = totals.get(state, 0) + n
    assert totals["overdue"] == 10 + 2  # 60 cycle through 6 states, plus A-001 and B-001
    assert totals["completed"] == 10


def test_grid_is_finer_when_zoomed_in(login, world):
    bulk_parcels(world.township_a, 60, lon0=119.701)
    client = login(world.users["lead"])
    _, coarse = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=9)
    _, fine = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=14)
    assert len(coarse["clusters"]) <= 2 < len(fine["clusters"])
    assert coarse["count"] == fine["count"] == 62


def test_clusters_of_an_enterprise_user_count_each_parcel_once(login, world):
    from pandi.land import services as land

    land.holding_add(user=None, check=False, parcel=world.parcel_a, enterprise=world.enterprise_a, role="lessee")
    client = login(world.users["ent_a"])
    _, data = get(client, "api:map_parcels", bbox=BOTH_BOX, zoom=10)
    assert data["count"] == 1 and data["clusters"][0]["id"] == world.parcel_a.pk


def test_without_a_bounding_box_only_counts_come_back(login, world):
    client = login(world.users["lead"])
    response, data = get(client, "api:map_parcels")
    assert response.status_code == 200 and data["mode"] == "clusters" and data["count"] == 2


def test_a_malformed_bounding_box_is_refused_in_chinese(login, world):
    client = login(world.users["lead"])
    response, data = get(client, "api:map_parcels", bbox="119.7,29.1,abc")
    assert response.status_code == 422
    assert "bbox 须为四个数字" in json.dumps(data, ensure_ascii=False)
    response, _ = get(client, "api:map_parcels", bbox="119.8,29.1,119.7,29.2")
    assert response.status_code == 422


@pytest.mark.parametrize("zoom", [12, 16])
def test_map_data_takes_a_constant_number_of_queries(login, world, django_assert_max_num_queries, zoom):
    bulk_parcels(world.township_a, 80, lon0=119.701, enterprise=world.enterprise_a)
    for username in ("lead", "town_a", "ent_a"):
        client = login(world.users[username])
        get(client, "api:map_parcels", bbox=A_BOX, zoom=zoom)  # warm the session
        with django_assert_max_num_queries(5):  # session, user, memberships, count, rows
            response, data = get(client, "api:map_parcels", bbox=A_BOX, zoom=zoom)
        assert response.status_code == 200 and data["count"] == 81


# --- townships and search ----------------------------------------------------------------------

@pytest.mark.parametrize(("username", "expected"), [
    ("lead", ["多湖街道", "东孝街道"]), ("town_a", ["多湖街道"]), ("town_b", ["东孝街道"]), ("ent_a", []),
])
def test_township_boundaries_are_scoped(login, world, username, expected):
    client = login(world.users[username])
    _, data = get(client, "api:map_townships")
    assert sorted(f["properties"]["name"] for f in data["features"]) == sorted(expected)
    for f in data["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_search_by_code_and_holder_returns_bounding_boxes(login, world):
    client = login(world.users["lead"])
    _, data = get(client, "api:map_search", q="a-001")
    [hit] = data["results"]
    assert hit["id"] == world.parcel_a.pk and hit["township"] == "多湖街道" and hit["holder"] == "甲公司"
    assert hit["bbox"] == pytest.approx([119.705, 29.105, 119.707, 29.107])
    _, data = get(client, "api:map_search", q="乙公司")
    assert [r["key"] for r in data["results"]] == ["B-001"]
    _, data = get(client, "api:map_search", q="330721A001")  # the 电子监管号 of its supply contract
    assert [r["key"] for r in data["results"]] == ["A-001"]
    _, data = get(client, "api:map_search", q="")
    assert data["results"] == []


def test_search_is_scoped(login, world):
    client = login(world.users["town_a"])
    _, data = get(client, "api:map_search", q="B-001")
    assert data["results"] == []
    _, data = get(client, "api:map_search", q="公司")
    assert [r["key"] for r in data["results"]] == ["A-001"]


def test_map_api_needs_a_signed_in_user(client, world):
    response = client.get(reverse("api:map_parcels"), {"bbox": BOTH_BOX, "zoom": 16})
    assert response.status_code == 401

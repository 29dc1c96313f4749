"""The map in a real browser: parcels drawn by state, a card per parcel, the parcel page, scope."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.conftest import square

from .conftest import save_screenshot

pytestmark = [pytest.mark.e2e]

CANVAS = "[data-testid=map-canvas]"
PARCEL_PATHS = f"{CANVAS} .leaflet-overlay-pane path.leaflet-interactive"


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def map_world(e2e_world):
    """The test world plus a street of parcels in each township and two buildings on A-001."""
    from pandi.land import services as land
    from tests.web.test_map_api import bulk_parcels

    w = e2e_world
    bulk_parcels(w.township_a, 40, lon0=119.7015, lat0=29.1105, enterprise=w.enterprise_a, prefix="DH", per_row=10)
    bulk_parcels(w.township_b, 40, lon0=119.7265, lat0=29.1105, enterprise=w.enterprise_b, prefix="DX", per_row=10)
    land.building_create(user=None, check=False, parcel=w.parcel_a, geometry=square(119.7055, 29.1055, 0.0004),
                         data={"floor_area_m2": Decimal("3000"), "storeys": 2})
    land.building_create(user=None, check=False, parcel=w.parcel_a, geometry=square(119.7062, 29.1062, 0.0003),
                         data={"floor_area_m2": Decimal("900"), "storeys": 1})
    return w


def _open_map(page, base: str) -> None:
    page.goto(f"{base}/land/map/")
    page.wait_for_selector(f"{CANVAS}[data-mode]")
    page.wait_for_function("document.querySelector('[data-testid=map-canvas]').dataset.loading === undefined")
    page.wait_for_selector(f"{CANVAS} .pd-map-township-label")


def test_district_lead_sees_parcels_clicks_one_and_reaches_its_page(page, live_server, map_world, login):
    expect = _expect()
    base = live_server.url
    login("lead")
    _open_map(page, base)
    canvas = page.locator(CANVAS)
    assert canvas.get_attribute("data-mode") == "features"
    assert canvas.get_attribute("data-count") == "82"
    assert canvas.get_attribute("data-townships") == "2"
    paths = page.locator(PARCEL_PATHS)
    expect(paths).to_have_count(82)
    expect(page.locator("[data-testid=map-legend]")).to_contain_text("已供地·逾期未开工")
    expect(page.locator("[data-testid=map-status]")).to_contain_text("视野内 82 宗")
    # no tiles at all with PANDI_BASEMAP=none, and nothing from outside the server
    assert page.locator(f"{CANVAS} img.leaflet-tile").count() == 0
    assert "pd-map-nobasemap" in (canvas.get_attribute("class") or "")
    save_screenshot(page, "map-lead-parcels")

    # click a parcel on the map -> its card
    card = page.locator("[data-testid=map-card]")
    page.locator(PARCEL_PATHS).nth(1).click()
    expect(card).to_be_visible()
    expect(card).to_contain_text("B-001")
    expect(card).to_contain_text("乙公司")
    expect(card).to_contain_text("亩")
    page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    save_screenshot(page, "map-card")
    page.evaluate("document.querySelector('[data-testid=map]').pandiMap.closePopup()")

    # search by code: one match -> zoom to it and open its card -> its page
    page.fill("[data-testid=map-search]", "A-001")
    page.press("[data-testid=map-search]", "Enter")
    expect(card).to_be_visible()
    expect(card).to_contain_text("A-001")
    expect(card).to_contain_text("甲公司")
    expect(card).to_contain_text("已供地·逾期未开工")
    with page.expect_navigation():
        card.locator("[data-testid=map-card-link]").click()
    expect(page).to_have_url(re.compile(rf"/land/parcels/{map_world.parcel_a.pk}/$"))
    expect(page.locator("[data-testid=parcel-title]")).to_contain_text("A-001")


def test_parcel_page_draws_the_parcel_and_its_buildings(page, live_server, map_world, login):
    expect = _expect()
    login("lead")
    page.goto(f"{live_server.url}/land/parcels/{map_world.parcel_a.pk}/")
    small = page.locator("[data-testid=parcel-map]")
    expect(small.locator(".leaflet-overlay-pane path")).to_have_count(3)  # the parcel and two buildings
    expect(page.locator("[data-testid=section-timeline]")).to_contain_text("签订出让合同")
    expect(page.locator("[data-testid=building-count]")).to_have_text("2")
    save_screenshot(page, "parcel-page")

    # "在全区地图中查看" opens the full map on this parcel, with its card
    page.click("[data-testid=parcel-on-map]")
    card = page.locator("[data-testid=map-card]")
    expect(card).to_be_visible()
    expect(card).to_contain_text("A-001")


def test_zoomed_out_the_map_shows_counts_by_state(page, live_server, map_world, login):
    expect = _expect()
    login("lead")
    _open_map(page, live_server.url)
    page.evaluate("document.querySelector('[data-testid=map]').pandiMap.setZoom(13)")
    page.wait_for_selector(f"{CANVAS}[data-mode=clusters]")
    clusters = page.locator(f"{CANVAS} .pd-map-cluster")
    expect(clusters.first).to_be_visible()
    expect(page.locator("[data-testid=map-status]")).to_contain_text("聚合显示")
    total = page.evaluate("""() => [...document.querySelectorAll('[data-testid=map-canvas] .pd-map-cluster span')]
                                   .reduce((n, s) => n + Number(s.textContent), 0)""")
    singles = page.locator(f"{CANVAS} .leaflet-overlay-pane path.leaflet-interactive").count()
    assert total + singles == 82
    save_screenshot(page, "map-lead-clusters")


def test_township_officer_map_shows_only_their_township(page, live_server, map_world, login):
    expect = _expect()
    responses = []
    page.on("response", lambda r: responses.append(r) if "/api/map/" in r.url else None)
    login("town_a")
    _open_map(page, live_server.url)
    canvas = page.locator(CANVAS)
    assert canvas.get_attribute("data-townships") == "1"
    expect(page.locator(f"{CANVAS} .pd-map-township-label")).to_have_text(["多湖街道"])
    expect(page.locator(PARCEL_PATHS)).to_have_count(41)
    body = page.locator("body").inner_text()
    assert "东孝街道" not in body and "乙公司" not in body
    payloads = " ".join(r.text() for r in responses if r.ok)
    assert "DX-" not in payloads and "B-001" not in payloads and "东孝街道" not in payloads
    save_screenshot(page, "map-town-a")

    # the state filter narrows what is drawn
    page.select_option("[data-testid=map-state]", "completed")
    expect(page.locator(PARCEL_PATHS)).to_have_count(7)  # 40 cycle through 6 states: 7 completed
    assert "state=completed" in page.url

"""CRS detection from coordinate ranges, declared CRSs (.prj, GeoJSON crs) and transformations."""

import numpy as np
import pytest
import shapely
from pyproj import CRS

from pandi.domain import crs as c

# A parcel-sized box near 119.65E 29.10N in each system (x = lon/easting, y = lat/northing).
LONLAT = (119.650, 29.100, 119.651, 29.101)
PLAIN = (465929.0, 3220403.0, 466026.0, 3220514.0)  # EPSG:4549
PREFIXED = (40465929.0, 3220403.0, 40466026.0, 3220514.0)  # EPSG:4528


def swapped(b):
    return (b[1], b[0], b[3], b[2])


@pytest.mark.parametrize(("bounds", "epsg", "is_swapped"), [
    (LONLAT, 4490, False),  # CGCS2000 and WGS84 lon/lat look the same: read as 4490
    (swapped(LONLAT), 4490, True),
    (PLAIN, 4549, False),
    (swapped(PLAIN), 4549, True),
    (PREFIXED, 4528, False),
    (swapped(PREFIXED), 4528, True),
    ((39465000.0, 3220000.0, 39466000.0, 3221000.0), 4527, False),  # 3° zone 39
    ((20760000.0, 3220000.0, 20761000.0, 3221000.0), 4498, False),  # 6° zone 20
    ((760000.0, 3220000.0, 761000.0, 3221000.0), None, False),  # 6° or UTM without prefix: not guessed
    ((1.0, 2.0, 3.0, 4.0), None, False),
    ((40465929.0, 3220403.0, 41100000.0, 3220514.0), None, False),  # crosses a zone: not one system
])
def test_detection_table(bounds, epsg, is_swapped):
    assert c.detect(*bounds) == c.Detected(epsg, is_swapped)


def test_epsg_arithmetic_matches_the_registry():
    assert CRS.from_epsg(c.epsg_3deg_cm(120)).name == "CGCS2000 / 3-degree Gauss-Kruger CM 120E"
    assert CRS.from_epsg(c.epsg_3deg_zone(40)).name == "CGCS2000 / 3-degree Gauss-Kruger zone 40"
    assert CRS.from_epsg(c.epsg_6deg_zone(20)).name == "CGCS2000 / Gauss-Kruger zone 20"


@pytest.mark.parametrize(("declared", "epsg"), [
    ("EPSG:4490", 4490),
    ("EPSG:4326", 4326),
    ("urn:ogc:def:crs:EPSG::4528", 4528),
    ("4549", 4549),
    ({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, 4326),
    (CRS.from_epsg(4549).to_wkt("WKT1_ESRI").encode(), 4549),  # an ArcGIS .prj
    (CRS.from_epsg(4490).to_wkt("WKT1_ESRI").encode(), 4490),
    (CRS.from_epsg(4528).to_wkt("WKT1_ESRI"), 4528),
])
def test_declared_crs_is_read(declared, epsg):
    assert c.epsg_of(c.parse_crs(declared)) == epsg


@pytest.mark.parametrize("junk", [None, "", "not a crs", {"type": "name", "properties": {}}])
def test_unreadable_declarations_are_none(junk):
    assert c.parse_crs(junk) is None


def test_wgs84_and_cgcs2000_lonlat_need_no_transformation():
    assert c.is_lonlat_equivalent(CRS.from_epsg(4490)) and c.is_lonlat_equivalent(CRS.from_epsg(4326))
    assert not c.is_lonlat_equivalent(CRS.from_epsg(4214))  # Beijing 1954 is not
    assert not c.is_lonlat_equivalent(CRS.from_epsg(4549))


def test_point_to_gauss_kruger_and_back_within_a_centimetre():
    lon, lat = 119.65, 29.10
    x, y = c.from_lonlat_xy(lon, lat, "EPSG:4549")
    assert float(x) == pytest.approx(465929.146, abs=0.01)
    assert float(y) == pytest.approx(3220403.593, abs=0.01)
    x40, y40 = c.from_lonlat_xy(lon, lat, "EPSG:4528")
    assert float(x40) == pytest.approx(40_000_000 + float(x), abs=1e-6) and float(y40) == pytest.approx(float(y))
    for epsg, (px, py) in ((4549, (x, y)), (4528, (x40, y40))):
        back_lon, back_lat = c.to_lonlat_xy(px, py, CRS.from_epsg(epsg))
        # 1e-7° ≈ 1 cm; check in metres on the ground
        bx, by = c.from_lonlat_xy(back_lon, back_lat, "EPSG:4549")
        assert abs(float(bx) - float(x)) < 0.01 and abs(float(by) - float(y)) < 0.01
        assert float(back_lon) == pytest.approx(lon, abs=1e-9) and float(back_lat) == pytest.approx(lat, abs=1e-9)


def test_central_meridian_point_has_false_easting_and_meridian_arc():
    # on the central meridian x = 500 000 m; at 30°N the CGCS2000 meridian arc is 3 320 113.40 m
    x, y = c.from_lonlat_xy(120.0, 30.0, "EPSG:4549")
    assert float(x) == pytest.approx(500000.0, abs=1e-6)
    assert float(y) == pytest.approx(3320113.40, abs=0.01)


def test_geometries_transform_in_one_call_and_keep_their_area():
    ground = shapely.box(465929.0, 3220403.0, 466029.0, 3220483.0)  # 100 m × 80 m
    prefixed = shapely.transform(ground, lambda xy: xy + np.array([40_000_000.0, 0.0]))
    lonlat = c.geoms_to_lonlat(np.array([prefixed, prefixed]), CRS.from_epsg(4528))
    assert lonlat[0].bounds[0] == pytest.approx(119.65, abs=1e-5)
    back = c.geoms_from_lonlat(lonlat[0], "EPSG:4549")
    assert back.area == pytest.approx(8000, rel=1e-9)


def test_resolve_detects_from_ranges_and_flags_swapped_and_foreign_features():
    bounds = np.array([PREFIXED, PREFIXED, swapped(PREFIXED), LONLAT, [np.nan] * 4])
    res = c.resolve(bounds)
    assert res.label == "EPSG:4528（由坐标范围判断）"
    assert res.status.tolist() == [c.OK, c.OK, c.SWAPPED, c.MISMATCH, c.MISMATCH]


def test_resolve_trusts_a_declaration_that_fits():
    res = c.resolve(np.array([PLAIN]), declared=CRS.from_epsg(4549))
    assert res.label == "EPSG:4549（文件声明）" and not res.notes


def test_resolve_overrides_a_declaration_contradicted_by_the_numbers():
    res = c.resolve(np.array([PREFIXED]), declared=CRS.from_epsg(4549))
    assert res.label == "EPSG:4528（由坐标范围判断）"
    assert "与坐标数值不符" in res.notes[0]


def test_resolve_names_swapped_lonlat_against_a_lonlat_declaration():
    res = c.resolve(np.array([LONLAT, swapped(LONLAT)]), declared=CRS.from_epsg(4326))
    assert res.label == "EPSG:4326（文件声明）"
    assert res.status.tolist() == [c.OK, c.SWAPPED]
    message = c.swap_message(swapped(LONLAT), lonlat=True)
    assert "经纬度顺序颠倒" in message and "29.1" in message


def test_a_lonlat_declaration_stands_when_every_feature_is_swapped():
    res = c.resolve(np.array([swapped(LONLAT)]), declared=CRS.from_epsg(4326))
    assert res.label == "EPSG:4326（文件声明）" and not res.notes
    assert res.status.tolist() == [c.SWAPPED]


def test_resolve_without_any_recognisable_coordinates_explains_why():
    res = c.resolve(np.array([[1.0, 2.0, 3.0, 4.0]]))
    assert res.crs is None and "无法判断坐标系" in res.problem


def test_unprefixed_eastings_say_the_central_meridian_was_assumed():
    res = c.resolve(np.array([PLAIN]))
    assert res.label == "EPSG:4549（由坐标范围判断）"
    assert any("120°E" in n for n in res.notes)

import pytest

from pandi.domain.geometry import boundary_problems, extract_geometry

SQUARE = {"type": "Polygon", "coordinates": [[[119.70, 29.10], [119.72, 29.10], [119.72, 29.12], [119.70, 29.12],
                                              [119.70, 29.10]]]}


def test_valid_square_has_no_problems():
    assert boundary_problems(SQUARE) == []


def test_swapped_lon_lat_is_named():
    swapped = {"type": "Polygon", "coordinates": [[[y, x] for x, y in SQUARE["coordinates"][0]]]}
    assert boundary_problems(swapped) == ["经纬度顺序颠倒：坐标应为 [经度, 纬度]"]


def test_projected_coordinates_are_refused():
    projected = {"type": "Polygon", "coordinates": [[[40500000, 3220000], [40500100, 3220000], [40500100, 3220100],
                                                     [40500000, 3220000]]]}
    assert "投影坐标" in boundary_problems(projected)[0]


def test_self_intersecting_ring_is_invalid():
    bowtie = {"type": "Polygon", "coordinates": [[[119.70, 29.10], [119.72, 29.12], [119.72, 29.10],
                                                  [119.70, 29.12], [119.70, 29.10]]]}
    assert "几何无效" in boundary_problems(bowtie)[0]


def test_malformed_points():
    assert boundary_problems({"type": "Polygon", "coordinates": [[["a"]]]}) == ["坐标格式错误：每个点应为 [经度, 纬度]"]


def test_extract_from_feature_collection():
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": SQUARE}]}
    assert extract_geometry(fc) == SQUARE


@pytest.mark.parametrize(("data", "fragment"), [
    ({"type": "FeatureCollection", "features": []}, "1 个要素"),
    ({"type": "Point", "coordinates": [119.7, 29.1]}, "Point"),
    ([1, 2], "不是 GeoJSON"),
])
def test_extract_refuses_other_shapes(data, fragment):
    with pytest.raises(ValueError, match=fragment):
        extract_geometry(data)


def test_invalid_geometry_reason_is_in_chinese_with_location():
    bowtie = {"type": "Polygon", "coordinates": [[[119.70, 29.10], [119.72, 29.12], [119.72, 29.10],
                                                  [119.70, 29.12], [119.70, 29.10]]]}
    message = boundary_problems(bowtie)[0]
    assert "自相交" in message and "经度 119.71" in message
    assert not any(c.isascii() and c.isalpha() for c in message)

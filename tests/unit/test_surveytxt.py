"""勘测定界 coordinate files: sections, several parcels, rings and holes, zone prefix, encodings."""

import pytest

from pandi.domain import surveytxt as s

HEADER = """[属性描述]
格式版本号=1.01版本
数据产生单位=金东区测绘队
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=40
精度=0.001
转换参数=,,,,,,
[地块坐标]
"""

# X is the northing, Y the easting with the zone prefix 40.
TWO_PARCELS = HEADER + """10,0.9600,JD-2021-01,甲公司地块,面,H50G001001,工业用地,0601,@
J1,1,3221000.000,40466000.000
J2,1,3221000.000,40466100.000
J3,1,3221100.000,40466100.000
J4,1,3221100.000,40466000.000
J1,1,3221000.000,40466000.000
K1,2,3221040.000,40466040.000
K2,2,3221040.000,40466060.000
K3,2,3221060.000,40466060.000
K4,2,3221060.000,40466040.000
K1,2,3221040.000,40466040.000
5,0.5000,JD-2021-02,乙公司地块,面,H50G001001,工业用地,0601,@
J1,1,3222000.000,40466000.000
J2,1,3222000.000,40466100.000
J3,1,3222050.000,40466100.000
J4,1,3222050.000,40466000.000
J1,1,3222000.000,40466000.000
"""


def test_two_parcels_with_a_hole_in_gbk():
    survey = s.parse(TWO_PARCELS.replace("\n", "\r\n").encode("gbk"))
    assert survey.encoding == "GBK"
    assert survey.attributes["坐标系"] == "2000国家大地坐标系" and survey.attributes["带号"] == "40"
    assert not survey.problems
    first, second = survey.parcels
    assert (first.code, first.name, first.land_use, first.land_use_code) == \
        ("JD-2021-01", "甲公司地块", "工业用地", "0601")
    assert (first.line, first.point_count, first.area_value) == (12, 10, 0.96)
    g1 = first.geometry()
    assert g1.geom_type == "Polygon" and len(g1.interiors) == 1
    assert g1.area == pytest.approx(100 * 100 - 20 * 20)
    # x is the easting (Y of the file), y the northing (X of the file)
    assert g1.bounds == (40466000.0, 3221000.0, 40466100.0, 3221100.0)
    assert second.geometry().area == pytest.approx(5000)


def test_utf8_with_bom_is_read():
    survey = s.parse(b"\xef\xbb\xbf" + TWO_PARCELS.encode("utf-8"))
    assert survey.encoding == "UTF-8" and survey.parcels[1].name == "乙公司地块"


def test_zone_prefix_gives_the_zone_system_and_no_prefix_the_central_meridian_system():
    with_prefix = s.parse(TWO_PARCELS.encode("gbk"))
    assert with_prefix.eastings_prefixed()
    assert s.declared_epsg(with_prefix) == (4528, "")
    without = s.parse(TWO_PARCELS.replace(",40466", ",466").encode("gbk"))
    assert not without.eastings_prefixed()
    assert s.declared_epsg(without) == (4549, "")


def test_ring_outside_the_first_is_a_second_part():
    text = HEADER + """8,,JD-3,两块,面,,,,@
J1,1,3221000,40466000
J2,1,3221000,40466010
J3,1,3221010,40466010
J1,1,3221000,40466000
J1,2,3221100,40466000
J2,2,3221100,40466010
J3,2,3221110,40466010
J1,2,3221100,40466000
"""
    geom = s.parse(text.encode("utf-8")).parcels[0].geometry()
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2


def test_unclosed_ring_is_closed_and_ring_change_ends_a_ring():
    text = HEADER + """7,,JD-4,未闭合,面,,,,@
J1,1,3221000,40466000
J2,1,3221000,40466100
J3,1,3221100,40466100
J4,1,3221100,40466000
K1,2,3221040,40466040
K2,2,3221040,40466060
K3,2,3221060,40466060
"""
    parcel = s.parse(text.encode("utf-8")).parcels[0]
    rings = parcel.rings()
    assert [no for no, _ in rings] == [1, 2]
    assert all(r[0] == r[-1] for _, r in rings)
    assert parcel.geometry().area == pytest.approx(10000 - 200)


def test_line_problems_are_collected_with_line_numbers():
    text = HEADER + """4,,JD-5,坏行,面,,,,@
J1,1,3221000,40466000
J2,1,abc,40466100
J3,1
J1,1,3221000,40466000
"""
    survey = s.parse(text.encode("utf-8"))
    messages = dict(survey.problems)
    assert "不是数字" in messages[14] and "点号,圈号,X,Y" in messages[15]
    assert "界址点数 4" in messages[12]


@pytest.mark.parametrize(("system", "fragment"), [
    ("1980西安坐标系", "1980 西安坐标系"),
    ("北京54", "1954 北京坐标系"),
])
def test_other_geodetic_systems_are_refused(system, fragment):
    survey = s.parse(TWO_PARCELS.replace("2000国家大地坐标系", system).encode("gbk"))
    epsg, problem = s.declared_epsg(survey)
    assert epsg is None and fragment in problem and "CGCS2000" in problem


def test_without_zone_the_ranges_decide():
    survey = s.parse(TWO_PARCELS.replace("带号=40\n", "").encode("gbk"))
    assert s.declared_epsg(survey) == (None, "")


def test_a_file_without_coordinates_section_is_not_a_survey_file():
    with pytest.raises(s.SurveyFileError):
        s.parse("宗地编号,面积\nA,1\n".encode("gbk"))
    assert s.looks_like_survey_txt(TWO_PARCELS.encode("gbk"))

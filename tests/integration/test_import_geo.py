"""Parcel boundaries and building footprints: every format, every CRS, repair, refusal, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest
import shapely

from pandi.audit.models import AuditEntry
from pandi.land.importers.common import run_import
from pandi.land.models import Building, ImportBatch, Parcel

from ..geodata import (
    from_ground,
    geojson_bytes,
    gpkg_bytes,
    ground_rect,
    shapefile_zip,
    survey_txt,
    swap_xy,
)

pytestmark = pytest.mark.django_db

# Ground shapes (EPSG:4549, metres) inside the test townships: A = 多湖街道 (119.70–119.72E),
# B = 东孝街道 (119.72–119.74E), both 29.10–29.12N. A-001 and B-001 exist already.
NEW_A = ground_rect(119.710, 29.110, 100, 80)  # 8 000 m²
NEW_B_HOLED = ground_rect(119.730, 29.112, 120, 90, hole_m=30)  # 10 800 − 900 = 9 900 m²
MOVED_A001 = ground_rect(119.705, 29.105, 150, 150)  # 22 500 m²
EXPECTED = {"T-001": 8000, "T-002": 9900, "A-001": 22500}


def features(epsg: int, code_field: str = "宗地编号", name_field: str = "地块名称"):
    return [
        ({code_field: "T-001", name_field: "新建地块甲", "土地用途": "工业用地"}, from_ground(NEW_A, epsg)),
        ({code_field: "T-002", name_field: "带洞地块乙"}, from_ground(NEW_B_HOLED, epsg)),
        ({code_field: "A-001", name_field: "甲公司厂区"}, from_ground(MOVED_A001, epsg)),
    ]


def imp(world, name: str, data: bytes, kind: str = "parcels", **kw):
    return run_import(kind=kind, user=world.users["nr"], file_name=name, data=data, **kw)


def assert_areas(expected: dict[str, float]):
    for code, area in expected.items():
        parcel = Parcel.objects.get(code=code)
        assert float(parcel.area_m2) == pytest.approx(area, rel=1e-3), code
        assert parcel.area_source == "geometry"


def assert_imported_three(world, ctx):
    assert not ctx.errors, [i.message for i in ctx.errors]
    assert ctx.batch.status == "done"
    assert (ctx.counts["created"], ctx.counts["updated"], ctx.counts.get("unchanged", 0)) == (2, 1, 0)
    assert_areas(EXPECTED)
    assert Parcel.objects.get(code="T-001").township == world.township_a
    assert Parcel.objects.get(code="T-002").township == world.township_b
    assert Parcel.objects.get(code="A-001").township == world.township_a


def test_geojson_in_epsg4528_without_crs_member_is_detected_and_imported(world):
    ctx = imp(world, "宗地.geojson", geojson_bytes(features(4528)))
    assert ctx.crs == "EPSG:4528（由坐标范围判断）"
    assert_imported_three(world, ctx)
    t1 = Parcel.objects.get(code="T-001")
    assert (t1.name, t1.land_use) == ("新建地块甲", "工业用地")
    assert len(Parcel.objects.get(code="T-002").geometry["coordinates"]) == 2  # outer ring + hole
    assert "CGCS2000 经纬度" in ctx.batch.notes


def test_geojson_lonlat_with_crs_member_is_read_as_declared(world):
    ctx = imp(world, "宗地.geojson", geojson_bytes(features(4490), crs_name="urn:ogc:def:crs:EPSG::4490"))
    assert ctx.crs == "EPSG:4490（文件声明）"
    assert_imported_three(world, ctx)


def test_zipped_shapefile_in_gbk_without_cpg(world):
    data = shapefile_zip(features(4490), 4490, encoding="GBK", cpg=False)
    ctx = imp(world, "宗地.zip", data)
    assert ctx.encoding == "GBK"
    assert ctx.crs == "EPSG:4490（文件声明）"
    assert_imported_three(world, ctx)
    assert Parcel.objects.get(code="T-002").name == "带洞地块乙"
    assert "无 .cpg 文件，按 GBK 读取" in ctx.batch.notes


def test_zipped_shapefile_in_utf8_with_cpg_and_pinyin_fields(world):
    data = shapefile_zip(features(4549, code_field="ZDBH", name_field="DKMC"), 4549, encoding="UTF-8")
    ctx = imp(world, "parcels.zip", data)
    assert ctx.encoding == "UTF-8"
    assert ctx.crs == "EPSG:4549（文件声明）"
    assert_imported_three(world, ctx)
    assert Parcel.objects.get(code="T-001").name == "新建地块甲"


def test_shapefile_whose_prj_contradicts_its_coordinates_is_read_by_ranges(world):
    data = shapefile_zip(features(4528), 4490, encoding="UTF-8", stem="parcels")  # .prj says lon/lat
    ctx = imp(world, "parcels.zip", data)
    assert ctx.crs == "EPSG:4528（由坐标范围判断）"
    assert "与坐标数值不符" in ctx.batch.notes
    assert_imported_three(world, ctx)


def test_geopackage(world):
    ctx = imp(world, "宗地.gpkg", gpkg_bytes(features(4528), 4528))
    assert ctx.crs == "EPSG:4528（文件声明）"
    assert_imported_three(world, ctx)


def test_survey_txt_in_gbk_with_zone_prefix_two_parcels_and_a_hole(world):
    data = survey_txt([
        ({"地块编号": "T-001", "地块名称": "新建地块甲", "地块用途": "工业用地", "地类编码": "0601"}, NEW_A),
        ({"地块编号": "T-002", "地块名称": "带洞地块乙", "地块用途": "工业用地", "地类编码": "0601"}, NEW_B_HOLED),
    ], encoding="gbk")
    ctx = imp(world, "勘测定界.txt", data)
    assert not ctx.errors, [i.message for i in ctx.errors]
    assert ctx.encoding == "GBK"
    assert ctx.crs == "EPSG:4528（文件声明）"
    assert ctx.counts["created"] == 2
    assert_areas({"T-001": 8000, "T-002": 9900})
    t2 = Parcel.objects.get(code="T-002")
    assert (t2.name, t2.land_use_code, t2.township) == ("带洞地块乙", "0601", world.township_b)
    assert len(t2.geometry["coordinates"]) == 2


def test_survey_txt_bad_point_line_fails_its_parcel_even_with_valid_rows_only(world):
    data = survey_txt([({"地块编号": "T-001"}, NEW_A), ({"地块编号": "T-002"}, NEW_B_HOLED)], encoding="gbk")
    lines = data.decode("gbk").split("\r\n")
    first_point = next(i for i, line in enumerate(lines) if line.startswith("J2,"))
    lines[first_point] = "J2,1,abc,40466100"
    ctx = imp(world, "勘测定界.txt", "\r\n".join(lines).encode("gbk"), valid_only=True)
    header_line = next(i for i, line in enumerate(lines) if line.endswith("@")) + 1
    assert ctx.errors[0].row == header_line and f"第 {first_point + 1} 行" in ctx.errors[0].message
    assert not Parcel.objects.filter(code="T-001").exists() and Parcel.objects.filter(code="T-002").exists()


def test_survey_txt_stated_area_disagreeing_is_a_warning(world):
    data = survey_txt([({"地块编号": "T-001", "地块面积": "5.0000"}, NEW_A)], encoding="utf-8")
    ctx = imp(world, "勘测定界.txt", data)
    assert ctx.counts["created"] == 1
    assert any("标注面积" in w.message for w in ctx.warnings)


def test_broken_file_gives_chinese_errors_per_feature_and_writes_nothing(world):
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    x, y = NEW_A.bounds[:2]
    bowtie = shapely.affinity.translate(bowtie, x, y)
    far = ground_rect(116.40, 39.90, 100, 100)  # Beijing
    data = geojson_bytes([
        ({"宗地编号": "OK-1"}, from_ground(NEW_A, 4490)),
        ({"宗地编号": "SWAP-1"}, swap_xy(from_ground(NEW_B_HOLED, 4490))),
        ({"宗地编号": "FAR-1"}, from_ground(far, 4490)),
        ({"宗地编号": "BOW-1"}, from_ground(bowtie, 4490)),
        ({"宗地编号": ""}, from_ground(MOVED_A001, 4490)),
    ])
    before = (Parcel.objects.count(), AuditEntry.objects.count())
    ctx = imp(world, "坏文件.geojson", data)
    assert ctx.batch.status == "failed"
    by_row = {i.row: i.message for i in ctx.errors}
    assert set(by_row) == {2, 3, 4, 5}
    assert "经纬度顺序颠倒" in by_row[2]
    assert "区界之外" in by_row[3]
    assert "几何无效" in by_row[4] and "自相交" in by_row[4]
    assert "缺少宗地编号" in by_row[5]
    for message in by_row.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert (Parcel.objects.count(), AuditEntry.objects.count()) == before


def test_valid_rows_only_imports_the_good_feature(world):
    data = geojson_bytes([
        ({"宗地编号": "OK-1"}, from_ground(NEW_A, 4490)),
        ({"宗地编号": "SWAP-1"}, swap_xy(from_ground(NEW_B_HOLED, 4490))),
    ])
    ctx = imp(world, "部分.geojson", data, valid_only=True)
    assert ctx.batch.status == "partial"
    assert Parcel.objects.filter(code="OK-1").exists() and not Parcel.objects.filter(code="SWAP-1").exists()


def test_projected_coordinates_with_swapped_axes_are_named(world):
    data = geojson_bytes([({"宗地编号": "S-1"}, swap_xy(from_ground(NEW_A, 4528))),
                          ({"宗地编号": "S-2"}, from_ground(NEW_B_HOLED, 4528))])
    ctx = imp(world, "x.geojson", data)
    assert "X、Y 坐标颠倒" in ctx.errors[0].message and ctx.errors[0].row == 1


def test_small_self_touch_is_repaired_with_a_warning(world):
    x, y = NEW_A.bounds[:2]
    ring = [(0, 0), (100, 0), (100, 80), (0, 80), (0, 1), (0.5, -0.5), (0, 0)]
    loop = shapely.Polygon([(x + a, y + b) for a, b in ring])
    assert not loop.is_valid
    ctx = imp(world, "修复.geojson", geojson_bytes([({"宗地编号": "R-1"}, from_ground(loop, 4490))]))
    assert not ctx.errors
    assert "已自动修复" in ctx.warnings[0].message and ctx.warnings[0].row == 1
    assert float(Parcel.objects.get(code="R-1").area_m2) == pytest.approx(8000, rel=1e-3)


def test_repair_changing_the_area_by_more_than_one_percent_is_an_error(world):
    x, y = NEW_A.bounds[:2]
    ring = [(0, 0), (100, 0), (100, 100), (0, 100), (0, 30), (30, -30), (0, 0)]  # a loop at one corner
    loop = shapely.Polygon([(x + a, y + b) for a, b in ring])
    ctx = imp(world, "修复.geojson", geojson_bytes([({"宗地编号": "R-2"}, from_ground(loop, 4490))]))
    assert "超过 1%" in ctx.errors[0].message and "面积变化 2." in ctx.errors[0].message
    assert not Parcel.objects.filter(code="R-2").exists()


def test_reimport_is_idempotent(world):
    data = gpkg_bytes(features(4528), 4528)
    imp(world, "宗地.gpkg", data)
    audit_rows = AuditEntry.objects.count()
    ctx = imp(world, "宗地.gpkg", data)
    assert (ctx.counts.get("created", 0), ctx.counts.get("updated", 0), ctx.counts["unchanged"]) == (0, 0, 3)
    assert AuditEntry.objects.count() == audit_rows
    assert ImportBatch.objects.count() == 2


def test_dry_run_counts_but_writes_nothing(world):
    ctx = imp(world, "宗地.geojson", geojson_bytes(features(4490)), dry_run=True)
    assert ctx.batch.status == "dry_run" and ctx.counts["created"] == 2
    assert not Parcel.objects.filter(code__startswith="T-").exists()


def test_without_township_boundaries_the_district_check_is_skipped_with_a_note(world):
    from pandi.accounts.models import OrgUnit

    OrgUnit.objects.filter(kind="township").update(boundary_geojson=None)
    ctx = imp(world, "宗地.geojson", geojson_bytes([({"宗地编号": "FAR-1"}, from_ground(
        ground_rect(116.40, 39.90, 100, 100), 4490))]))
    assert not ctx.errors and ctx.counts["created"] == 1
    assert "未检查是否位于区界之内" in ctx.batch.notes


def test_unrecognisable_coordinates_are_one_file_error(world):
    data = geojson_bytes([({"宗地编号": "U-1"}, shapely.box(1, 2, 3, 4))])
    ctx = imp(world, "x.geojson", data)
    assert ctx.errors[0].row is None and "无法判断坐标系" in ctx.errors[0].message


def test_unsupported_file_is_refused(world):
    ctx = imp(world, "x.dwg", b"AC1032")
    assert "不支持的文件格式" in ctx.errors[0].message


# --- buildings -------------------------------------------------------------------------------------------

def building_features():
    a = world_parcel_inner(119.7055, 29.1055)  # inside A-001, attached by code anyway
    b = world_parcel_inner(119.7255, 29.1055)  # inside B-001, attached by location
    lone = ground_rect(119.715, 29.115, 20, 20)  # in township A, in no parcel
    return [
        ({"宗地编号": "A-001", "建筑面积(平方米)": 1200.5, "层数": 3, "建成年份": 2015, "建筑物编号": "F1"}, a),
        ({"宗地编号": "", "建筑面积(平方米)": 800, "层数": 2, "建成年份": 2018, "建筑物编号": "F2"}, b),
        ({"宗地编号": "", "建筑面积(平方米)": None, "层数": None, "建成年份": None, "建筑物编号": "F3"}, lone),
    ]


def world_parcel_inner(lon, lat):
    return ground_rect(lon, lat, 30, 40)


def test_buildings_attach_by_code_and_by_location_and_mark_parcels_surveyed(world):
    assert not world.parcel_a.buildings_surveyed
    data = geojson_bytes([(p, from_ground(g, 4490)) for p, g in building_features()])
    ctx = imp(world, "建筑物.geojson", data, kind="buildings")
    assert not ctx.errors, [i.message for i in ctx.errors]
    assert (ctx.counts["created"], ctx.counts["attached"], ctx.counts["unattached"]) == (3, 2, 1)
    f1, f2, f3 = (Building.objects.get(source_ref=r) for r in ("F1", "F2", "F3"))
    assert (f1.parcel_id, f2.parcel_id, f3.parcel_id) == (world.parcel_a.pk, world.parcel_b.pk, None)
    assert (f1.floor_area_m2, f1.storeys, f1.year_built) == (Decimal("1200.50"), 3, 2015)
    assert float(f1.footprint_m2) == pytest.approx(1200, rel=1e-3)
    assert any("不在任何宗地之内" in w.message and w.row == 3 for w in ctx.warnings)
    assert Parcel.objects.get(pk=world.parcel_a.pk).buildings_surveyed
    assert Parcel.objects.get(pk=world.parcel_b.pk).buildings_surveyed


def test_building_reimport_does_not_duplicate(world):
    data = shapefile_zip([(p, from_ground(g, 4528)) for p, g in building_features()], 4528, encoding="GBK",
                         cpg=False, stem="建筑物")
    imp(world, "建筑物.zip", data, kind="buildings")
    audit_rows = AuditEntry.objects.count()
    ctx = imp(world, "建筑物.zip", data, kind="buildings")
    assert ctx.counts["unchanged"] == 3 and ctx.counts.get("created", 0) == 0
    assert Building.objects.count() == 3
    assert AuditEntry.objects.count() == audit_rows


def test_building_with_unknown_parcel_code_falls_back_to_location(world):
    g = world_parcel_inner(119.7255, 29.1055)
    ctx = imp(world, "b.geojson", geojson_bytes([({"宗地编号": "NO-SUCH"}, from_ground(g, 4490))]), kind="buildings")
    assert Building.objects.get().parcel_id == world.parcel_b.pk
    assert "按位置匹配" in ctx.warnings[0].message


def test_a_footprint_twice_in_a_file_is_imported_once(world):
    g = from_ground(world_parcel_inner(119.7255, 29.1055), 4490)
    ctx = imp(world, "b.geojson", geojson_bytes([({"建筑物编号": "F1"}, g), ({"建筑物编号": "F1b"}, g)]),
              kind="buildings")
    assert Building.objects.count() == 1 and ctx.counts["unchanged"] == 1
    assert "与第 1 行的轮廓相同" in ctx.warnings[0].message


def test_a_footprint_stored_unattached_is_not_copied_when_its_parcel_appears(world):
    lone = from_ground(ground_rect(119.715, 29.115, 20, 20), 4490)
    imp(world, "b.geojson", geojson_bytes([({"建筑物编号": "F3"}, lone)]), kind="buildings")
    imp(world, "p.geojson", geojson_bytes([({"宗地编号": "T-009"}, from_ground(ground_rect(119.7149, 29.1149, 60, 60),
                                                                              4490))]))
    ctx = imp(world, "b.geojson", geojson_bytes([({"建筑物编号": "F3"}, lone)]), kind="buildings")
    assert Building.objects.count() == 1 and ctx.counts["unchanged"] == 1
    assert "已导入过" in ctx.warnings[0].message

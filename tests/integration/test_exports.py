"""Exports: spreadsheets with title, Chinese headers, township subtotals and a total; GeoJSON,
GeoPackage and Shapefile that import back unchanged; scoped to what the user sees."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
import shapely
from openpyxl import load_workbook

from pandi.audit.models import AuditEntry
from pandi.land import exporters
from pandi.land import services as land
from pandi.land.importers.common import run_import
from pandi.land.models import Parcel
from pandi.land.selectors import enterprise_list, parcel_list, visible_parcels

from ..conftest import square
from ..geodata import from_ground, ground_rect

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(world):
    """The world's two parcels plus one with a hole, one of two parts and one known only by its
    电子监管号 — the shapes a round trip must keep."""
    holed = from_ground(ground_rect(119.711, 29.111, 120, 90, hole_m=30), 4490)
    two = shapely.MultiPolygon([from_ground(ground_rect(119.731, 29.111, 50, 50), 4490),
                                from_ground(ground_rect(119.733, 29.113, 40, 40), 4490)])
    land.parcel_create(user=None, check=False, geometry=shapely.geometry.mapping(holed),
                       data={"code": "A-002", "name": "带洞地块"})
    land.parcel_create(user=None, check=False, geometry=shapely.geometry.mapping(two),
                       data={"code": "B-002", "name": "两块地"})
    land.parcel_create(user=None, check=False, geometry=square(119.735, 29.105, 0.001),
                       data={"supervision_no": "3307032019B00077", "name": "只有监管号"})
    land.parcel_create(user=None, check=False, data={"code": "C-001", "name": "无边界"})  # no geometry
    return world


def everything(user):
    return parcel_list(user=user)


@pytest.mark.parametrize(("fmt", "name"), [("geojson", "宗地.geojson"), ("gpkg", "宗地.gpkg"), ("shp", "宗地.zip")])
def test_geo_export_imports_back_unchanged(district, fmt, name):
    admin = district.users["admin"]
    export = exporters.parcel_export(everything(admin), fmt, user=admin)
    audit_rows = AuditEntry.objects.count()
    ctx = run_import(kind="parcels", user=district.users["nr"], file_name=name, data=export.content)
    assert not ctx.errors, [i.message for i in ctx.errors]
    assert ctx.crs.startswith("EPSG:4490")
    assert ctx.counts["unchanged"] == 5  # every parcel with a boundary
    assert ctx.counts.get("created", 0) == ctx.counts.get("updated", 0) == 0
    assert AuditEntry.objects.count() == audit_rows


def test_geojson_export_has_the_chinese_attributes(district):
    admin = district.users["admin"]
    doc = json.loads(exporters.parcels_geojson(everything(admin)))
    props = {f["properties"]["宗地编号"] or f["properties"]["电子监管号"]: f["properties"] for f in doc["features"]}
    assert "C-001" not in props  # no boundary, no feature
    a = props["A-001"]
    assert list(a) == [f.name for f in exporters.GEO_FIELDS]
    assert (a["乡镇街道"], a["土地用途"], a["权利人"]) == ("多湖街道", "工业用地", "甲公司")
    assert a["状态"] == "已供地·逾期未开工"
    assert a["面积_平方米"] == pytest.approx(float(district.parcel_a.area_m2))
    assert a["面积_亩"] == pytest.approx(float(district.parcel_a.area_m2) * 15 / 10000, abs=1e-4)


def test_shapefile_zip_has_cpg_prj_and_short_field_names(district):
    admin = district.users["admin"]
    archive = zipfile.ZipFile(io.BytesIO(exporters.parcels_shapefile_zip(everything(admin))))
    names = set(archive.namelist())
    assert {"parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj", "parcels.cpg", "字段说明.txt"} <= names
    assert archive.read("parcels.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    assert "China_2000" in archive.read("parcels.prj").decode()
    assert all(len(f.shp.encode()) <= 10 for f in exporters.GEO_FIELDS)
    notes = archive.read("字段说明.txt").decode("utf-8")
    assert "ZDBH    宗地编号" in notes and "QLR     权利人" in notes


def test_parcel_xlsx_has_title_headers_township_subtotals_and_total(district):
    admin = district.users["admin"]
    wb = load_workbook(io.BytesIO(exporters.parcels_xlsx(everything(admin), user=admin, filters="")))
    ws = wb.active
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "金东区宗地清单"
    assert "共 6 宗" in rows[1][0] and "导出人" in rows[1][0]
    assert rows[2] == tuple(exporters.PARCEL_HEADERS) or list(rows[2]) == exporters.PARCEL_HEADERS
    assert ws.merged_cells.ranges and ws.freeze_panes == "A4"
    labels = [r[1] for r in rows]
    a_sub = rows[labels.index("多湖街道 小计")]
    b_sub = rows[labels.index("东孝街道 小计")]
    none_sub = rows[labels.index("未确定乡镇（街道） 小计")]
    total = rows[labels.index("合计")]
    assert (a_sub[2], b_sub[2], none_sub[2], total[2]) == ("2 宗", "3 宗", "1 宗", "6 宗")
    areas = {p.key: float(p.area_m2 or 0) for p in Parcel.objects.all()}
    assert a_sub[6] == pytest.approx(areas["A-001"] + areas["A-002"])
    assert total[6] == pytest.approx(sum(areas.values()))
    assert total[7] == pytest.approx(sum(areas.values()) * 15 / 10000)
    # township groups in township order, numbering restarts in each
    assert labels.index("多湖街道 小计") < labels.index("东孝街道 小计") < labels.index("未确定乡镇（街道） 小计")
    first_row = rows[3]
    assert (first_row[0], first_row[1], first_row[4]) == (1, "A-001", "多湖街道")


def test_township_officer_export_holds_only_their_township(district):
    town_a = district.users["town_a"]
    doc = json.loads(exporters.parcels_geojson(parcel_list(user=town_a)))
    assert {f["properties"]["宗地编号"] for f in doc["features"]} == {"A-001", "A-002"}
    wb = load_workbook(io.BytesIO(exporters.parcels_xlsx(parcel_list(user=town_a), user=town_a)))
    text = json.dumps([list(r) for r in wb.active.iter_rows(values_only=True)], ensure_ascii=False, default=str)
    assert "A-001" in text and "B-001" not in text and "东孝街道" not in text and "乙公司" not in text


def test_enterprise_xlsx_with_parcels_held_subtotals_and_total(district):
    admin = district.users["admin"]
    land.enterprise_create(user=None, check=False, data={"name": "丙公司"})  # no township, no parcels
    content = exporters.enterprises_xlsx(enterprise_list(user=admin), user=admin,
                                         visible_parcels=visible_parcels(admin))
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "金东区企业清单"
    assert list(rows[2]) == exporters.ENTERPRISE_HEADERS
    by_name = {r[1]: r for r in rows[3:]}
    a = by_name["甲公司"]
    assert (a[3], a[10]) == ("多湖街道", 1)
    assert a[11] == pytest.approx(float(district.parcel_a.area_m2 * Decimal(15) / Decimal(10000)), abs=0.01)
    assert by_name["多湖街道 小计"][2] == "1 家"
    assert by_name["未确定乡镇（街道） 小计"][2] == "1 家"
    total = by_name["合计"]
    assert (total[2], total[10]) == ("3 家", 2)


def test_township_officer_enterprise_export_is_scoped(district):
    town_a = district.users["town_a"]
    content = exporters.enterprises_xlsx(enterprise_list(user=town_a), user=town_a,
                                         visible_parcels=visible_parcels(town_a))
    text = json.dumps([list(r) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)],
                      ensure_ascii=False, default=str)
    assert "甲公司" in text and "乙公司" not in text and "东孝街道" not in text

"""Exports of the official inventory and the work plan: the .xlsx in the offices' layout (title,
header, 小计 per township, 合计 equal to the entries' sum), scoped to the user's township; the
GeoJSON and GeoPackage of the entries' geometries."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from pandi.screening import services
from pandi.screening.exporters import INVENTORY_HEADERS, WORKPLAN_HEADERS
from pandi.screening.models import InventoryEntry
from tests.screening_world import accepted

pytestmark = pytest.mark.django_db


def _book(response):
    from openpyxl import load_workbook

    assert response.status_code == 200, response.status_code
    assert "spreadsheetml" in response["Content-Type"]
    return load_workbook(io.BytesIO(response.content))


def _values(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def _inventory_mu(world, **filters) -> float:
    """The inventory's area in 亩, straight from the database."""
    qs = InventoryEntry.objects.filter(inventory_list__campaign=world.campaign, inventory_list__status="accepted",
                                       included=True, **filters).exclude(number="")
    return float(sum((e.area_m2 for e in qs), Decimal(0)) * 15 / 10000)


def test_inventory_xlsx_has_the_office_layout_with_subtotals_and_a_total(login, world):
    ns = accepted(world)
    book = _book(login(world.users["lead"]).get(reverse("screening:inventory_xlsx")))
    ws = book["清单"]
    rows = _values(ws)
    assert rows[0][0] == "金东区闲置工业用地盘活清单（截至 2021年04月30日）"
    assert list(rows[2]) == INVENTORY_HEADERS == ["序号", "清单编号", "乡镇街道", "宗地编号/地块", "土地使用权人",
                                                   "面积(亩)", "约定开工时间", "超期天数", "状态", "依据", "备注"]
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    assert {r[1] for r in data} == {ns.entry_a.number, ns.entry_b.number, ns.block_a.number, ns.block_b.number}
    subtotals = {r[1]: r[5] for r in rows if isinstance(r[1], str) and r[1].endswith("小计")}
    assert set(subtotals) == {"多湖街道 小计", "东孝街道 小计"}
    assert subtotals["多湖街道 小计"] == pytest.approx(_inventory_mu(world, township=world.township_a), abs=1e-3)
    total = next(r for r in rows if r[1] == "合计")
    assert total[5] == pytest.approx(_inventory_mu(world), abs=1e-3)
    assert total[5] == pytest.approx(sum(r[5] for r in data), abs=1e-3)
    a = next(r for r in data if r[1] == ns.entry_a.number)
    assert a[8] == "闲置满一年" and a[6] is not None and a[7] > 365 and "第" in a[9]
    block = next(r for r in data if r[1] == ns.block_a.number)
    assert block[8] == "连片空闲"
    # print setup: frozen header repeated on every page, A4 landscape fitted to the width, 依据 wrapped
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows.replace("$", "") == "3:3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.cell(4, 10).alignment.wrap_text


def test_a_township_officers_inventory_holds_only_their_township(login, world):
    ns = accepted(world)
    response = login(world.users["town_a"]).get(reverse("screening:inventory_xlsx"))
    rows = _values(_book(response)["清单"])
    text = "\n".join(str(c) for r in rows for c in r if c is not None)
    assert "多湖街道" in text and ns.entry_a.number in text and ns.block_a.number in text
    assert "东孝街道" not in text and ns.entry_b.number not in text
    assert rows[0][0].startswith("多湖街道闲置工业用地盘活清单")
    total = next(r for r in rows if r[1] == "合计")
    assert total[5] == pytest.approx(_inventory_mu(world, township=world.township_a), abs=1e-3)


def test_inventory_xlsx_filters_by_township_and_kind(login, world):
    ns = accepted(world)
    client = login(world.users["lead"])
    rows = _values(_book(client.get(reverse("screening:inventory_xlsx"),
                                    {"township": world.township_b.pk, "kind": "block"}))["清单"])
    numbers = {r[1] for r in rows if isinstance(r[0], int)}
    assert numbers == {ns.block_b.number}
    assert client.get(reverse("screening:inventory_xlsx"), {"township": 99999}).status_code == 404
    town_a = login(world.users["town_a"])
    assert town_a.get(reverse("screening:inventory_xlsx"), {"township": world.township_b.pk}).status_code == 404


def test_one_list_exports_in_any_status_with_its_exclusions(login, world):
    from tests.screening_world import screened

    ns = screened(world)  # draft lists, no numbers yet
    services.entry_exclude(user=world.users["town_a"], entry=ns.block_a, reason="planning")
    client = login(world.users["town_a"])
    rows = _values(_book(client.get(reverse("screening:inventory_xlsx"), {"list": ns.list_a.pk}))["清单"])
    assert rows[0][0] == "多湖街道连片空闲地块清单（截至 2021年04月30日）"
    assert "待核实" in rows[1][0]
    total = next(r for r in rows if r[1] == "合计")
    assert total[3] == "0 处" and total[5] == 0
    note = next(i for i, r in enumerate(rows) if isinstance(r[0], str) and r[0].startswith("已剔除"))
    assert "规划调整" in rows[note + 1][10]
    assert client.get(reverse("screening:inventory_xlsx"), {"list": ns.list_b.pk}).status_code == 404
    assert client.get(reverse("screening:inventory_xlsx"), {"list": ns.district_list.pk}).status_code == 404


def test_workplan_xlsx_has_the_plan_and_the_targets_sheet(login, world):
    ns = accepted(world)
    lead = world.users["lead"]
    services.workplan_assign(user=lead, entry=ns.entry_a, year=2021, route="acquisition",
                             responsible_department=world.orgs["GZGS"], note="收储")
    services.workplan_target_set(user=lead, campaign=world.campaign, township=world.township_a, year=2021,
                                 target_mu=100, target_m2=20000)
    book = _book(login(lead).get(reverse("screening:workplan_xlsx")))
    rows = _values(book["年度工作方案"])
    assert rows[0][0] == "测试盘地行动 年度工作方案（2021—2023年）"
    assert list(rows[2]) == WORKPLAN_HEADERS == ["序号", "清单编号", "乡镇街道", "地块", "土地使用权人", "面积(亩)",
                                                  "处置年度", "处置路径", "责任乡镇", "责任部门", "备注"]
    a = next(r for r in rows if r[1] == ns.entry_a.number)
    assert a[6:] == (2021, "国企收购收储", "多湖街道", "区属国资公司", "收储")
    b = next(r for r in rows if r[1] == ns.entry_b.number)
    assert b[7] == "未安排"
    assert {r[1] for r in rows if isinstance(r[1], str) and r[1].endswith("小计")} == {"多湖街道 小计", "东孝街道 小计"}
    assert next(r for r in rows if r[1] == "合计")[5] == pytest.approx(_inventory_mu(world), abs=1e-3)
    targets = _values(book["年度目标"])
    assert list(targets[2]) == ["乡镇街道", "年度", "盘活目标(亩)", "新开工厂房目标(平方米)", "已安排(亩)",
                                "已安排/目标"]
    row = next(r for r in targets if r[0] == "多湖街道" and r[1] == 2021)
    assert row[2] == 100 and row[3] == 20000 and row[4] == pytest.approx(float(ns.entry_a.area_m2) * 15 / 10000,
                                                                          abs=1e-3)
    goal = next(r for r in targets if r[0] == "行动总目标")
    assert goal[2] == 2000 and goal[3] == 1600000
    # the year filter gives that year's plan
    rows = _values(_book(login(lead).get(reverse("screening:workplan_xlsx"), {"year": 2021}))["年度工作方案"])
    assert rows[0][0].endswith("（2021年）")
    assert {r[1] for r in rows if isinstance(r[0], int)} == {ns.entry_a.number}


def test_inventory_geojson_has_one_feature_per_entry(login, world):
    ns = accepted(world)
    response = login(world.users["lead"]).get(reverse("screening:inventory_geojson"))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    by_number = {f["properties"]["清单编号"]: f for f in data["features"]}
    assert set(by_number) == {ns.entry_a.number, ns.entry_b.number, ns.block_a.number, ns.block_b.number}
    a = by_number[ns.entry_a.number]
    assert set(a["properties"]) == {"清单编号", "乡镇", "地块", "权利人", "面积亩", "类型", "状态"}
    assert a["properties"]["乡镇"] == "多湖街道" and a["properties"]["类型"] == "宗地"
    assert a["properties"]["权利人"] == "甲公司" and a["properties"]["状态"] == "闲置满一年"
    assert a["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert by_number[ns.block_b.number]["properties"]["类型"] == "连片地块"
    town = json.loads(login(world.users["town_a"]).get(reverse("screening:inventory_geojson")).content)
    assert {f["properties"]["乡镇"] for f in town["features"]} == {"多湖街道"}


def test_inventory_geopackage_reads_back(login, world, tmp_path):
    import pyogrio

    ns = accepted(world)
    response = login(world.users["lead"]).get(reverse("screening:inventory_gpkg"))
    assert response.status_code == 200
    path = tmp_path / "inventory.gpkg"
    path.write_bytes(response.content)
    info = pyogrio.read_info(path)
    assert info["features"] == 4
    assert list(info["fields"]) == ["QDBH", "XZ", "DK", "QLR", "MJ_MU", "LX", "ZT"]
    assert "4490" in (info["crs"] or "")
    _meta, _fids, geoms, fields = pyogrio.raw.read(path)
    numbers = set(fields[0])
    assert numbers == {ns.entry_a.number, ns.entry_b.number, ns.block_a.number, ns.block_b.number}
    assert all(g is not None for g in geoms)
    total = sum(float(v) for v in fields[4])
    assert total == pytest.approx(_inventory_mu(world), abs=1e-2)

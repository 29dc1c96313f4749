"""The list pages (R6, R7): a township officer verifies their list (剔除 with a reason, 补充 a parcel
or a drawn block), submits it; the district lead returns it with a comment or accepts it, and the
accepted entries — with their 清单编号 — make up the official inventory. Errors are shown in Chinese
and change nothing; other townships' lists are 404; enterprise users see none of it."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pandi.audit.models import AuditEntry
from pandi.domain.geo import ground_area_m2
from pandi.domain.units import m2_to_mu, round2
from pandi.land import services as land
from pandi.screening.models import InventoryEntry, InventoryList
from tests.screening_world import accepted, screened

from ..conftest import square

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def get(client, name: str, *args, status: int = 200, **params) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == status, response.status_code
    return response.content.decode()


def post(client, name: str, *args, **data):
    return client.post(reverse(name, args=args), data)


def text(html: str) -> str:
    """The page's words without tags, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def s(world):
    return screened(world)


@pytest.fixture
def town_a(login, world):
    return login(world.users["town_a"])


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def parcel_in(world, code: str, township, lon: float, lat: float = 29.113):
    return land.parcel_create(user=None, check=False, geometry=square(lon, lat, 0.001),
                              data={"code": code, "township": township})


# --- the campaign's lists ------------------------------------------------------------------------

def test_lists_page_explains_where_lists_come_from_when_there_are_none(login, world):
    html = get(login(world.users["lead"]), "screening:list_index")
    assert 'data-testid="lists-empty"' in html
    assert "区经商局根据一次保存的排摸筛查生成" in html


def test_district_lead_sees_every_list_with_counts_areas_and_totals(login, world, s):
    html = get(login(world.users["lead"]), "screening:list_index")
    rows = html.count('data-testid="list-row"')
    assert rows == 3  # the district list and both townships'
    words = text(html)
    assert "区级清单" in words and "多湖街道清单" in words and "东孝街道清单" in words
    assert 'data-testid="lists-totals"' in html
    assert "乡镇合计（2 个）" in words
    block_mu = f"{round2(m2_to_mu(s.block_a.area_m2)):,.2f}"
    assert block_mu in words
    assert "待核实" in words


def test_township_officer_sees_only_their_own_list(town_a, s):
    html = get(town_a, "screening:list_index")
    assert html.count('data-testid="list-row"') == 1
    assert "多湖街道清单" in html
    assert "区级清单" not in text(html).split("区级清单：")[0]  # only in the footnote, not as a row
    assert f'data-list="{s.district_list.pk}"' not in html
    assert "东孝街道" not in html


def test_unsubmitted_list_past_its_deadline_is_flagged_late(town_a, s):
    # the test campaign's survey deadline is 2021-04-30: a list still in draft today is late
    index = get(town_a, "screening:list_index")
    assert 'data-testid="list-late"' in index
    html = get(town_a, "screening:list_detail", s.list_a.pk)
    assert 'data-testid="late-warning"' in html
    assert "已超过报送截止日期 2021-04-30" in html


def test_enterprise_users_get_404_on_every_list_page(login, world, s):
    client = login(world.users["ent_a"])
    for name, args in [("screening:list_index", ()), ("screening:inventory", ()),
                       ("screening:list_detail", (s.list_a.pk,)), ("screening:entry_detail", (s.block_a.pk,))]:
        get(client, name, *args, status=404)
    assert post(client, "screening:entry_exclude", s.block_a.pk, reason="data_error").status_code == 404


def test_other_townships_officer_gets_404_on_the_list_and_its_entries(login, world, s):
    client = login(world.users["town_b"])
    get(client, "screening:list_detail", s.list_a.pk, status=404)
    get(client, "screening:list_detail", s.district_list.pk, status=404)
    get(client, "screening:entry_detail", s.block_a.pk, status=404)
    assert post(client, "screening:entry_exclude", s.block_a.pk, reason="data_error").status_code == 404
    assert post(client, "screening:list_submit", s.list_a.pk).status_code == 404
    assert refreshed(s.block_a).included and refreshed(s.list_a).status == "draft"


# --- one list: the entries -----------------------------------------------------------------------

def test_list_page_shows_entries_basis_map_and_forms(town_a, s):
    html = get(town_a, "screening:list_detail", s.list_a.pk)
    assert f'id="entry-{s.block_a.pk}"' in html
    assert "系统初筛" in html
    assert "涉及宗地 A-001" in html  # the basis, expandable
    assert 'data-island="drawblock"' in html
    config = json.loads(re.search(r'id="list-map-config" type="application/json">(.*?)</script>', html, re.S)[1])
    assert config["draw"] == {"input": "id_geometry", "area": "drawblock-area"}
    assert [f["properties"]["id"] for f in config["entries"]["features"]] == [s.block_a.pk]
    assert [f["properties"]["name"] for f in config["boundary"]["features"]] == ["多湖街道"]
    for testid in ("section-submit", "section-add-parcel", "add-block-form", "exclude-form", "history-link"):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="section-review"' not in html


def test_district_users_without_the_review_permission_see_the_list_read_only(login, world, s):
    html = get(login(world.users["nr"]), "screening:list_detail", s.list_a.pk)
    assert f'id="entry-{s.block_a.pk}"' in html
    for testid in ("section-submit", "section-add-parcel", "add-block-form", "exclude-form", "section-review"):
        assert f'data-testid="{testid}"' not in html
    assert post(login(world.users["nr"]), "screening:entry_exclude", s.block_a.pk,
                reason="data_error").status_code == 403


def test_township_officer_excludes_an_entry_with_a_reason(town_a, s):
    response = post(town_a, "screening:entry_exclude", s.block_a.pk, reason="data_error", note="边界有误")
    assert response.status_code == 302
    assert response["Location"].endswith(f"{s.list_a.get_absolute_url()}#entry-{s.block_a.pk}")
    entry = refreshed(s.block_a)
    assert (entry.included, entry.exclusion_reason, entry.exclusion_note) == (False, "data_error", "边界有误")
    html = get(town_a, "screening:list_detail", s.list_a.pk)
    assert "已剔除" in html and "数据错误：边界有误" in html
    assert AuditEntry.objects.filter(object_id=str(entry.pk), comment="剔除").exists()


def test_excluding_without_a_reason_shows_a_chinese_error_and_changes_nothing(town_a, s):
    response = post(town_a, "screening:entry_exclude", s.block_a.pk, reason="")
    assert response.status_code == 302
    html = get(town_a, "screening:list_detail", s.list_a.pk)
    assert "请选择剔除原因" in html
    assert refreshed(s.block_a).included


def test_reason_other_needs_a_note(town_a, s):
    response = town_a.post(reverse("screening:entry_exclude", args=[s.block_a.pk]), {"reason": "other"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="entry-{s.block_a.pk}"')
    assert 'data-testid="entry-error"' in html and "剔除原因为“其他”时须填写说明" in html
    assert '<option value="other" selected>' in html  # what the officer chose stays chosen
    assert refreshed(s.block_a).included


def test_htmx_exclude_include_and_remarks_swap_the_row(town_a, s):
    url = s.list_a.get_absolute_url()
    html = town_a.post(reverse("screening:entry_exclude", args=[s.block_a.pk]),
                       {"reason": "planning", "next": url}, **HTMX).content.decode()
    assert 'data-included="0"' in html and "规划调整" in html and "恢复列入" in html
    html = town_a.post(reverse("screening:entry_include", args=[s.block_a.pk]), {"next": url}, **HTMX).content.decode()
    assert 'data-included="1"' in html
    assert refreshed(s.block_a).included and s.block_a.exclusion_reason == ""
    html = town_a.post(reverse("screening:entry_remarks", args=[s.block_a.pk]), {"remarks": "已现场核实"},
                       **HTMX).content.decode()
    assert "备注：已现场核实" in html
    assert refreshed(s.block_a).remarks == "已现场核实"


def test_next_must_stay_on_this_site(town_a, s):
    response = post(town_a, "screening:entry_remarks", s.block_a.pk, remarks="x", next="https://evil.example/")
    assert response["Location"].startswith(s.list_a.get_absolute_url())


def test_township_officer_adds_a_parcel_of_their_own_township(town_a, world, s):
    parcel = parcel_in(world, "A-902", world.township_a, 119.712)
    response = post(town_a, "screening:list_add_parcel", s.list_a.pk, key="A-902", reason="数据遗漏")
    assert response.status_code == 302
    entry = s.list_a.entries.get(parcel=parcel)
    assert (entry.source, entry.add_reason, entry.kind) == ("added", "数据遗漏", "parcel")
    html = get(town_a, "screening:list_detail", s.list_a.pk)
    assert "A-902" in html and "乡镇补充" in html


def test_a_parcel_of_another_township_is_refused(town_a, login, world, s):
    before = s.list_a.entries.count()
    response = post(town_a, "screening:list_add_parcel", s.list_a.pk, key="B-001", reason="数据遗漏")
    assert response.status_code == 400
    assert "没有找到宗地编号或电子监管号为“B-001”的宗地" in response.content.decode()
    # the district lead sees B-001, but it still does not belong in 多湖街道's list
    response = post(login(world.users["lead"]), "screening:list_add_parcel", s.list_a.pk, key="B-001", reason="x")
    assert response.status_code == 400
    assert "宗地 B-001 不在多湖街道，不能列入本清单" in response.content.decode()
    assert s.list_a.entries.count() == before


def test_adding_a_parcel_already_listed_or_without_reason_is_refused(town_a, s):
    html = post(town_a, "screening:list_add_parcel", s.list_a.pk, key="A-001", reason="重复").content.decode()
    assert "宗地 A-001 已在本清单中" in html
    html = post(town_a, "screening:list_add_parcel", s.list_a.pk, key="A-001", reason="").content.decode()
    assert "请填写补充理由" in html
    assert s.list_a.entries.count() == 1


def test_a_block_drawn_inside_the_township_is_added_with_its_ground_area(town_a, s):
    geometry = square(119.714, 29.116, 0.001)
    response = post(town_a, "screening:list_add_block", s.list_a.pk, label="东侧空地", reason="实地踏勘发现",
                    holders="甲公司", geometry=json.dumps(geometry))
    assert response.status_code == 302
    entry = s.list_a.entries.get(label="东侧空地")
    assert entry.area_m2 == ground_area_m2(geometry)
    assert Decimal("10000") < entry.area_m2 < Decimal("11500")  # ~0.001° × 0.001° at 29° N
    assert (entry.kind, entry.source, entry.township_id) == ("block", "added", s.list_a.township_id)
    html = get(town_a, "screening:list_detail", s.list_a.pk)
    assert f"{round2(m2_to_mu(entry.area_m2)):,.2f}" in html


def test_a_block_drawn_in_another_township_is_refused(town_a, s):
    before = s.list_a.entries.count()
    response = post(town_a, "screening:list_add_block", s.list_a.pk, label="越界", reason="x",
                    geometry=json.dumps(square(119.730, 29.110, 0.001)))
    assert response.status_code == 400
    html = response.content.decode()
    assert "所画地块不在多湖街道范围内" in html
    assert 'data-testid="form-error-summary"' in html
    assert s.list_a.entries.count() == before


def test_a_block_needs_a_shape_a_label_and_a_reason(town_a, s):
    html = post(town_a, "screening:list_add_block", s.list_a.pk, label="", reason="").content.decode()
    assert "请填写地块名称或位置" in html and "请填写补充理由" in html
    html = post(town_a, "screening:list_add_block", s.list_a.pk, label="a", reason="b", geometry="").content.decode()
    assert "请在图上勾绘地块范围" in html
    html = post(town_a, "screening:list_add_block", s.list_a.pk, label="a", reason="b",
                geometry="{oops").content.decode()
    assert "不是有效的 GeoJSON" in html
    swapped = {"type": "Polygon", "coordinates": [[[29.11, 119.71], [29.11, 119.711], [29.111, 119.711],
                                                   [29.11, 119.71]]]}
    html = post(town_a, "screening:list_add_block", s.list_a.pk, label="a", reason="b",
                geometry=json.dumps(swapped)).content.decode()
    assert "经纬度顺序颠倒" in html
    assert s.list_a.entries.count() == 1


def test_a_block_can_be_uploaded_as_a_geojson_file(town_a, s):
    feature = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                          "geometry": square(119.703, 29.115, 0.0012)}]}
    upload = SimpleUploadedFile("block.geojson", json.dumps(feature).encode(), content_type="application/geo+json")
    response = town_a.post(reverse("screening:list_add_block", args=[s.list_a.pk]),
                           {"label": "西侧空地", "reason": "测绘成果", "geojson_file": upload})
    assert response.status_code == 302
    assert s.list_a.entries.filter(label="西侧空地", source="added").exists()


# --- submission and review -----------------------------------------------------------------------

def test_submit_return_resubmit_accept_and_the_inventory(town_a, login, world, s):
    # town_a excludes nothing, adds a parcel and submits
    parcel_in(world, "A-902", world.township_a, 119.712)
    post(town_a, "screening:list_add_parcel", s.list_a.pk, key="A-902", reason="数据遗漏")
    assert post(town_a, "screening:list_submit", s.list_a.pk, note="已逐宗核实").status_code == 302
    lst = refreshed(s.list_a)
    assert (lst.status, lst.submitted_by, lst.note) == ("submitted", world.users["town_a"], "已逐宗核实")
    html = get(town_a, "screening:list_detail", lst.pk)
    assert 'data-testid="awaiting-review"' in html and 'data-testid="exclude-form"' not in html
    # a submitted list cannot be changed
    post(town_a, "screening:entry_exclude", s.block_a.pk, reason="data_error")
    assert refreshed(s.block_a).included
    assert "不能修改" in get(town_a, "screening:list_detail", lst.pk)

    lead = login(world.users["lead"])
    html = get(lead, "screening:list_detail", lst.pk)
    assert 'data-testid="section-review"' in html
    # returning needs a comment
    response = post(lead, "screening:list_review", lst.pk, decision="return", comment=" ")
    assert response.status_code == 400 and "退回时请填写审核意见" in response.content.decode()
    assert refreshed(lst).status == "submitted"
    assert post(lead, "screening:list_review", lst.pk, decision="return",
                comment="A-902 已开工，请核实").status_code == 302
    assert refreshed(lst).status == "returned"

    town_a = login(world.users["town_a"])
    html = get(town_a, "screening:list_detail", lst.pk)
    assert 'data-testid="returned-comment"' in html and "A-902 已开工，请核实" in html
    assert 'data-testid="section-submit"' in html
    added = lst.entries.get(source="added")
    post(town_a, "screening:entry_exclude", added.pk, reason="under_construction")
    assert post(town_a, "screening:list_submit", lst.pk).status_code == 302

    lead = login(world.users["lead"])
    assert post(lead, "screening:list_review", lst.pk, decision="accept").status_code == 302
    lst = refreshed(lst)
    assert lst.status == "accepted"
    block = refreshed(s.block_a)
    assert block.number == "2021-001-001"
    assert refreshed(added).number == ""
    html = get(lead, "screening:list_detail", lst.pk)
    assert "2021-001-001" in html
    history = html.split('data-testid="list-history"', 1)[1]
    assert re.findall(r'text-bg-\w+">(报送|退回|确认)<', history) == ["报送", "退回", "报送", "确认"]
    assert "A-902 已开工，请核实" in history and "已逐宗核实" in history

    inventory = get(lead, "screening:inventory")
    assert "2021-001-001" in inventory and "A-902" not in inventory
    inventory = get(login(world.users["town_a"]), "screening:inventory")
    assert "2021-001-001" in inventory


def test_only_the_district_lead_reviews(town_a, s):
    post(town_a, "screening:list_submit", s.list_a.pk)
    assert post(town_a, "screening:list_review", s.list_a.pk, decision="accept").status_code == 403
    assert refreshed(s.list_a).status == "submitted"


def test_reviewing_a_list_not_submitted_is_refused(login, world, s):
    response = post(login(world.users["lead"]), "screening:list_review", s.list_a.pk, decision="accept")
    assert response.status_code == 400
    assert "清单当前状态为“待核实”，不能确认" in response.content.decode()


def test_district_lead_adopts_the_district_list(login, world, s):
    lead = login(world.users["lead"])
    html = get(lead, "screening:list_detail", s.district_list.pk)
    assert 'data-testid="section-adopt"' in html and 'data-testid="section-submit"' not in html
    assert 'data-testid="late-warning"' not in html  # the district list has no township deadline
    assert post(lead, "screening:list_review", s.district_list.pk, decision="accept").status_code == 302
    numbers = sorted(s.district_list.entries.values_list("number", flat=True))
    assert numbers == ["2021-QJ-001", "2021-QJ-002"]
    html = get(lead, "screening:list_detail", s.district_list.pk)
    assert "已确认" in html and "确认采用" in html and 'data-testid="section-adopt"' not in html


# --- one entry -----------------------------------------------------------------------------------

def test_entry_page_shows_facts_parcels_map_and_history_link(town_a, world, s):
    html = get(town_a, "screening:entry_detail", s.block_a.pk)
    assert "涉及宗地 A-001" in html
    assert f'href="{reverse("land:parcel_detail", args=[world.parcel_a.pk])}"' in html
    assert 'data-island="drawblock"' in html and 'data-testid="history-link"' in html
    assert "清单确认、条目编号后" in html
    assert 'data-testid="section-actions"' in html


def test_entry_page_shows_its_work_plan_item(login, world):
    from pandi.screening import services

    ns = accepted(world)
    lead = world.users["lead"]
    services.workplan_assign(user=lead, entry=ns.block_a, year=2021, route="acquisition")
    html = get(login(lead), "screening:entry_detail", ns.block_a.pk)
    assert 'data-testid="entry-plan"' in html and "国企收购收储" in html
    assert ns.block_a.number in html


def test_a_township_officer_sees_their_district_list_entry_but_not_the_district_list(town_a, s):
    html = get(town_a, "screening:entry_detail", s.entry_a.pk)
    assert "A-001" in html
    assert s.district_list.get_absolute_url() not in html


# --- the official inventory ----------------------------------------------------------------------

def test_inventory_filters_by_township_and_kind_with_totals(login, world):
    ns = accepted(world)
    lead = login(world.users["lead"])
    html = get(lead, "screening:inventory")
    for e in (ns.entry_a, ns.entry_b, ns.block_a, ns.block_b):
        assert e.number and e.number in html
    overall = html.split('data-testid="inventory-overall"', 1)[1].split("</tr>", 1)[0]
    assert ">4<" in overall
    html = get(lead, "screening:inventory", township=world.township_a.pk, kind="block")
    assert ns.block_a.number in html and ns.block_b.number not in html and ns.entry_a.number not in html
    part = lead.get(reverse("screening:inventory"), {"kind": "parcel"}, HTTP_HX_REQUEST="true",
                    HTTP_HX_TARGET="inventory-table").content.decode()
    assert "<html" not in part and ns.entry_a.number in part and ns.block_a.number not in part


def test_inventory_of_a_township_officer_is_their_township_only(town_a, world):
    ns = accepted(world)
    html = get(town_a, "screening:inventory")
    assert ns.block_a.number in html and ns.entry_a.number in html
    assert ns.block_b.number not in html and "东孝街道" not in html


def test_inventory_is_empty_before_any_list_is_accepted(login, world, s):
    html = get(login(world.users["lead"]), "screening:inventory")
    assert 'data-testid="inventory-empty"' in html


# --- query counts --------------------------------------------------------------------------------

def _many_entries(lst: InventoryList, n: int) -> None:
    InventoryEntry.objects.bulk_create([
        InventoryEntry(inventory_list=lst, township_id=lst.township_id, kind="block", source="added",
                       block_id=f"X{i:04d}", label=f"补充地块 {i}", area_m2=Decimal(4000 + i),
                       geometry=square(119.701 + (i % 10) * 0.001, 29.101 + (i // 10) * 0.001, 0.0008),
                       basis=["乡镇补充"])
        for i in range(n)])


@pytest.mark.parametrize("username", ["lead", "town_a"])
def test_list_page_query_count_does_not_grow(login, world, s, django_assert_max_num_queries, username):
    client = login(world.users[username])
    get(client, "screening:list_detail", s.list_a.pk)  # warm the session
    _many_entries(s.list_a, 60)
    with django_assert_max_num_queries(10):  # session, user, roles, list, totals, page ids, rows, map, history
        html = get(client, "screening:list_detail", s.list_a.pk)
    assert html.count('data-testid="entry"') == 61


def test_inventory_query_count_does_not_grow(login, world, django_assert_max_num_queries):
    ns = accepted(world)
    _many_entries(ns.list_a, 70)
    InventoryEntry.objects.filter(inventory_list=ns.list_a, number="").update(number="2021-001-9")
    for i, e in enumerate(InventoryEntry.objects.filter(number="2021-001-9")):
        e.number = f"2021-001-{100 + i:03d}"
        e.save(update_fields=["number"])
    client = login(world.users["lead"])
    get(client, "screening:inventory")
    with django_assert_max_num_queries(9):  # session, user, roles, townships, campaign, totals, page ids, rows
        html = get(client, "screening:inventory")
    assert html.count('data-testid="inventory-row"') == 50

"""Land registry pages: the parcel list and its filters, the parcel page with all its sections,
the edit forms (through the services, into the history, errors in Chinese), enterprises."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from pandi.audit.models import AuditEntry
from pandi.land import services as land
from pandi.land.models import ConstructionFacts, Enterprise, Holding, Parcel, StandardLandConditions, SupplyContract

from ..conftest import square
from .test_map_api import bulk_parcels

pytestmark = pytest.mark.django_db


def page(client, name: str, *args, **params) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(html: str) -> list[str]:
    """The parcel keys in the list table, in order."""
    table = html.split('data-testid="parcel-table"', 1)[1]
    return re.findall(r'/land/parcels/\d+/">([^<]+)</a>', table)


@pytest.fixture
def many(world):
    """A few more parcels with distinct facts to filter on."""
    nr = world.users["nr"]
    big = land.parcel_create(user=nr, geometry=square(119.710, 29.110, 0.004),
                             data={"code": "A-002", "name": "大地块", "township": world.township_a})
    small = land.parcel_create(user=nr, geometry=square(119.713, 29.103, 0.0005),
                               data={"code": "A-003", "name": "小地块", "township": world.township_a,
                                     "land_use": "仓储用地"})
    land.contract_create(user=nr, parcel=small, data={"contract_date": date(2021, 5, 1),
                                                      "agreed_start": date(2030, 1, 1)})
    other = land.enterprise_create(user=nr, data={"name": "丙科技有限公司", "township": world.township_a})
    land.holding_add(user=nr, parcel=big, enterprise=other)
    unnumbered = land.parcel_create(user=nr, geometry=square(119.716, 29.113, 0.001),
                                    data={"supervision_no": "3307032020B00123", "township": world.township_a})
    return {"big": big, "small": small, "other": other, "unnumbered": unnumbered}


# --- parcel list ---------------------------------------------------------------------------------

def test_parcel_list_shows_the_users_parcels_with_area_in_mu(login, world):
    html = page(login(world.users["town_a"]), "land:parcel_list")
    assert listed(html) == ["A-001"]
    mu = (world.parcel_a.area_m2 * 15 / 10000).quantize(Decimal("0.01"))
    assert f"{mu}" in html and "甲公司" in html and "已供地·逾期未开工" in html
    assert "东孝街道" not in html and "B-001" not in html


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["A-001", "A-002", "A-003", "3307032020B00123", "B-001"]),
    ({"township": "B"}, ["B-001"]),
    ({"state": "not_due"}, ["A-003"]),
    ({"state": "no_supply"}, ["A-002", "3307032020B00123"]),
    ({"area_min": "100"}, ["A-002"]),                    # 0.004° square ≈ 17 ha ≈ 259 亩
    ({"area_max": "5"}, ["A-003"]),                      # 0.0005° square ≈ 4 亩
    ({"area_max": "17"}, ["A-003", "3307032020B00123"]), # 0.001° square ≈ 16.2 亩
    ({"area_min": "60", "area_max": "70"}, ["A-001", "B-001"]),
    ({"holder": "丙科技"}, ["A-002"]),
    ({"land_use": "仓储用地"}, ["A-003"]),
    ({"supply_year": "2021"}, ["A-003"]),
    ({"supply_year": "2019"}, ["A-001", "B-001"]),
    ({"q": "a-00"}, ["A-001", "A-002", "A-003"]),
    ({"q": "B00123"}, ["3307032020B00123"]),             # 电子监管号
    ({"q": "330721B001"}, ["B-001"]),                    # 电子监管号 of its supply contract
    ({"q": "大地块"}, ["A-002"]),
    ({"q": "乙公司"}, ["B-001"]),
    ({"sort": "-area"}, ["A-002", "A-001", "B-001", "3307032020B00123", "A-003"]),
    ({"sort": "code", "township": "A"}, ["3307032020B00123", "A-001", "A-002", "A-003"]),
])
def test_parcel_list_filters_and_sorting(login, world, many, params, expected):
    params = dict(params)
    if "township" in params:
        params["township"] = {"A": world.township_a.pk, "B": world.township_b.pk}[params["township"]]
    html = page(login(world.users["lead"]), "land:parcel_list", **params)
    got = listed(html)
    if "sort" in params:
        assert got == expected
    else:
        assert sorted(got) == sorted(expected)


def test_parcel_list_totals_and_bad_filters(login, world, many):
    client = login(world.users["lead"])
    html = page(client, "land:parcel_list", township=world.township_b.pk)
    assert re.search(r"共 <strong>1</strong> 宗", html)
    html = page(client, "land:parcel_list", area_min="abc", supply_year="x", township="y")
    assert listed(html) == []  # an unreadable township or year matches nothing; a bad area is ignored


def test_parcel_list_htmx_refresh_returns_the_table_only(login, world):
    client = login(world.users["lead"])
    response = client.get(reverse("land:parcel_list"), {"q": "B-"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert listed(html) == ["B-001"] and 'id="parcel-sort"' in html


def test_parcel_list_pages_by_fifty(login, world):
    bulk_parcels(world.township_a, 60, lon0=119.701)
    client = login(world.users["lead"])
    first = page(client, "land:parcel_list", sort="code")
    assert len(listed(first)) == 50 and "第 1/2 页" in first
    second = page(client, "land:parcel_list", sort="code", page=2)
    assert len(listed(second)) == 12
    assert "sort=code&amp;page=2" in first  # the pager keeps the filters


def test_parcel_list_links_to_exports_with_its_filters(login, world):
    try:
        url = reverse("land:parcel_export", kwargs={"fmt": "xlsx"})
    except NoReverseMatch:
        pytest.skip("exports are not installed yet")
    html = page(login(world.users["lead"]), "land:parcel_list", state="overdue", q="A")
    assert f"{url}?q=A&amp;state=overdue" in html


@pytest.mark.parametrize("username", ["lead", "town_a", "ent_a"])
def test_parcel_list_query_count_does_not_grow(login, world, django_assert_max_num_queries, username):
    client = login(world.users[username])
    page(client, "land:parcel_list")  # warm the session
    bulk_parcels(world.township_a, 70, lon0=119.701, enterprise=world.enterprise_a)
    with django_assert_max_num_queries(10):  # session, user, roles, queue count, totals, page ids, rows, 3 choices
        html = page(client, "land:parcel_list")
    assert len(listed(html)) == 50


def test_enterprise_list_query_count_does_not_grow(login, world, django_assert_max_num_queries):
    Enterprise.objects.bulk_create([Enterprise(name=f"企业{i:03d}", township=world.township_a) for i in range(55)])
    for e in Enterprise.objects.filter(name__startswith="企业")[:20]:
        bulk_parcels(world.township_a, 1, lon0=119.701, enterprise=e, prefix=f"E{e.pk}")
    client = login(world.users["lead"])
    page(client, "land:enterprise_list")
    with django_assert_max_num_queries(7):  # incl. the queue count in the navigation
        html = page(client, "land:enterprise_list")
    assert html.count("/land/enterprises/") >= 50


# --- parcel page -------------------------------------------------------------------------------

@pytest.fixture
def rich_parcel(world):
    nr = world.users["nr"]
    p = world.parcel_a
    land.parcel_update(user=nr, parcel=p, data={"supervision_no": "3307032019B00007", "real_estate_unit_no":
                                                "330703001001GB00001W00000000", "location": "金东区多湖街道光南路 1 号",
                                                "land_use_code": "0601"})
    contract = p.contracts.get()
    land.contract_update(user=nr, contract=contract, data={
        "district_text": "金东区", "project_name": "甲公司年产 10 万套智能装备项目", "project_location": "光南路以东",
        "land_source": "新增建设用地", "land_use": "工业用地", "supply_method": "挂牌出让", "term_years": 50,
        "industry": "通用设备制造业", "land_grade": "六级", "far_min": Decimal("1.2"), "far_max": Decimal("2.5"),
        "agreed_handover": date(2019, 3, 1), "actual_handover": date(2019, 3, 20),
        "agreed_completion": date(2021, 7, 10), "approval_authority": "金东区人民政府", "remarks": "含分期付款"})
    land.construction_update(user=nr, parcel=p, data={
        "permit_no": "330703201909100101", "permit_date": date(2019, 9, 10), "actual_start": date(2019, 10, 8),
        "suspended_since": date(2020, 6, 1), "invested_wan": Decimal("3200"), "total_investment_wan": Decimal("9000")})
    land.standard_conditions_update(user=nr, parcel=p, data={
        "agreement_no": "JD-BZD-2019-007", "industry_access": "C34", "investment_intensity_wan_per_mu": Decimal("350"),
        "far_min": Decimal("1.5"), "construction_months": 24, "tax_per_mu_wan": Decimal("30"),
        "output_per_mu_wan": Decimal("600")})
    land.building_create(user=nr, parcel=p, geometry=square(119.7055, 29.1055, 0.0004),
                         data={"floor_area_m2": Decimal("3000"), "storeys": 2, "source_ref": "JZ-1"})
    land.building_create(user=nr, parcel=p, geometry=square(119.7062, 29.1062, 0.0003),
                         data={"floor_area_m2": Decimal("1000"), "storeys": 1, "source_ref": "JZ-2"})
    p.refresh_from_db()
    return p


def test_parcel_page_shows_every_section(login, world, rich_parcel):
    p = rich_parcel
    html = page(login(world.users["lead"]), "land:parcel_detail", p.pk)
    # keys, township, area in m² and 亩, state with its colour
    for text in ("A-001", "3307032019B00007", "330703001001GB00001W00000000", "金东区多湖街道光南路 1 号", "多湖街道",
                 "（0601）", "在建", "#f59e0b"):
        assert text in html, text
    m2 = p.area_m2
    assert f"{m2:,.2f} 平方米" in html
    assert f"{(m2 * 15 / 10000).quantize(Decimal('0.01'))} 亩" in html
    # holders, every supply field, construction, buildings, 标准地
    assert "甲公司" in html and "土地使用权人" in html
    for label in ("电子监管号", "行政区", "项目名称", "项目位置", "面积（公顷）", "土地来源", "土地用途", "供地方式",
                  "土地使用年限", "行业分类", "土地级别", "成交价格（万元）", "土地使用权人", "约定容积率下限",
                  "约定容积率上限", "合同签订日期", "约定交地时间", "实际交地时间", "约定开工时间", "约定竣工时间",
                  "实际开工时间（供地记录）", "实际竣工时间（供地记录）", "批准单位", "备注"):
        assert f">{label}</dt>" in html, label
    for value in ("甲公司年产 10 万套智能装备项目", "挂牌出让", "50 年", "800 万元", "4 公顷（60.00 亩）", "六级",
                  "金东区人民政府"):
        assert value in html, value
    for value in ("330703201909100101", "2019-10-08", "2020-06-01", "3,200", "企业原因"):
        assert value in html, value
    assert 'data-testid="building-count">2<' in html and "4,000.00" in html  # floor area
    for value in ("JD-BZD-2019-007", "C34", "350", "24"):
        assert value in html, value
    # the map island with the parcel and its buildings
    config = json.loads(re.search(r'<script id="parcel-map-config" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert config["mode"] == "parcel" and config["parcel"]["properties"]["key"] == "A-001"
    assert len(config["buildings"]) == 2 and config["basemap"]["kind"] == "none" and config["basemap"]["layers"] == []
    assert 'data-island="map"' in html
    # the history
    assert reverse("audit:history", args=["land.parcel", p.pk]) in html


def test_parcel_timeline_is_in_date_order(login, world, rich_parcel):
    html = page(login(world.users["town_a"]), "land:parcel_detail", rich_parcel.pk)
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    dates = re.findall(r'pd-tl-date">(\d{4}-\d\d-\d\d)<', timeline)
    assert dates == sorted(dates) and len(dates) == 8
    for label in ("签订出让合同", "约定交地", "实际交地", "约定开工", "取得施工许可", "实际开工", "停工", "约定竣工"):
        assert label in timeline, label
    order = [timeline.index(x) for x in ("签订出让合同", "约定交地", "实际交地", "约定开工", "取得施工许可", "实际开工",
                                         "停工", "约定竣工")]
    assert order == sorted(order)


def test_enterprise_user_sees_own_parcel_without_edit_buttons(login, world):
    html = page(login(world.users["ent_a"]), "land:parcel_detail", world.parcel_a.pk)
    assert "A-001" in html and "编辑基本信息" not in html and "添加权利人" not in html
    assert reverse("land:parcel_edit", args=[world.parcel_a.pk]) not in html


# --- edit forms -----------------------------------------------------------------------------

def form_data(form_cls, instance, **changes):
    """What a browser posts for `instance` in this form, with `changes`."""
    data = {}
    for name in form_cls.field_names:
        value = getattr(instance, name) if instance is not None else None
        if value is None:
            value = ""
        elif hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, bool):
            value = "on" if value else ""
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_parcel_edit_writes_through_the_service_into_the_history(login, world):
    from pandi.land.forms import ParcelForm

    client = login(world.users["town_a"])
    p = world.parcel_a
    response = client.post(reverse("land:parcel_edit", args=[p.pk]), form_data(ParcelForm, p, name="甲公司新厂区",
                                                                                  location="光南路 9 号"))
    assert response.status_code == 302 and response["Location"] == p.get_absolute_url()
    assert Parcel.objects.get(pk=p.pk).name == "甲公司新厂区"
    history = page(client, "audit:history", "land.parcel", p.pk)
    assert "甲公司新厂区" in history and "town_a 测试" in history and "网页" in history


def test_parcel_edit_needs_a_key_and_unique_codes(login, world):
    from pandi.land.forms import ParcelForm

    client = login(world.users["lead"])
    url = reverse("land:parcel_edit", args=[world.parcel_a.pk])
    response = client.post(url, form_data(ParcelForm, world.parcel_a, code="", supervision_no=""))
    assert response.status_code == 400 and "宗地编号和电子监管号至少填写一项" in response.content.decode()
    response = client.post(url, form_data(ParcelForm, world.parcel_a, code="B-001"))
    assert response.status_code == 400 and "宗地编号“B-001”已存在" in response.content.decode()
    assert Parcel.objects.get(pk=world.parcel_a.pk).code == "A-001"


def test_township_officer_cannot_move_a_parcel_to_another_township(login, world):
    from pandi.land.forms import ParcelForm

    client = login(world.users["town_a"])
    response = client.post(reverse("land:parcel_edit", args=[world.parcel_a.pk]),
                           form_data(ParcelForm, world.parcel_a, township=world.township_b.pk))
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    assert Parcel.objects.get(pk=world.parcel_a.pk).township == world.township_a


def test_contract_with_far_max_below_far_min_is_refused_in_chinese(login, world):
    from pandi.land.forms import ContractForm

    contract = world.parcel_a.contracts.get()
    client = login(world.users["nr"])
    response = client.post(reverse("land:contract_edit", args=[world.parcel_a.pk, contract.pk]),
                           form_data(ContractForm, contract, far_min="2.0", far_max="1.2"))
    assert response.status_code == 400
    assert "约定容积率上限不能小于约定容积率下限" in response.content.decode()
    assert SupplyContract.objects.get(pk=contract.pk).far_max is None


def test_contract_edit_and_add_change_the_state_and_show_in_the_history(login, world):
    from pandi.land.forms import ContractForm

    contract = world.parcel_a.contracts.get()
    client = login(world.users["lead"])
    response = client.post(reverse("land:contract_edit", args=[world.parcel_a.pk, contract.pk]),
                           form_data(ContractForm, contract, agreed_start="2031-01-01", supply_method="挂牌出让"))
    assert response.status_code == 302
    assert Parcel.objects.get(pk=world.parcel_a.pk).state == "not_due"
    history = page(client, "audit:history", "land.supplycontract", contract.pk)
    assert "2031-01-01" in history and "lead 测试" in history
    response = client.post(reverse("land:contract_add", args=[world.parcel_a.pk]),
                           form_data(ContractForm, None, supervision_no="3307032022B00001", contract_date="2022-02-02",
                                     area_ha="1.5"))
    assert response.status_code == 302
    assert world.parcel_a.contracts.count() == 2


def test_holding_add_and_end(login, world):
    client = login(world.users["town_a"])
    other = land.enterprise_create(user=world.users["town_a"], data={"name": "丁制造有限公司",
                                                                     "township": world.township_a})
    url = reverse("land:holding_add", args=[world.parcel_a.pk])
    response = client.post(url, {"enterprise": other.pk, "role": "lessee", "start": "2022-01-01", "share": ""})
    assert response.status_code == 302
    assert set(Parcel.objects.get(pk=world.parcel_a.pk).holder_names.split("、")) == {"甲公司", "丁制造有限公司"}
    response = client.post(url, {"enterprise": other.pk, "role": "lessee"})
    assert response.status_code == 400 and "已是本宗地现行的承租人" in response.content.decode()
    response = client.post(url, {"enterprise": world.enterprise_b.pk, "role": "lessee"})
    assert response.status_code == 400  # 乙公司 is not among town_a's choices

    holding = Holding.objects.get(parcel=world.parcel_a, enterprise=other)
    end_url = reverse("land:holding_end", args=[world.parcel_a.pk, holding.pk])
    response = client.post(end_url, {"end": "2021-12-31"})
    assert response.status_code == 400 and "终止日期不能早于起始日期（2022-01-01）" in response.content.decode()
    response = client.post(end_url, {"end": "2023-06-30"})
    assert response.status_code == 302
    holding.refresh_from_db()
    assert not holding.is_current and holding.end == date(2023, 6, 30)
    assert Parcel.objects.get(pk=world.parcel_a.pk).holder_names == "甲公司"
    assert AuditEntry.objects.filter(object_id=str(holding.pk), content_type__model="holding").count() == 2


def test_construction_and_standard_forms(login, world):
    client = login(world.users["town_a"])
    url = reverse("land:construction_edit", args=[world.parcel_a.pk])
    response = client.post(url, {"idle_cause": "government", "actual_start": "2020-05-01",
                                 "actual_completion": "2020-04-01"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "实际竣工日期不能早于实际开工日期" in html and "须选择53号令第八条的具体项目" in html
    response = client.post(url, {"idle_cause": "holder", "actual_start": "2020-05-01", "permit_no": "X-1"})
    assert response.status_code == 302
    assert ConstructionFacts.objects.get(parcel=world.parcel_a).permit_no == "X-1"
    assert Parcel.objects.get(pk=world.parcel_a.pk).state == "under_construction"

    url = reverse("land:standard_edit", args=[world.parcel_a.pk])
    response = client.post(url, {"far_min": "2", "far_max": "1"})
    assert response.status_code == 400 and "容积率上限不能小于容积率下限" in response.content.decode()
    response = client.post(url, {"far_min": "1.2", "far_max": "3", "construction_months": "24",
                                 "industry_access": "C34,C35"})
    assert response.status_code == 302
    conditions = StandardLandConditions.objects.get(parcel=world.parcel_a)
    assert conditions.construction_months == 24 and conditions.far_max == Decimal("3")
    history = page(client, "audit:history", "land.standardlandconditions", conditions.pk)
    assert "C34,C35" in history


def test_writes_out_of_scope_or_without_permission_are_refused(login, world):
    url = reverse("land:construction_edit", args=[world.parcel_a.pk])
    assert login(world.users["town_b"]).post(url, {"idle_cause": "holder", "permit_no": "X"}).status_code == 404
    assert login(world.users["ent_a"]).post(url, {"idle_cause": "holder", "permit_no": "X"}).status_code == 403
    assert login(world.users["dept"]).post(url, {"idle_cause": "holder", "permit_no": "X"}).status_code == 403
    assert not ConstructionFacts.objects.exists()


# --- enterprises ------------------------------------------------------------------------------

def test_enterprise_create_and_edit(login, world):
    client = login(world.users["town_a"])
    response = client.post(reverse("land:enterprise_create"), {"name": "戊新材料有限公司",
                                                                "uscc": "91330703MA28DXXX1X",
                                                                "township": world.township_a.pk})
    assert response.status_code == 400 and "统一社会信用代码校验位错误" in response.content.decode()
    response = client.post(reverse("land:enterprise_create"), {"name": "戊新材料有限公司",
                                                                "township": world.township_b.pk})
    assert response.status_code == 400  # only 多湖街道 is offered to town_a
    response = client.post(reverse("land:enterprise_create"), {"name": " 戊新材料有限公司 ", "contact_person": "王五",
                                                                "township": world.township_a.pk})
    assert response.status_code == 302
    created = Enterprise.objects.get(name="戊新材料有限公司")
    assert response["Location"] == created.get_absolute_url()
    response = client.post(reverse("land:enterprise_edit", args=[created.pk]),
                           {"name": "戊新材料股份有限公司", "contact_person": "王五", "township": world.township_a.pk,
                            "above_scale": "on"})
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.name == "戊新材料股份有限公司" and created.above_scale
    history = page(client, "audit:history", "land.enterprise", created.pk)
    assert "戊新材料股份有限公司" in history


def test_enterprise_uscc_must_be_unique(login, world):
    from pandi.domain.uscc import uscc_check_char

    first17 = "91330703MA28DA1B0"
    uscc = first17 + uscc_check_char(first17)
    land.enterprise_update(user=None, check=False, enterprise=world.enterprise_b, data={"uscc": uscc})
    client = login(world.users["lead"])
    response = client.post(reverse("land:enterprise_edit", args=[world.enterprise_a.pk]),
                           {"name": "甲公司", "uscc": uscc.lower(), "township": world.township_a.pk})
    assert response.status_code == 400 and "已登记在其他企业名下" in response.content.decode()


def test_enterprise_list_and_page(login, world):
    client = login(world.users["town_a"])
    html = page(client, "land:enterprise_list")
    assert "甲公司" in html and "乙公司" not in html
    assert f'?enterprise={world.enterprise_a.pk}">1</a>' in html
    html = page(client, "land:enterprise_list", q="乙")
    assert "没有符合条件的企业" in html
    html = page(login(world.users["lead"]), "land:enterprise_detail", world.enterprise_a.pk)
    assert "A-001" in html and "甲公司厂区" in html and "ent_a 测试" in html  # its parcels and its people
    html = page(login(world.users["town_a"]), "land:enterprise_detail", world.enterprise_a.pk)
    assert "A-001" in html and "ent_a 测试" not in html  # town_a cannot see the enterprise's own accounts


def test_enterprise_parcel_link_filters_the_parcel_list(login, world):
    html = page(login(world.users["lead"]), "land:parcel_list", enterprise=world.enterprise_b.pk)
    assert listed(html) == ["B-001"] and "仅显示企业“" in html


# --- the map page ---------------------------------------------------------------------------

def map_config(html: str) -> dict:
    return json.loads(re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
                      .group(1))


def test_map_page_configures_the_island(login, world):
    html = page(login(world.users["town_a"]), "land:map")
    config = map_config(html)
    assert config["mode"] == "full" and config["basemap"] == {"kind": "none", "layers": []}
    assert config["api"]["parcels"] == reverse("api:map_parcels")
    assert [t["name"] for t in config["townships"]] == ["多湖街道"]
    assert config["extent"] == pytest.approx([119.70, 29.10, 119.72, 29.12])
    assert {s["value"] for s in config["states"]} >= {"overdue", "completed"}
    assert config["parcelUrl"].replace("{id}", "7") == reverse("land:parcel_detail", args=[7])
    assert "dist/pandi.css" in html


@pytest.mark.parametrize(("settings_", "kind", "needle"), [
    ({"PANDI_BASEMAP": "tianditu", "PANDI_TIANDITU_KEY": "abc123"}, "tianditu", "vec_w/wmts"),
    ({"PANDI_BASEMAP": "tianditu", "PANDI_TIANDITU_KEY": ""}, "none", None),
    ({"PANDI_BASEMAP": "osm"}, "osm", "tile.openstreetmap.org"),
    ({"PANDI_BASEMAP": "custom", "PANDI_TILE_URL": "http://tiles.intranet/{z}/{x}/{y}.png",
      "PANDI_TILE_ATTRIBUTION": "区测绘院"}, "custom", "tiles.intranet"),
])
def test_map_basemap_follows_the_settings(login, world, settings_, kind, needle):
    with override_settings(**settings_):
        config = map_config(page(login(world.users["lead"]), "land:map"))
    basemap = config["basemap"]
    assert basemap["kind"] == kind
    if needle is None:
        assert basemap["layers"] == [] and "PANDI_TIANDITU_KEY" in basemap["note"]
    else:
        assert needle in basemap["layers"][0]["url"]
    if kind == "tianditu":
        assert "cva_w/wmts" in basemap["layers"][1]["url"] and "tk=abc123" in basemap["layers"][0]["url"]
        assert "TILEMATRIXSET=w" in basemap["layers"][0]["url"]
    if kind == "custom":
        assert basemap["layers"][0]["attribution"] == "区测绘院"


def test_map_page_for_an_enterprise_user_opens_on_its_parcels(login, world):
    config = map_config(page(login(world.users["ent_a"]), "land:map"))
    assert config["townships"] == []
    assert config["extent"] == pytest.approx([119.705, 29.105, 119.707, 29.107])


def test_map_page_opens_on_a_visible_parcel_only(login, world):
    client = login(world.users["town_a"])
    config = map_config(page(client, "land:map", parcel=world.parcel_a.pk))
    assert config["focus"] == {"id": world.parcel_a.pk, "bbox": pytest.approx([119.705, 29.105, 119.707, 29.107])}
    html = page(client, "land:map", parcel=world.parcel_b.pk)
    assert map_config(html)["focus"] is None and "B-001" not in html


def test_timeline_shows_imports_with_the_file_only_to_those_who_see_import_batches(login, world):
    from pandi.land.models import ImportBatch

    batch = ImportBatch.objects.create(kind="supplies", file_name="多湖街道供地台账.xlsx", file_sha256="0" * 64,
                                       status="done")
    land.parcel_update(user=None, check=False, parcel=world.parcel_a, data={"import_batch": batch})
    html = page(login(world.users["lead"]), "land:parcel_detail", world.parcel_a.pk)
    timeline = html.split('data-testid="timeline"', 1)[1]
    assert "导入供地台账" in timeline and "多湖街道供地台账.xlsx" in timeline
    timeline = page(login(world.users["town_a"]), "land:parcel_detail", world.parcel_a.pk) \
        .split('data-testid="timeline"', 1)[1]
    assert "导入供地台账" in timeline and "供地台账.xlsx" not in timeline  # batches are district records


@pytest.mark.parametrize(("m2", "shown"), [(Decimal("43156.27"), "64.73"), (Decimal("666.67"), "1.00"),
                                           (1_000_000, "1,500.00"), (None, "—"), ("", "—")])
def test_mu_filter_shows_square_metres_in_mu(m2, shown):
    from pandi.core.templatetags.pandi import mu

    assert mu(m2) == shown


def test_state_badge_carries_the_map_colour():
    from pandi.core.templatetags.pandi import state_badge, state_colour

    assert state_colour("overdue") == "#dc2626" and state_colour("nonsense") == "#6b7280"
    html = state_badge("completed")
    assert "#16a34a" in html and "已竣工" in html

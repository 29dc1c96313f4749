"""Screening run pages: starting a run from the form (errors in Chinese, nothing written on bad
input), a run's page with its counts and tabs scoped to the user's township, generating the lists,
comparing two runs and downloading a run as JSON."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import unquote

import pytest
from django.urls import reverse

from pandi.screening import services
from pandi.screening.models import InventoryList, ScreeningRun
from tests.screening_world import second_run

from ..screening_world import screened

pytestmark = pytest.mark.django_db

SECRETS_OF_B = ("东孝街道", "B-001", "乙公司")
VALID = {"as_of": "2021-04-30", "district_min_mu": "20", "township_min_mu": "5", "contiguity_tolerance_m": "1",
         "min_width_m": "", "note": "正式排摸"}


def run_as_of(w, day: date) -> ScreeningRun:
    _outcome, run = services.run_execute(user=w.users["lead"], as_of=day, values={}, save=True, campaign=w.campaign)
    return run


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- starting a run -------------------------------------------------------------------------------

def test_the_form_starts_from_the_campaigns_deadline_and_thresholds_and_explains_them(login, world):
    body = html(login(world.users["lead"]).get(reverse("screening:run_create")))
    assert 'value="2021-04-30"' in body
    assert 'name="district_min_mu" value="20"' in body and 'name="township_min_mu" value="5"' in body
    assert 'name="contiguity_tolerance_m" value="1"' in body
    for words in ("判断日期", "区级清单门槛（亩）", "乡镇连片门槛（亩）", "连片容差（米）",
                  "区级清单含中止开发（待核定）", "最小可建宽度（米）", "留空表示不限", "被道路隔开的地块不算连片"):
        assert words in body


def test_lead_starts_a_run_from_the_form_and_lands_on_its_page_with_counts(login, world):
    client = login(world.users["lead"])
    response = client.post(reverse("screening:run_create"), VALID)
    run = ScreeningRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("screening:run_detail", args=[run.pk])
    assert run.as_of == date(2021, 4, 30) and run.note == "正式排摸" and run.source == "web"
    assert run.created_by == world.users["lead"] and run.campaign == world.campaign
    body = html(client.get(response["Location"]))
    assert "筛查完成" in body and "共判断 2 宗地" in body
    assert "判断日期 2021-04-30" in body
    district = body.split('data-testid="run-district-count"', 1)[1]
    assert "<strong>2</strong> 宗" in district[:200]
    assert "A-001" in body and "B-001" in body and "闲置满一年" in body


def test_the_parameters_chosen_are_saved_with_the_run(login, world):
    client = login(world.users["lead"])
    client.post(reverse("screening:run_create"), {**VALID, "district_min_mu": "100", "include_stalled": "on",
                                                  "min_width_m": "8"})
    run = ScreeningRun.objects.get()
    assert run.parameters["district_min_mu"] == 100 and run.parameters["include_stalled"] is True
    assert run.parameters["min_width_m"] == 8
    assert run.counts["district_list"] == 0   # both parcels are about 60 亩
    body = html(client.get(run.get_absolute_url()))
    assert "100 亩" in body and "8 米" in body


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"as_of": "2021-13-45"}, "as_of", "判断日期格式不对"),
    ({"as_of": "明天"}, "as_of", "判断日期格式不对"),
    ({"as_of": ""}, "as_of", "请填写判断日期"),
    ({"as_of": "1900-01-01"}, "as_of", "判断日期 1900-01-01 不合理"),
    ({"district_min_mu": "二十"}, "district_min_mu", "不是数字"),
    ({"district_min_mu": "-1"}, "district_min_mu", "超出范围"),
    ({"township_min_mu": "99999"}, "township_min_mu", "超出范围"),
    ({"contiguity_tolerance_m": "51"}, "contiguity_tolerance_m", "超出范围"),
    ({"min_width_m": "宽"}, "min_width_m", "不是数字"),
    ({"district_min_mu": ""}, "district_min_mu", "请填写区级清单门槛（亩）"),
])
def test_bad_input_shows_chinese_errors_and_writes_nothing(login, world, changes, field, message):
    client = login(world.users["lead"])
    response = client.post(reverse("screening:run_create"), {**VALID, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert message in " ".join(response.context["form"].errors[field])
    assert ScreeningRun.objects.count() == 0


def test_only_the_lead_and_admin_may_start_a_run(login, world):
    for username, expected in (("town_a", 403), ("nr", 403), ("ent_a", 404)):
        client = login(world.users[username])
        assert client.get(reverse("screening:run_create")).status_code == expected
        assert client.post(reverse("screening:run_create"), VALID).status_code == expected
    assert ScreeningRun.objects.count() == 0


# --- the list of runs -----------------------------------------------------------------------------

def test_run_list_shows_saved_runs_with_their_counts(login, world):
    ns = screened(world)
    body = html(login(world.users["lead"]).get(reverse("screening:run_list")))
    assert ns.run.get_absolute_url() in body and "2021-04-30" in body and "lead 测试" in body
    assert "2 宗" in body and "发起筛查" in body


def test_township_officer_sees_the_runs_with_their_townships_counts_only(login, world):
    screened(world)
    body = html(login(world.users["town_a"]).get(reverse("screening:run_list")))
    row = body.split('data-testid="run-table"', 1)[1]
    assert "1 宗" in row and "2 宗" not in row
    assert "发起筛查" not in body


def test_picking_two_runs_on_the_list_opens_their_comparison_earliest_first(login, world):
    later = screened(world).run
    earlier = second_run(world)
    client = login(world.users["lead"])
    response = client.get(reverse("screening:run_list"), {"a": later.pk, "b": earlier.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:run_compare", args=[earlier.pk]) + f"?with={later.pk}"
    body = html(client.get(reverse("screening:run_list"), {"a": later.pk, "b": later.pk}))
    assert "请选择两次不同的筛查进行比较" in body


def test_run_list_query_count_does_not_grow_with_runs(login, world, django_assert_max_num_queries):
    for day in (date(2020, 1, 1), date(2020, 6, 1), date(2021, 1, 1), date(2021, 4, 30), date(2022, 1, 1)):
        run_as_of(world, day)
    client = login(world.users["town_a"])
    with django_assert_max_num_queries(8):
        body = html(client.get(reverse("screening:run_list")))
    assert body.count("data-testid=\"run-table\"") == 1 and body.count("/screening/runs/") >= 5


# --- a run's page ---------------------------------------------------------------------------------

def test_run_page_shows_status_counts_townships_and_the_district_list(login, world):
    ns = screened(world)
    body = html(login(world.users["lead"]).get(ns.run.get_absolute_url()))
    for words in ("判断日期 2021-04-30", "区级清单门槛", "20 亩", "连片容差", "1 米", "不限", "未到期", "超期未动工",
                  "闲置满一年", "中止开发（待核定）", "在建", "已竣工", "日期不详", "多湖街道", "东孝街道", "合计"):
        assert words in body, words
    results = body.split('data-testid="run-results"', 1)[1]
    assert reverse("land:parcel_detail", args=[world.parcel_a.pk]) in results
    assert "A-001" in results and "B-001" in results
    assert "2019-07-10" in results                      # 动工期限
    assert "160.00" in results                          # 闲置费 20 % of 800 万元
    assert "<details>" in results and "第十四条第（一）项" in results
    assert "可无偿收回</span>" not in results           # two years overdue only from 2021-07-10
    later = run_as_of(world, date(2021, 7, 10))
    assert "可无偿收回</span>" in html(login(world.users["lead"]).get(later.get_absolute_url()))
    assert "生成清单" in body and "下载 JSON" in body and "与其他筛查比较" in body
    assert "/audit/" in body and "历史记录" in body


def test_township_officer_never_sees_another_township_on_the_run_page(login, world):
    ns = screened(world)
    client = login(world.users["town_a"])
    url = ns.run.get_absolute_url()
    for params in ({}, {"tab": "district"}, {"tab": "all"}, {"tab": "blocks"}, {"tab": "all", "q": "B-0"},
                   {"tab": "all", "township": world.township_b.pk}):
        body = html(client.get(url, params))
        assert "多湖街道" in body
        for secret in SECRETS_OF_B:
            assert secret not in body, (params, secret)
    assert "A-001" in html(client.get(url, {"tab": "all"}))
    blocks = html(client.get(url, {"tab": "blocks"}))
    assert "甲公司" in blocks and "A-001" in blocks
    assert "生成清单" not in html(client.get(url))


def test_all_parcels_tab_filters_by_status_township_and_search(login, world):
    ns = screened(world)
    client = login(world.users["lead"])
    url = ns.run.get_absolute_url()

    def rows(**params):
        body = html(client.get(url, {"tab": "all", **params}))
        return body.split('data-testid="run-results"', 1)[1]

    both = rows()
    assert "A-001" in both and "B-001" in both
    only_b = rows(township=world.township_b.pk)
    assert "B-001" in only_b and "A-001" not in only_b
    assert "A-001" not in rows(q="乙公司")
    assert "没有符合条件的宗地" in rows(status="completed")
    assert "A-001" in rows(status="nonsense")            # an unknown status is ignored, not a 500


def test_tabs_load_as_htmx_partials(login, world):
    ns = screened(world)
    client = login(world.users["lead"])
    response = client.get(ns.run.get_absolute_url(), {"tab": "blocks"}, HTTP_HX_REQUEST="true")
    body = html(response)
    assert "<html" not in body and 'data-testid="run-blocks"' in body and "甲公司" in body
    body = html(client.get(ns.run.get_absolute_url(), {"tab": "all"}, HTTP_HX_REQUEST="true"))
    assert 'data-testid="run-filters"' in body and "东孝街道" in body


def test_run_page_results_tab_query_count_is_pinned(login, world, django_assert_max_num_queries):
    ns = screened(world)
    client = login(world.users["town_a"])
    for tab in ("district", "all", "blocks"):
        with django_assert_max_num_queries(10):
            html(client.get(ns.run.get_absolute_url(), {"tab": tab}))


def test_enterprise_users_do_not_see_runs(login, world):
    ns = screened(world)
    client = login(world.users["ent_a"])
    for name in ("screening:run_detail", "screening:run_json", "screening:run_compare"):
        assert client.get(reverse(name, args=[ns.run.pk])).status_code == 404
    assert client.get(reverse("screening:run_list")).status_code == 404


def test_a_missing_run_is_404(login, world):
    assert login(world.users["lead"]).get(reverse("screening:run_detail", args=[999999])).status_code == 404


# --- generating the lists -------------------------------------------------------------------------

def test_propose_generates_the_lists_and_says_how_many(login, world):
    run = run_as_of(world, date(2021, 4, 30))
    assert InventoryList.objects.count() == 0
    client = login(world.users["lead"])
    response = client.post(reverse("screening:run_propose", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert InventoryList.objects.count() == 3
    body = html(client.get(response["Location"]))
    assert "生成或更新 3 份清单（区级清单 1 份，乡镇清单 2 份）" in body


def test_propose_is_refused_to_township_officers_and_only_by_post(login, world):
    run = run_as_of(world, date(2021, 4, 30))
    client = login(world.users["town_a"])
    assert client.post(reverse("screening:run_propose", args=[run.pk])).status_code == 403
    assert login(world.users["lead"]).get(reverse("screening:run_propose", args=[run.pk])).status_code == 405
    assert InventoryList.objects.count() == 0


def test_propose_without_a_current_campaign_explains_why(login, world):
    run = run_as_of(world, date(2021, 4, 30))
    ScreeningRun.objects.filter(pk=run.pk).update(campaign=None)
    type(world.campaign).objects.update(is_current=False)
    client = login(world.users["lead"])
    body = html(client.post(reverse("screening:run_propose", args=[run.pk]), follow=True))
    assert "没有当前行动" in body
    assert InventoryList.objects.count() == 0


# --- comparing two runs ---------------------------------------------------------------------------

def test_compare_lists_a_parcel_whose_status_changed_between_two_dates(login, world):
    early = run_as_of(world, date(2020, 1, 1))         # agreed start 2019-07-10 -> overdue, not a year
    late = run_as_of(world, date(2021, 4, 30))         # more than a year overdue -> idle
    client = login(world.users["town_a"])
    body = html(client.get(reverse("screening:run_compare", args=[early.pk]), {"with": late.pk}))
    changed = body.split('data-testid="compare-status-changed"', 1)[1].split("</section>", 1)[0]
    assert "A-001" in changed and "超期未动工" in changed and "闲置满一年" in changed
    assert changed.index("超期未动工") < changed.index("闲置满一年")
    assert reverse("land:parcel_detail", args=[world.parcel_a.pk]) in changed
    for secret in SECRETS_OF_B:
        assert secret not in body


def test_compare_lists_parcels_newly_in_the_district_list(login, world):
    before_start = run_as_of(world, date(2019, 7, 1))  # still within the agreed period
    late = run_as_of(world, date(2021, 4, 30))
    body = html(login(world.users["lead"]).get(reverse("screening:run_compare", args=[before_start.pk]),
                                               {"with": late.pk}))
    added = body.split('data-testid="compare-district-added"', 1)[1].split("</section>", 1)[0]
    assert "A-001" in added and "B-001" in added
    assert "未到期" in body
    removed = html(login(world.users["lead"]).get(reverse("screening:run_compare", args=[late.pk]),
                                                  {"with": before_start.pk}))
    assert "A-001" in removed.split('data-testid="compare-district-removed"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("other", ["", "abc", "999999", "same", "-1"])
def test_compare_without_a_usable_second_run_asks_to_choose(login, world, other):
    run = screened(world).run
    second_run(world)
    value = str(run.pk) if other == "same" else other
    body = html(login(world.users["lead"]).get(reverse("screening:run_compare", args=[run.pk]), {"with": value}))
    assert 'data-testid="compare-choose"' in body and "选择另一次筛查" in body


def test_compare_with_only_one_run_says_so(login, world):
    run = run_as_of(world, date(2021, 4, 30))
    body = html(login(world.users["lead"]).get(reverse("screening:run_compare", args=[run.pk])))
    assert "没有可比较的筛查" in body


# --- the JSON download ----------------------------------------------------------------------------

def test_json_download_is_the_stored_run_in_the_contract_shape(login, world):
    run = screened(world).run
    response = login(world.users["lead"]).get(reverse("screening:run_json", args=[run.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition.lower()
    assert unquote(disposition.split("''", 1)[1]) == f"筛查-2021-04-30-{run.pk}.json"
    data = json.loads(response.content)
    assert data["as_of"] == "2021-04-30" and data["run_id"] == run.pk
    assert data["parameters"]["district_min_mu"] == 20 and data["parameters"]["contiguity_tolerance_m"] == 1.0
    assert sorted(data["district_list"]) == ["A-001", "B-001"]
    a = next(p for p in data["parcels"] if p["parcel_code"] == "A-001")
    assert a["supervision_no"] == (world.parcel_a.supervision_no or None) and a["township"] == "多湖街道"
    assert a["status"] == "idle_not_started" and a["unbuilt"] is True and a["deemed_start"] == "2019-07-10"
    assert a["days_past_start"] == (date(2021, 4, 30) - date(2019, 7, 10)).days
    assert a["idle_fee_due"] is True and a["idle_fee_wan"] == 160.0 and a["free_recovery_due"] is False
    assert a["cause"] == "holder" and a["basis"] and isinstance(a["area_m2"], float)
    assert a["area_mu"] == round(a["area_m2"] * 15 / 10000, 2)
    assert set(data["township_lists"]) == {"多湖街道", "东孝街道"}
    block = data["vacant_blocks"][0]
    assert {"block_id", "township", "area_m2", "area_mu", "parcel_codes", "holders"} <= set(block)
    assert block["block_id"] in data["township_lists"][block["township"]]


def test_json_download_is_built_from_the_stored_results_not_rerun(login, world):
    from pandi.screening.models import ScreeningResult

    run = screened(world).run
    ScreeningResult.objects.filter(run=run, parcel=world.parcel_a).update(basis=["存档的依据"])
    data = json.loads(login(world.users["lead"]).get(reverse("screening:run_json", args=[run.pk])).content)
    assert next(p for p in data["parcels"] if p["parcel_code"] == "A-001")["basis"] == ["存档的依据"]


def test_township_officers_json_holds_only_their_township(login, world):
    run = screened(world).run
    response = login(world.users["town_a"]).get(reverse("screening:run_json", args=[run.pk]))
    text = response.content.decode()
    for secret in SECRETS_OF_B:
        assert secret not in text
    data = json.loads(text)
    assert [p["parcel_code"] for p in data["parcels"]] == ["A-001"]
    assert data["district_list"] == ["A-001"]
    assert list(data["township_lists"]) == ["多湖街道"] and len(data["township_lists"]["多湖街道"]) == 1
    assert all(b["township"] == "多湖街道" for b in data["vacant_blocks"])

import json

import pytest

from pandi.audit.models import AuditEntry
from pandi.screening.models import InventoryEntry, InventoryList, ScreeningRun, WorkPlanItem, WorkPlanTarget
from tests.screening_world import accepted, screened

pytestmark = pytest.mark.django_db

API = "/api/screening"
SECRETS_OF_B = ("东孝街道", "B-001", "乙公司")


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def messages(response) -> str:
    return json.dumps(response.json()["detail"], ensure_ascii=False)


# --- runs ------------------------------------------------------------------------------------------

def test_lead_creates_a_run_and_its_lists_through_the_api(login, world):
    response = post(login(world.users["lead"]), f"{API}/runs",
                    {"as_of": "2021-04-30", "parameters": {"district_min_mu": "20", "include_stalled": False},
                     "note": "接口筛查", "propose": True})
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["as_of"] == "2021-04-30" and run["created_by"] == "lead 测试" and run["source"] == "api"
    assert run["counts"]["parcels"] == 2 and run["counts"]["district_list"] == 2 and run["counts"]["blocks"] == 2
    assert run["parameters"]["district_min_mu"] == 20
    saved = ScreeningRun.objects.get(pk=run["id"])
    assert saved.note == "接口筛查" and saved.campaign == world.campaign
    assert InventoryList.objects.filter(campaign=world.campaign, run=saved).count() == 3
    assert AuditEntry.objects.filter(content_type__model="screeningrun", object_id=str(saved.pk)).get().source == "api"


def test_a_run_without_proposing_leaves_the_lists_alone(login, world):
    response = post(login(world.users["admin"]), f"{API}/runs", {"as_of": "2021-04-30"})
    assert response.status_code == 201
    assert not InventoryList.objects.exists()


@pytest.mark.parametrize(("body", "message"), [
    ({"as_of": "2021-13-01"}, "判断日期“2021-13-01”格式错误"),
    ({"as_of": ""}, "请填写判断日期"),
    ({"parameters": {"district_min_mu": "二十"}}, "不是数字"),
    ({"parameters": {"township_min_mu": -1}}, "超出范围"),
    ({"parameters": {"contiguity_tolerance_m": 500}}, "连片容差"),
    ({"parameters": {"district_min": 10}}, "未知的筛查参数：district_min"),
])
def test_bad_run_input_is_refused_in_chinese_and_nothing_is_written(login, world, body, message):
    response = post(login(world.users["lead"]), f"{API}/runs", {"as_of": "2021-04-30", "propose": True, **body})
    assert response.status_code == 422
    assert message in messages(response)
    assert not ScreeningRun.objects.exists() and not InventoryList.objects.exists()


def test_only_the_district_lead_may_run_and_enterprises_see_nothing(login, world):
    body = {"as_of": "2021-04-30"}
    assert post(login(world.users["town_a"]), f"{API}/runs", body).status_code == 403
    assert post(login(world.users["nr"]), f"{API}/runs", body).status_code == 403
    assert post(login(world.users["ent_a"]), f"{API}/runs", body).status_code == 404
    assert not ScreeningRun.objects.exists()
    ns = screened(world)
    client = login(world.users["ent_a"])
    for url in (f"{API}/runs", f"{API}/runs/{ns.run.pk}", f"{API}/lists", f"{API}/entries", f"{API}/workplan",
                f"{API}/entries/{ns.block_a.pk}"):
        assert client.get(url).status_code == 404, url


def test_results_filter_and_reject_an_unknown_status(login, world):
    ns = screened(world)
    client = login(world.users["lead"])
    data = client.get(f"{API}/runs/{ns.run.pk}/results?status=idle_not_started&district_list=true").json()
    assert data["count"] == 2
    row = data["items"][0]
    assert row["parcel_code"] == "A-001" and row["township"] == "多湖街道" and row["idle_fee_due"] is True
    assert row["area_mu"] > 20 and row["basis"] and row["deemed_start"] == "2019-07-10"
    assert client.get(f"{API}/runs/{ns.run.pk}/results?township={world.township_b.pk}").json()["count"] == 1
    assert client.get(f"{API}/runs/{ns.run.pk}/results?status=within_period").json()["count"] == 0
    bad = client.get(f"{API}/runs/{ns.run.pk}/results?status=idle")
    assert bad.status_code == 422 and "状态“idle”无效" in messages(bad)
    assert client.get(f"{API}/runs/{ns.run.pk + 100}").status_code == 404


def test_township_officer_sees_only_their_township(login, world):
    ns = accepted(world)
    client = login(world.users["town_a"])
    runs = client.get(f"{API}/runs").json()
    assert runs["count"] == 1 and runs["items"][0]["counts"]["parcels"] == 1
    results = client.get(f"{API}/runs/{ns.run.pk}/results").json()
    assert [r["parcel_code"] for r in results["items"]] == ["A-001"]
    blocks = client.get(f"{API}/runs/{ns.run.pk}/blocks").json()
    assert blocks["count"] == 1 and blocks["items"][0]["township"] == "多湖街道"
    assert blocks["items"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    lists = client.get(f"{API}/lists").json()
    assert [lst["township"] for lst in lists] == ["多湖街道"]
    entries = client.get(f"{API}/entries").json()
    assert entries["count"] == 2 and {e["township"] for e in entries["items"]} == {"多湖街道"}
    for url in (f"{API}/runs", f"{API}/runs/{ns.run.pk}", f"{API}/runs/{ns.run.pk}/results",
                f"{API}/runs/{ns.run.pk}/blocks", f"{API}/lists", f"{API}/lists/{ns.list_a.pk}", f"{API}/entries",
                f"{API}/workplan"):
        body = client.get(url).content.decode()
        for secret in SECRETS_OF_B:
            assert secret not in body, f"{url} shows {secret}"


def test_township_officer_gets_404_for_the_other_and_the_district_list(login, world):
    ns = screened(world)
    client = login(world.users["town_a"])
    assert client.get(f"{API}/lists/{ns.list_a.pk}").status_code == 200
    for lst in (ns.list_b, ns.district_list):
        assert client.get(f"{API}/lists/{lst.pk}").status_code == 404
        assert post(client, f"{API}/lists/{lst.pk}/submit").status_code == 404
        assert post(client, f"{API}/lists/{lst.pk}/entries", {"parcel_id": world.parcel_a.pk,
                                                             "reason": "漏报"}).status_code == 404
    assert client.get(f"{API}/entries/{ns.block_b.pk}").status_code == 404
    assert post(client, f"{API}/entries/{ns.block_b.pk}/exclude", {"reason": "planning"}).status_code == 404


def test_run_diff_is_scoped(login, world):
    from pandi.screening import services

    ns = screened(world)
    _o, strict = services.run_execute(user=world.users["lead"], as_of=ns.run.as_of,
                                      values={"district_min_mu": 100}, campaign=world.campaign)
    lead = login(world.users["lead"]).get(f"{API}/runs/{ns.run.pk}/diff?with={strict.pk}").json()
    assert {d["parcel_code"] for d in lead["district_removed"]} == {"A-001", "B-001"}
    assert lead["counts"]["district_removed"] == 2 and lead["with"] == strict.pk
    town_a = login(world.users["town_a"]).get(f"{API}/runs/{ns.run.pk}/diff?with={strict.pk}")
    assert [d["parcel_code"] for d in town_a.json()["district_removed"]] == ["A-001"]
    assert "东孝街道" not in town_a.content.decode()
    assert login(world.users["lead"]).get(f"{API}/runs/{ns.run.pk}/diff?with=999999").status_code == 404


# --- lists and the inventory -----------------------------------------------------------------------------

def test_submit_review_and_accept_give_the_entries_numbers(login, world):
    ns = screened(world)
    town_a, lead = world.users["town_a"], world.users["lead"]
    response = post(login(town_a), f"{API}/lists/{ns.list_a.pk}/submit", {"note": "已核实"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted" and response.json()["submitted_by"] == "town_a 测试"
    again = post(login(town_a), f"{API}/lists/{ns.list_a.pk}/submit")
    assert again.status_code == 422 and "不能报送" in messages(again)
    assert post(login(town_a), f"{API}/lists/{ns.list_a.pk}/review", {"accept": True}).status_code == 403

    client = login(lead)
    no_comment = post(client, f"{API}/lists/{ns.list_a.pk}/review", {"accept": False, "comment": " "})
    assert no_comment.status_code == 422 and "退回时请填写审核意见" in messages(no_comment)
    returned = post(client, f"{API}/lists/{ns.list_a.pk}/review", {"accept": False, "comment": "请补充核实"})
    assert returned.json()["status"] == "returned" and returned.json()["review_comment"] == "请补充核实"
    assert post(login(town_a), f"{API}/lists/{ns.list_a.pk}/submit").status_code == 200
    client = login(lead)
    done = post(client, f"{API}/lists/{ns.list_a.pk}/review", {"accept": True, "comment": "同意"})
    assert done.status_code == 200 and done.json()["status"] == "accepted" and done.json()["entries"] == 1
    adopt = post(client, f"{API}/lists/{ns.district_list.pk}/review", {"accept": True})
    assert adopt.json()["status"] == "accepted" and adopt.json()["kind"] == "district"

    entries = client.get(f"{API}/entries").json()["items"]
    assert sorted(e["number"] for e in entries) == ["2021-001-001", "2021-QJ-001", "2021-QJ-002"]
    detail = client.get(f"{API}/lists/{ns.list_a.pk}").json()
    assert detail["items"][0]["number"] == "2021-001-001" and detail["entries_count"] == 1
    assert client.get(f"{API}/entries?kind=block").json()["count"] == 1
    assert client.get(f"{API}/entries?township={world.township_b.pk}").json()["count"] == 1
    assert client.get(f"{API}/entries?kind=x").status_code == 422


def test_exclude_needs_a_reason_and_include_restores(login, world):
    ns = screened(world)
    client = login(world.users["town_a"])
    url = f"{API}/entries/{ns.block_a.pk}"
    missing = post(client, f"{url}/exclude", {"note": "规划调整"})
    assert missing.status_code == 422 and "请选择剔除原因" in messages(missing)
    other = post(client, f"{url}/exclude", {"reason": "other"})
    assert other.status_code == 422 and "须填写说明" in messages(other)
    assert InventoryEntry.objects.get(pk=ns.block_a.pk).included
    done = post(client, f"{url}/exclude", {"reason": "planning", "note": "规划调整为道路"})
    assert done.status_code == 200
    assert done.json()["included"] is False and done.json()["exclusion_reason_label"] == "规划调整"
    assert client.get(f"{API}/lists/{ns.list_a.pk}").json()["excluded"] == 1
    back = post(client, f"{url}/include")
    assert back.status_code == 200 and back.json()["included"] is True and back.json()["exclusion_reason"] == ""
    assert post(login(world.users["nr"]), f"{url}/exclude", {"reason": "planning"}).status_code == 403


def test_township_adds_a_parcel_or_a_drawn_block(login, world):
    from pandi.land import services as land
    from tests.conftest import square

    ns = screened(world)
    extra = land.parcel_create(user=None, check=False, geometry=square(119.710, 29.112),
                               data={"code": "A-002", "township": world.township_a})
    client = login(world.users["town_a"])
    url = f"{API}/lists/{ns.list_a.pk}/entries"
    no_reason = post(client, url, {"parcel_id": extra.pk})
    assert no_reason.status_code == 422 and "请填写补充理由" in messages(no_reason)
    added = post(client, url, {"parcel_id": extra.pk, "reason": "实地核查：厂房未建"})
    assert added.status_code == 201, added.content
    assert added.json()["source"] == "added" and added.json()["parcel_ids"] == [extra.pk]
    twice = post(client, url, {"parcel_id": extra.pk, "reason": "重复"})
    assert twice.status_code == 422 and "已在本清单中" in messages(twice)
    assert post(client, url, {"parcel_id": world.parcel_b.pk, "reason": "漏报"}).status_code == 404
    neither = post(client, url, {"reason": "漏报"})
    assert neither.status_code == 422 and "二者选一" in messages(neither)
    drawn = post(client, url, {"geometry": square(119.715, 29.115, 0.001), "label": "河边空地", "reason": "漏报"})
    assert drawn.status_code == 201 and drawn.json()["kind"] == "block" and drawn.json()["area_m2"] > 5000
    outside = post(client, url, {"geometry": square(119.735, 29.115, 0.001), "label": "东边", "reason": "漏报"})
    assert outside.status_code == 422 and "不在多湖街道范围内" in messages(outside)
    assert ns.list_a.entries.count() == 3


# --- the work plan -------------------------------------------------------------------------------------

def test_work_plan_assign_and_targets(login, world):
    ns = accepted(world)
    client = login(world.users["lead"])
    soe = world.orgs["GZGS"]
    url = f"{API}/workplan/{ns.block_a.pk}"
    response = put(client, url, {"year": 2022, "route": "acquisition", "responsible_department_id": soe.pk,
                                 "note": "收储"})
    assert response.status_code == 200, response.content
    item = response.json()
    assert item["route_label"] == "国企收购收储" and item["responsible_township"] == "多湖街道"
    assert item["responsible_department"] == "区属国资公司" and item["number"] == "2021-001-001"
    assert put(client, url, {"year": 2022, "route": "sell"}).status_code == 422
    assert "超出行动期" in messages(put(client, url, {"year": 2040, "route": "self"}))
    wrong_dept = put(client, url, {"year": 2022, "route": "self", "responsible_department_id": world.township_b.pk})
    assert wrong_dept.status_code == 422 and "责任部门" in messages(wrong_dept)
    target = put(client, f"{API}/workplan/targets", {"township_id": world.township_a.pk, "year": 2021,
                                                     "target_mu": 120.5, "target_m2": 30000})
    assert target.status_code == 200 and target.json()["target_mu"] == 120.5
    assert put(client, f"{API}/workplan/targets", {"township_id": world.township_a.pk, "year": 2021,
                                                   "target_mu": -1}).status_code == 422
    assert put(client, f"{API}/workplan/targets", {"township_id": soe.pk, "year": 2021}).status_code == 422
    plan = client.get(f"{API}/workplan").json()
    assert plan["count"] == 1 and plan["items"][0]["entry_id"] == ns.block_a.pk
    assert plan["targets"] == [{"township_id": world.township_a.pk, "township": "多湖街道", "year": 2021,
                                "target_mu": 120.5, "target_m2": 30000.0}]
    entry = client.get(f"{API}/entries/{ns.block_a.pk}").json()
    assert entry["plan"]["year"] == 2022 and entry["plan"]["route"] == "acquisition"
    assert WorkPlanItem.objects.get().year == 2022 and WorkPlanTarget.objects.count() == 1


def test_work_plan_writes_need_the_lead(login, world):
    ns = accepted(world)
    for name in ("town_a", "nr"):
        client = login(world.users[name])
        assert put(client, f"{API}/workplan/{ns.block_a.pk}", {"year": 2021, "route": "self"}).status_code == 403
        assert put(client, f"{API}/workplan/targets", {"township_id": world.township_a.pk,
                                                       "year": 2021}).status_code == 403
    assert put(login(world.users["town_b"]), f"{API}/workplan/{ns.block_a.pk}",
               {"year": 2021, "route": "self"}).status_code == 404
    assert not WorkPlanItem.objects.exists() and not WorkPlanTarget.objects.exists()


def test_only_numbered_entries_enter_the_work_plan(login, world):
    ns = screened(world)
    response = put(login(world.users["lead"]), f"{API}/workplan/{ns.block_a.pk}", {"year": 2021, "route": "self"})
    assert response.status_code == 422 and "只有已确认清单中的条目" in messages(response)


# --- auth, paging, query counts ----------------------------------------------------------------------------

def test_bearer_token_works_and_is_scoped(client, world):
    from pandi.accounts.services import api_token_create

    ns = screened(world)
    _token, key = api_token_create(user=world.users["town_a"], name="乡镇对接")
    response = client.get(f"{API}/lists", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and [lst["township"] for lst in response.json()] == ["多湖街道"]
    assert client.get(f"{API}/lists/{ns.list_b.pk}", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 404
    submitted = client.post(f"{API}/lists/{ns.list_a.pk}/submit", json.dumps({"note": "接口报送"}),
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert client.get(f"{API}/lists", HTTP_AUTHORIZATION="Bearer pandi_wrong").status_code == 401
    assert client.get(f"{API}/lists").status_code == 401


def test_lists_are_paged_within_limits(login, world):
    from pandi.screening import services

    for _ in range(3):
        services.run_execute(user=world.users["lead"], as_of=screened(world).run.as_of, campaign=world.campaign)
    client = login(world.users["lead"])
    page = client.get(f"{API}/runs?limit=2").json()
    assert page["count"] == 4 and len(page["items"]) == 2 and page["limit"] == 2
    last = client.get(f"{API}/runs?limit=2&offset=3").json()
    assert len(last["items"]) == 1 and last["offset"] == 3
    assert client.get(f"{API}/runs?limit=100000").json()["limit"] == 500
    assert client.get(f"{API}/runs?limit=0&offset=-5").json() | {"items": None} == {
        "count": 4, "limit": 1, "offset": 0, "items": None}
    run = screened(world).run.pk
    results = client.get(f"{API}/runs/{run}/results?limit=1&offset=1").json()
    assert results["count"] == 2 and [r["parcel_code"] for r in results["items"]] == ["B-001"]
    assert len(client.get(f"{API}/runs/{run}/blocks?limit=1").json()["items"]) == 1


@pytest.mark.parametrize(("path", "queries"), [
    ("/runs", 5),                 # session, user, memberships + count, page
    ("/runs/{run}/results", 6),   # + the run, count, page
    ("/runs/{run}/blocks", 6),
    ("/lists", 5),                # + campaign, lists with their counts
    ("/lists/{list_a}", 8),       # + the list, the overview, entry count, entries, their plan items
    ("/entries", 7),              # + campaign, count, page, plan items
    ("/workplan", 7),             # + campaign, count, page, targets
])
def test_list_endpoints_have_bounded_queries(login, world, django_assert_max_num_queries, path, queries):
    from pandi.screening import services

    ns = accepted(world)
    lead = world.users["lead"]
    for entry in (ns.entry_a, ns.entry_b, ns.block_a, ns.block_b):
        services.workplan_assign(user=lead, entry=entry, year=2021, route="self")
    for _ in range(2):
        services.run_execute(user=lead, as_of=ns.run.as_of, campaign=world.campaign)
    url = API + path.format(run=ns.run.pk, list_a=ns.list_a.pk)
    client = login(world.users["town_a"])
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200
    client = login(lead)
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200


def test_schema_errors_are_reported_in_chinese(world, login):
    from django.urls import reverse

    client = login(world.users["lead"])
    response = client.put(reverse("api:screening_workplan_target_set"),
                          data={"township_id": "甲", "year": 2021, "target_mu": 1, "target_m2": 1},
                          content_type="application/json")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["township_id"] == ["“township_id”应为整数"]

"""The plan pages: an enterprise writes its plan, the township returns or approves it, 区经商局 files
it; incomplete plans say what is missing; scoping, permissions, optimistic locking, one open plan per
entry, amendments, the signed links (rate-limited) and the plan state on the parcel page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from pandi.domain.dates import add_months
from pandi.rectification import services
from pandi.rectification.models import AccessLink, PlanVersion, RectificationPlan
from tests.rectification_world import START, drafted, filed, plan_data, plan_steps
from tests.screening_world import accepted

pytestmark = pytest.mark.django_db

CONFLICT = "该整改方案已被他人修改，请刷新页面后重试"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def form_data(*, steps: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """What the browser posts: the content fields and the steps table's parallel columns."""
    data: dict[str, Any] = {k: "" if v is None else str(v) for k, v in plan_data(**overrides).items()}
    rows = plan_steps() if steps is None else steps
    data["step_month"] = [f"{s['month']:%Y-%m}" for s in rows]
    for f in ("action", "milestone", "floor_area_m2", "investment_wan"):
        data[f"step_{f}"] = [str(s[f]) for s in rows]
    return data


def detail(plan: Any) -> str:
    return reverse("rectification:plan_detail", args=[plan.pk])


def transition(client: Client, plan: Any, action: str, comment: str = "", lock: int | None = None) -> Any:
    lock = RectificationPlan.objects.get(pk=plan.pk).lock_version if lock is None else lock
    return client.post(reverse("rectification:plan_transition", args=[plan.pk]),
                       {"action": action, "comment": comment, "lock_version": lock})


def fresh(plan: Any) -> RectificationPlan:
    return RectificationPlan.objects.get(pk=plan.pk)


def test_enterprise_creates_a_draft_from_the_page(login, world):
    entry = accepted(world).entry_a
    client = login(world.users["ent_a"])
    page = client.get(reverse("rectification:plan_create") + f"?entry={entry.pk}")
    assert page.status_code == 200
    assert entry.number in page.content.decode()
    response = client.post(reverse("rectification:plan_create"),
                           {**form_data(), "entries": [entry.pk]})
    assert response.status_code == 302
    plan = RectificationPlan.objects.get()
    assert response["Location"] == detail(plan)
    assert (plan.status, plan.enterprise, plan.township) == ("draft", world.enterprise_a, world.township_a)
    assert plan.steps.count() == 12 and plan.created_by == world.users["ent_a"]
    body = client.get(detail(plan)).content.decode()
    assert "草稿" in body and "新建整改方案" in body  # the status and the first timeline event


def test_township_officer_enters_a_plan_on_behalf_of_the_enterprise(login, world):
    entry = accepted(world).entry_a
    client = login(world.users["town_a"])
    page = client.get(reverse("rectification:plan_create")).content.decode()
    assert entry.number in page and "甲公司" in page
    response = client.post(reverse("rectification:plan_create"),
                           {**form_data(), "entries": [entry.pk], "enterprise": world.enterprise_a.pk})
    assert response.status_code == 302
    assert RectificationPlan.objects.get().events.first().label == "新建整改方案（乡镇代填）"


def test_plan_form_shows_errors_per_field_and_per_step_row(login, world):
    entry = accepted(world).entry_a
    steps = plan_steps()
    steps[1]["floor_area_m2"] = "两千"
    steps[3]["month"] = steps[2]["month"]
    data = {**form_data(steps=steps, jobs="-3", start="2021-13-01"), "entries": [entry.pk]}
    response = login(world.users["ent_a"]).post(reverse("rectification:plan_create"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "日期格式错误" in body and "不能为负数" in body
    assert "第 2 行：计划建筑面积“两千”不是数字" in body
    assert "第 4 行：2021年08月与第 3 行重复" in body
    assert not RectificationPlan.objects.exists()


def test_generate_months_fills_one_row_per_month_without_saving(login, world):
    entry = accepted(world).entry_a
    data = {**form_data(steps=[]), "entries": [entry.pk], "generate": "1"}
    response = login(world.users["ent_a"]).post(reverse("rectification:plan_create"), data)
    assert response.status_code == 200
    months = re.findall(r'name="step_month" value="(\d{4}-\d{2})"', response.content.decode())
    assert months == [f"{add_months(START, i):%Y-%m}" for i in range(12)]
    assert not RectificationPlan.objects.exists()


def test_incomplete_plan_cannot_be_submitted_and_says_what_is_missing(login, world):
    start, deadline = date(2021, 7, 1), date(2022, 8, 31)
    steps = [s for s in plan_steps(start=start, months=14) if s["month"] != date(2021, 9, 1)]
    plan = services.plan_create(user=world.users["ent_a"], entries=[accepted(world).entry_a],
                                data=plan_data(start=start, deadline=deadline), steps=steps)
    client = login(world.users["ent_a"])
    assert "提交审核前还需完善" in client.get(detail(plan)).content.decode()
    response = transition(client, plan, "submit")
    assert response.status_code == 400
    body = response.content.decode()
    assert "缺少以下月份的实施步骤：2021年09月" in body
    assert "整改须于 2021年06月30日 前启动" in body
    assert "请填写延期理由" in body
    assert fresh(plan).status == "draft"
    # the reason for the longer period is enough for the deadline (not for the start)
    services.plan_update(user=world.users["ent_a"], plan=fresh(plan), data={"exception_reason": "需二次环评"})
    body = transition(client, plan, "submit").content.decode()
    assert "请填写延期理由" not in body and "前启动" in body


def test_review_return_resubmit_approve_and_file(login, world, client):
    plan = drafted(world)
    ent, town, lead = world.users["ent_a"], world.users["town_a"], world.users["lead"]
    client.force_login(ent)
    assert transition(client, plan, "submit").status_code == 302
    client.force_login(town)
    refused = transition(client, plan, "return")
    assert refused.status_code == 400 and "退回修改时请填写说明或意见" in refused.content.decode()
    assert fresh(plan).status == "submitted"
    assert transition(client, plan, "return", "请补充分期投资计划").status_code == 302
    assert fresh(plan).status == "returned"
    client.force_login(ent)
    page = client.get(detail(plan)).content.decode()
    assert "请补充分期投资计划" in page and "修改方案" in page
    edit = reverse("rectification:plan_edit", args=[plan.pk])
    assert client.get(edit).status_code == 200
    data = {**form_data(approach="一期 2 万平方米，投资 3000 万元；二期 3000 万元"),
            "lock_version": fresh(plan).lock_version, "submit": "1"}
    assert client.post(edit, data).status_code == 302
    assert (fresh(plan).status, fresh(plan).approach[:2]) == ("submitted", "一期")
    client.force_login(town)
    assert transition(client, plan, "approve").status_code == 302
    client.force_login(lead)
    assert transition(client, plan, "file").status_code == 302
    assert fresh(plan).status == "filed"
    body = client.get(detail(plan)).content.decode()
    timeline = body[body.index('data-testid="plan-timeline"'):]
    for label in ("新建整改方案", "提交审核", "退回修改", "审核通过", "备案"):
        assert label in timeline
    history = re.search(r'href="([^"]+)" data-testid="history-link"', body).group(1)
    assert client.get(history).status_code == 200


@pytest.mark.parametrize("username", ["ent_b", "town_b"])
def test_other_enterprise_and_township_get_404_on_the_plan(login, world, username):
    plan = drafted(world)
    client = login(world.users[username])
    assert client.get(detail(plan)).status_code == 404
    assert client.get(reverse("rectification:plan_edit", args=[plan.pk])).status_code == 404
    assert transition(client, plan, "submit").status_code == 404
    body = client.get(reverse("rectification:plan_list")).content.decode()
    assert "甲公司" not in body


@pytest.mark.parametrize("username", ["lead", "admin", "dept", "nr"])
def test_district_users_cannot_approve_or_edit(login, world, username):
    plan = drafted(world)
    services.plan_transition(user=world.users["ent_a"], plan=plan, action="submit")
    client = login(world.users[username])
    assert client.get(detail(plan)).status_code == 200
    assert transition(client, plan, "approve").status_code == 403
    assert client.get(reverse("rectification:plan_edit", args=[plan.pk])).status_code == 403
    assert fresh(plan).status == "submitted"


def test_stale_lock_version_is_a_conflict_and_changes_nothing(login, world, client):
    plan = drafted(world)
    stale = plan.lock_version
    edit = reverse("rectification:plan_edit", args=[plan.pk])
    client.force_login(world.users["town_a"])
    assert client.post(edit, {**form_data(measures="乡镇修改"), "lock_version": stale}).status_code == 302
    client.force_login(world.users["ent_a"])
    response = client.post(edit, {**form_data(measures="企业修改", steps=plan_steps()[:3]), "lock_version": stale})
    assert response.status_code == 400
    assert CONFLICT in response.content.decode()
    assert fresh(plan).measures == "乡镇修改" and plan.steps.count() == 12
    # a workflow action with the stale lock is refused as well
    response = transition(client, plan, "submit", lock=stale)
    assert response.status_code == 400 and CONFLICT in response.content.decode()


def test_second_open_plan_for_the_same_entry_is_refused(login, world):
    plan = drafted(world)
    entry = accepted(world).entry_a
    client = login(world.users["ent_a"])
    page = client.get(reverse("rectification:plan_create")).content.decode()
    assert "已有未办结的整改方案" in page and detail(plan) in page
    response = client.post(reverse("rectification:plan_create"), {**form_data(), "entries": [entry.pk]})
    assert response.status_code == 400
    assert "所选清单地块已有未办结的整改方案" in response.content.decode()
    assert RectificationPlan.objects.count() == 1


def test_entries_of_others_cannot_be_planned(login, world):
    entry_b = accepted(world).entry_b
    client = login(world.users["ent_a"])
    assert client.get(reverse("rectification:plan_create") + f"?entry={entry_b.pk}").status_code == 404
    response = client.post(reverse("rectification:plan_create"), {**form_data(), "entries": [entry_b.pk]})
    assert response.status_code == 404


def _make_link(login, world, purpose: str = "plan") -> str:
    plan = drafted(world)
    response = login(world.users["town_a"]).post(reverse("rectification:link_create", args=[plan.pk]),
                                                 {"purpose": purpose, "days": "7"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    url = re.search(r'data-testid="link-url" value="([^"]+)"|value="([^"]+)"[^>]*data-testid="link-url"',
                    response.content.decode())
    full = next(g for g in url.groups() if g)
    assert full.startswith("http://testserver/rectification/link/")
    return full.removeprefix("http://testserver")


def test_link_flow_an_anonymous_enterprise_edits_and_submits_its_plan(login, world):
    path = _make_link(login, world)
    plan = drafted(world)
    anon = Client()
    welcome = anon.get(path)
    assert welcome.status_code == 200 and "甲公司" in welcome.content.decode()
    form = anon.get(reverse("rectification:link_plan"))
    assert form.status_code == 200 and "保存并提交审核" in form.content.decode()
    data = {**form_data(measures="通过链接填写的措施"), "lock_version": fresh(plan).lock_version, "submit": "1"}
    assert anon.post(reverse("rectification:link_plan"), data).status_code == 302
    plan = fresh(plan)
    assert (plan.status, plan.measures) == ("submitted", "通过链接填写的措施")
    assert plan.events.last().actor_name == "甲公司（填报链接）"
    assert "已提交" in anon.get(reverse("rectification:link_plan")).content.decode()
    # nothing else is reachable with the link
    assert anon.get(detail(plan)).status_code == 302
    assert anon.get(reverse("rectification:plan_list")).status_code == 302
    link = AccessLink.objects.get()
    assert link.uses == 1


def test_expired_revoked_and_garbage_links_are_not_accepted(login, world):
    path = _make_link(login, world)
    link = AccessLink.objects.get()
    anon = Client()
    assert anon.get("/rectification/link/garbage-token/").status_code == 404
    assert anon.get(path).status_code == 200
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert anon.get(reverse("rectification:link_plan")).status_code == 410  # the open session ends too
    assert anon.get(path).status_code == 410
    assert anon.get(reverse("rectification:link_plan")).status_code == 302  # to the login page
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(days=1))
    services.link_revoke(user=world.users["town_a"], link=AccessLink.objects.get())
    response = anon.get(path)
    assert response.status_code == 410 and "链接已失效" in response.content.decode()


@override_settings(PANDI_LINK_RATE=5)
def test_link_endpoint_is_rate_limited_per_client(world):
    anon = Client()
    codes = [anon.get(f"/rectification/link/guess-{i}/").status_code for i in range(6)]
    assert codes == [404] * 5 + [429]
    response = anon.get("/rectification/link/guess-x/")
    assert response.status_code == 429 and "访问过于频繁" in response.content.decode()
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/rectification/link/guess-y/").status_code == 404


def test_amendment_creates_version_2_and_keeps_version_1(login, world):
    plan = filed(world)
    client = login(world.users["ent_a"])
    assert transition(client, plan, "amend").status_code == 400  # a comment is required
    assert transition(client, plan, "amend", "二期改为 2023 年建设").status_code == 302
    plan = fresh(plan)
    assert (plan.status, plan.version) == ("draft", 2)
    old = PlanVersion.objects.get(plan=plan)
    assert old.version == 1 and old.content["measures"] == plan_data()["measures"]
    assert len(old.content["steps"]) == 12
    body = client.get(detail(plan)).content.decode()
    assert "第 2 版" in body and 'data-testid="plan-version-1"' in body


def test_parcel_page_shows_the_plan_with_its_status(login, world):
    plan = drafted(world)
    for username in ("town_a", "ent_a", "lead"):
        body = login(world.users[username]).get(reverse("land:parcel_detail", args=[world.parcel_a.pk])).content
        body = body.decode()
        assert 'data-testid="section-plans"' in body
        section = body[body.index('data-testid="section-plans"'):]
        assert "草稿" in section[:3000] and detail(plan) in section
    body = login(world.users["town_b"]).get(reverse("land:parcel_detail", args=[world.parcel_b.pk])).content
    assert 'data-testid="section-plans"' not in body.decode()


def test_plan_list_filters_and_shows_progress(login, world):
    drafted(world)
    client = login(world.users["lead"])
    body = client.get(reverse("rectification:plan_list")).content.decode()
    assert "甲公司" in body and accepted(world).entry_a.number in body and "0.0%" in body
    assert "甲公司" not in client.get(reverse("rectification:plan_list") + "?status=filed").content.decode()
    assert "甲公司" in client.get(reverse("rectification:plan_list") + "?q=甲").content.decode()
    htmx = client.get(reverse("rectification:plan_list") + "?q=甲", HTTP_HX_REQUEST="true",
                      HTTP_HX_TARGET="plan-table")
    assert "<html" not in htmx.content.decode() and "甲公司" in htmx.content.decode()


def _withdrawn_plans(world, n: int) -> None:
    """n earlier plans of 甲公司 for A-001, each withdrawn, so the entry is free again."""
    entry = accepted(world).entry_a
    for _ in range(n):
        plan = services.plan_create(user=world.users["ent_a"], entries=[entry], data=plan_data(),
                                    steps=plan_steps())
        services.plan_transition(user=world.users["ent_a"], plan=plan, action="withdraw", comment="重新编制")


def test_plan_list_query_count_does_not_grow(login, world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.users["lead"])
    _withdrawn_plans(world, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("rectification:plan_list")).status_code == 200
    _withdrawn_plans(world, 4)
    drafted(world)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("rectification:plan_list")).content.decode().count('data-testid="plan-row"') == 6


def test_plan_detail_query_count_is_pinned(login, world, django_assert_max_num_queries):
    plan = filed(world)
    client = login(world.users["town_a"])
    with django_assert_max_num_queries(17):  # session, user, roles, plan, steps, entries ×2, progress ×2,
        # parcels, reports, step sums, events, versions, queue, links, the queue count in the navigation
        assert client.get(detail(plan)).status_code == 200

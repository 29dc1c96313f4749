"""The rectification services: creating a plan for accepted entries, one open plan per entry, editing
under optimistic locking, the whole workflow with its timeline and audit, amendments, the facts that
feed enforcement, scope, signed links, and the photos' EXIF checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pandi.audit.models import AuditEntry
from pandi.rectification import services
from pandi.rectification.models import AccessLink, PlanEntry, PlanVersion, RectificationPlan
from pandi.rectification.services import ConflictError, LinkUser, Upload
from tests.rectification_world import drafted, filed, plan_data, plan_steps
from tests.screening_world import accepted, screened

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def audit_rows(plan: RectificationPlan):
    ct = ContentType.objects.get_for_model(RectificationPlan)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(plan.pk)).order_by("at", "id")


def fresh(plan: RectificationPlan) -> RectificationPlan:
    return RectificationPlan.objects.get(pk=plan.pk)


def open_flags(plan: RectificationPlan) -> set[bool]:
    return set(PlanEntry.objects.filter(plan=plan).values_list("open", flat=True))


# --- creating a plan ---------------------------------------------------------------------------------

def test_the_enterprise_drafts_a_plan_for_its_accepted_entry(world):
    plan = drafted(world)
    assert (plan.status, plan.version, plan.enterprise, plan.township) == (
        "draft", 1, world.enterprise_a, world.township_a)
    assert plan.campaign == world.campaign and plan.steps.count() == 12
    assert services.plan_problems_for(plan) == {}
    assert list(plan.events.values_list("label", flat=True)) == ["新建整改方案"]
    assert audit_rows(plan).get().action == "create"


def test_one_plan_may_cover_several_entries_of_one_enterprise_in_one_township(world):
    ns = accepted(world)
    plan = services.plan_create(user=world.users["ent_a"], entries=[ns.entry_a, ns.block_a], data=plan_data(),
                                steps=plan_steps())
    assert set(plan.entries.all()) == {ns.entry_a, ns.block_a}


def test_entries_of_another_enterprise_are_refused(world):
    ns = accepted(world)
    with pytest.raises(PermissionDenied):
        services.plan_create(user=world.users["ent_a"], entries=[ns.entry_b], data=plan_data())
    with pytest.raises(ValidationError, match="须由该企业持有"):
        services.plan_create(user=world.users["town_b"], entries=[ns.entry_b],
                             data=plan_data(enterprise_id=world.enterprise_a.pk))
    assert not RectificationPlan.objects.exists()


def test_entries_of_two_townships_are_refused(world):
    ns = accepted(world)
    with pytest.raises(ValidationError, match="同一乡镇"):
        services.plan_create(user=world.users["lead"], entries=[ns.entry_a, ns.entry_b], data=plan_data())


def test_an_entry_not_in_an_accepted_list_is_refused(world):
    ns = screened(world)
    with pytest.raises(ValidationError, match="不是已确认清单中的地块"):
        services.plan_create(user=world.users["ent_a"], entries=[ns.entry_a], data=plan_data())
    with pytest.raises(ValidationError, match="请选择"):
        services.plan_create(user=world.users["ent_a"], entries=[], data=plan_data())


def test_the_township_may_enter_a_plan_on_the_enterprises_behalf(world):
    ns = accepted(world)
    plan = services.plan_create(user=world.users["town_a"], entries=[ns.entry_a], data=plan_data(),
                                steps=plan_steps())
    assert plan.enterprise == world.enterprise_a and plan.created_by == world.users["town_a"]
    assert audit_rows(plan).get().comment == "乡镇代企业填报"
    assert plan.events.get().label == "新建整改方案（乡镇代填）"
    with pytest.raises(PermissionDenied):
        services.plan_create(user=world.users["town_b"], entries=[ns.entry_a], data=plan_data())
    with pytest.raises(PermissionDenied):
        services.plan_create(user=world.users["nr"], entries=[ns.entry_a], data=plan_data())


def test_one_open_plan_per_entry_until_the_first_is_withdrawn(world):
    plan = drafted(world)
    ns = accepted(world)
    with pytest.raises(ValidationError, match="已有未办结的整改方案"):
        services.plan_create(user=world.users["ent_a"], entries=[ns.entry_a], data=plan_data())
    assert RectificationPlan.objects.count() == 1
    services.plan_transition(user=world.users["ent_a"], plan=plan, action="withdraw", comment="改由乡镇统一填报")
    assert open_flags(plan) == {False}
    second = services.plan_create(user=world.users["town_a"], entries=[ns.entry_a], data=plan_data())
    assert open_flags(second) == {True}


# --- editing -------------------------------------------------------------------------------------------

def test_a_plan_is_edited_only_in_draft_or_returned(world):
    plan = drafted(world)
    services.plan_update(user=world.users["ent_a"], plan=plan, data={"measures": "改为合作开发"},
                         steps=[*plan_steps()[:11], {**plan_steps()[11], "action": "竣工验收"}])
    assert fresh(plan).measures == "改为合作开发"
    assert fresh(plan).steps.last().action == "竣工验收"
    with pytest.raises(PermissionDenied):
        services.plan_update(user=world.users["lead"], plan=plan, data={"measures": "区里改"})
    plan = services.plan_transition(user=world.users["ent_a"], plan=fresh(plan), action="submit")
    with pytest.raises(ValidationError, match="不能修改"):
        services.plan_update(user=world.users["ent_a"], plan=plan, data={"measures": "再改"})
    plan = services.plan_transition(user=world.users["town_a"], plan=plan, action="return", comment="补充投资测算")
    services.plan_update(user=world.users["town_a"], plan=plan, data={"approach": "补充了投资测算"})
    assert fresh(plan).approach == "补充了投资测算"


def test_bad_values_are_refused_in_chinese(world):
    plan = drafted(world)
    with pytest.raises(ValidationError, match="不是数字"):
        services.plan_update(user=world.users["ent_a"], plan=plan, data={"investment_wan": "六千"})
    with pytest.raises(ValidationError, match="格式错误"):
        services.plan_update(user=world.users["ent_a"], plan=plan, data={"start": "2021/06/01"})
    with pytest.raises(ValidationError, match="不能为负"):
        services.plan_update(user=world.users["ent_a"], plan=plan, data={"jobs": -3})


def test_two_edits_from_the_same_version_the_second_is_refused_and_changes_nothing(world):
    plan = drafted(world)
    first, second = fresh(plan), fresh(plan)
    version = first.lock_version
    services.plan_update(user=world.users["ent_a"], plan=first, data={"measures": "甲的修改"}, lock_version=version)
    with pytest.raises(ConflictError, match="已被他人修改"):
        services.plan_update(user=world.users["town_a"], plan=second, data={"measures": "乙的修改"},
                             steps=plan_steps()[:3], lock_version=version)
    stored = fresh(plan)
    assert stored.measures == "甲的修改" and stored.lock_version == version + 1 and stored.steps.count() == 12
    with pytest.raises(ConflictError):
        services.plan_transition(user=world.users["ent_a"], plan=stored, action="submit", lock_version=version)
    assert fresh(plan).status == "draft"


# --- the workflow ---------------------------------------------------------------------------------------

def test_the_whole_journey_is_stamped_on_the_timeline_and_in_the_audit(world):
    plan = drafted(world)
    steps = [("ent_a", "submit", "", date(2021, 5, 20)), ("town_a", "approve", "同意", date(2021, 5, 25)),
             ("lead", "file", "", date(2021, 5, 28)), ("ent_a", "start", "", date(2021, 6, 1)),
             ("town_a", "complete", "已竣工验收", date(2022, 5, 30))]
    for username, action, comment, day in steps:
        plan = services.plan_transition(user=world.users[username], plan=plan, action=action, comment=comment,
                                        now=at(day))
    plan = fresh(plan)
    assert plan.status == "completed"
    assert (plan.submitted_at, plan.approved_at, plan.filed_at, plan.started_at, plan.closed_at) == (
        at(date(2021, 5, 20)), at(date(2021, 5, 25)), at(date(2021, 5, 28)), at(date(2021, 6, 1)),
        at(date(2022, 5, 30)))
    events = list(plan.events.values_list("action", "from_status", "to_status", "actor__username"))
    assert events == [("create", "", "draft", "ent_a"), ("submit", "draft", "submitted", "ent_a"),
                      ("approve", "submitted", "approved", "town_a"), ("file", "approved", "filed", "lead"),
                      ("start", "filed", "in_progress", "ent_a"), ("complete", "in_progress", "completed", "town_a")]
    rows = list(audit_rows(plan))
    assert len(rows) == 6 and rows[-1].comment == "已竣工验收" and rows[-1].actor == world.users["town_a"]
    assert any(c["field"] == "status" for c in rows[-1].changes)
    assert open_flags(plan) == {False}


def test_who_may_do_what_and_why_not(world):
    plan = drafted(world)
    with pytest.raises(PermissionDenied, match="区经商局不能提交审核"):
        services.plan_transition(user=world.users["lead"], plan=plan, action="submit")
    with pytest.raises(PermissionDenied):
        services.plan_transition(user=world.users["town_b"], plan=plan, action="submit")
    with pytest.raises(PermissionDenied):
        services.plan_transition(user=world.users["ent_b"], plan=plan, action="submit")
    with pytest.raises(ValidationError, match="不能审核通过"):
        services.plan_transition(user=world.users["town_a"], plan=plan, action="approve")
    plan = services.plan_transition(user=world.users["ent_a"], plan=plan, action="submit")
    with pytest.raises(PermissionDenied, match="企业不能审核通过"):
        services.plan_transition(user=world.users["ent_a"], plan=plan, action="approve")
    with pytest.raises(ValidationError, match="请填写说明或意见"):
        services.plan_transition(user=world.users["town_a"], plan=plan, action="return")
    assert fresh(plan).status == "submitted"


def test_an_incomplete_plan_cannot_be_submitted(world):
    ns = accepted(world)
    plan = services.plan_create(user=world.users["ent_a"], entries=[ns.entry_a],
                                data=plan_data(start=date(2021, 7, 1), tax_wan=None), steps=plan_steps()[:6])
    with pytest.raises(ValidationError) as e:
        services.plan_transition(user=world.users["ent_a"], plan=plan, action="submit")
    assert {"start", "benefits", "steps"} <= set(e.value.message_dict)
    assert fresh(plan).status == "draft"


def test_returned_by_the_district_and_resubmitted(world):
    plan = drafted(world)
    plan = services.plan_transition(user=world.users["ent_a"], plan=plan, action="submit")
    plan = services.plan_transition(user=world.users["town_a"], plan=plan, action="approve")
    plan = services.plan_transition(user=world.users["lead"], plan=plan, action="return", comment="投资强度不足")
    assert (plan.status, plan.last_comment) == ("returned", "投资强度不足")
    plan = services.plan_transition(user=world.users["ent_a"], plan=plan, action="submit")
    assert plan.status == "submitted" and plan.last_comment == ""


def test_an_amendment_keeps_the_filed_version_and_goes_through_review_again(world):
    plan = filed(world)
    plan = services.plan_transition(user=world.users["ent_a"], plan=plan, action="start")
    with pytest.raises(ValidationError, match="请填写说明或意见"):
        services.plan_transition(user=world.users["ent_a"], plan=plan, action="amend")
    plan = services.plan_transition(user=world.users["ent_a"], plan=plan, action="amend", comment="改为分期建设")
    assert (plan.status, plan.version, plan.filed_at, plan.submitted_at) == ("draft", 2, None, None)
    v1 = PlanVersion.objects.get(plan=plan)
    assert v1.version == 1 and v1.filed_at is not None
    assert v1.content["measures"] == "按出让合同约定建设标准厂房" and len(v1.content["steps"]) == 12
    assert open_flags(plan) == {True}
    services.plan_update(user=world.users["ent_a"], plan=plan, data={"measures": "分两期建设"})
    plan = services.plan_transition(user=world.users["ent_a"], plan=fresh(plan), action="submit")
    plan = services.plan_transition(user=world.users["town_a"], plan=plan, action="approve")
    plan = services.plan_transition(user=world.users["lead"], plan=plan, action="file")
    assert (plan.status, plan.version) == ("filed", 2)
    assert PlanVersion.objects.get(plan=plan).content["measures"] == "按出让合同约定建设标准厂房"
    assert str(plan) == "甲公司整改方案（第 2 版）"


@pytest.mark.parametrize(("path", "closes"), [
    ([("town_a", "refuse", "拒不整改")], True),
    ([("ent_a", "start", ""), ("town_a", "complete", "已验收")], True),
    ([("ent_a", "start", ""), (None, "mark_overdue", "到期")], False),
    ([("ent_a", "amend", "变更")], False),
])
def test_the_entry_is_open_while_the_plan_is(world, path, closes):
    plan = filed(world)
    for username, action, comment in path:
        user = world.users[username] if username else None
        plan = services.plan_transition(user=user, plan=plan, action=action, comment=comment)
    assert open_flags(plan) == {not closes}


def test_refusal_and_overdue_are_enforcement_facts(world):
    plan = filed(world)
    assert not services.is_enforcement_case(plan)
    counts = services.queue_refresh(today=date(2022, 6, 1))
    plan = fresh(plan)
    assert counts["started"] == 1 and counts["overdue"] == 1
    assert plan.status == "overdue" and services.is_enforcement_case(plan)
    assert plan.events.filter(action="mark_overdue", actor=None, actor_name="系统").exists()
    with pytest.raises(PermissionDenied):
        services.plan_transition(user=world.users["ent_a"], plan=plan, action="refuse", comment="不想整改")
    plan = services.plan_transition(user=world.users["lead"], plan=plan, action="refuse", comment="逾期且拒不整改")
    assert plan.status == "refused" and services.is_enforcement_case(plan) and plan.closed_at


def test_the_queue_is_refreshed_idempotently(world):
    plan = drafted(world)
    first = services.queue_refresh(today=date(2021, 6, 10))
    assert first["opened"] == 1
    assert plan.queue_entries.get(resolved_at=None).reason == "plan_not_submitted"
    assert services.queue_refresh(today=date(2021, 6, 10)) == {"opened": 0, "resolved": 0, "started": 0,
                                                                "overdue": 0}
    services.plan_transition(user=world.users["ent_a"], plan=plan, action="submit")
    services.queue_refresh(today=date(2021, 6, 11))
    assert list(plan.queue_entries.filter(resolved_at=None).values_list("reason", "who")) == [
        ("review_pending", "township")]


# --- scope ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "sees"), [
    ("admin", True), ("lead", True), ("nr", True), ("dept", True), ("soe", True), ("court", True),
    ("sup", True), ("leader", True), ("town_a", True), ("ent_a", True), ("town_b", False), ("ent_b", False),
])
def test_who_sees_a_plan_of_township_a(world, username, sees):
    plan = drafted(world)
    assert RectificationPlan.objects.visible_to(world.users[username]).filter(pk=plan.pk).exists() is sees


# --- signed links ------------------------------------------------------------------------------------------

def test_a_link_works_until_it_expires_is_revoked_or_used_up(world):
    plan = drafted(world)
    link, token = services.link_create(user=world.users["town_a"], plan=plan, purpose="plan", days=7)
    assert link.token_hash != token and token not in str(AccessLink.objects.values_list().get())
    assert services.link_resolve(token) == link and services.link_resolve(token, purpose="plan") == link
    assert services.link_resolve(token, purpose="progress") is None
    assert services.link_resolve(token + "x") is None and services.link_resolve("") is None
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    assert services.link_resolve(token) is not None
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert services.link_resolve(token) is None
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(days=1))
    uses = AccessLink.objects.get(pk=link.pk).uses
    AccessLink.objects.filter(pk=link.pk).update(max_uses=uses + 1)
    assert services.link_resolve(token) is not None
    assert services.link_resolve(token) is None  # used up
    AccessLink.objects.filter(pk=link.pk).update(max_uses=100)
    services.link_revoke(user=world.users["town_a"], link=AccessLink.objects.get(pk=link.pk))
    assert services.link_resolve(token) is None
    ct = ContentType.objects.get_for_model(AccessLink)
    assert AuditEntry.objects.filter(content_type=ct, object_id=str(link.pk), event="link_used").count() == uses + 1


def test_only_the_township_or_district_sends_links_for_one_to_sixty_days(world):
    plan = drafted(world)
    with pytest.raises(PermissionDenied):
        services.link_create(user=world.users["ent_a"], plan=plan, purpose="plan")
    with pytest.raises(PermissionDenied):
        services.link_create(user=world.users["town_b"], plan=plan, purpose="plan")
    with pytest.raises(ValidationError, match="1–60"):
        services.link_create(user=world.users["town_a"], plan=plan, purpose="plan", days=61)
    link, _token = services.link_create(user=world.users["lead"], plan=plan, purpose="progress", days=60)
    assert link.expires_at > timezone.now() + timedelta(days=59)


def test_a_link_user_acts_as_the_enterprise_on_its_plan_only(world):
    plan = drafted(world)
    ns = accepted(world)
    other = services.plan_create(user=world.users["ent_b"], entries=[ns.entry_b], data=plan_data(),
                                 steps=plan_steps())
    _link, token = services.link_create(user=world.users["town_a"], plan=plan, purpose="plan")
    visitor = LinkUser(services.link_resolve(token))
    assert services.actor_for(visitor, plan) == "enterprise"
    services.plan_update(user=visitor, plan=plan, data={"approach": "通过链接填写"})
    plan = services.plan_transition(user=visitor, plan=fresh(plan), action="submit")
    assert plan.events.last().actor_name == "甲公司（填报链接）" and plan.events.last().actor is None
    for action in ("update", "submit"):
        with pytest.raises(PermissionDenied, match="此链接只能用于指定的整改方案"):
            if action == "update":
                services.plan_update(user=visitor, plan=other, data={"approach": "越权"})
            else:
                services.plan_transition(user=visitor, plan=other, action="submit")
    assert fresh(other).status == "draft" and fresh(other).approach != "越权"


# --- progress and photos ------------------------------------------------------------------------------------

def test_a_report_starts_a_filed_plan_and_photos_are_checked_against_the_parcel(world):
    from pandi.demo.photos import site_photo

    plan = filed(world)
    step = plan.steps.get(month=date(2021, 6, 1))
    inside = site_photo(taken=datetime(2021, 6, 20, 9), lon=119.706, lat=29.106, stage=0.1)
    away = site_photo(taken=datetime(2021, 6, 20, 9), lon=119.73, lat=29.106, stage=0.1)
    bare = site_photo(taken=None, lon=None, lat=None, stage=0.1)
    report = services.report_submit(
        user=world.users["ent_a"], plan=plan, month=date(2021, 6, 15), narrative="完成施工许可办理",
        items=[{"step_id": step.pk, "floor_area_m2": "2000", "investment_wan": "500", "milestone_reached": True}],
        uploads=[Upload("photo", "现场.jpg", inside), Upload("photo", "别处.jpg", away),
                 Upload("photo", "无信息.jpg", bare)])
    assert fresh(plan).status == "in_progress" and report.month == date(2021, 6, 1)
    ev = {e.original_name: e for e in report.evidence.all()}
    assert ev["现场.jpg"].warnings == [] and ev["现场.jpg"].taken_at is not None
    assert abs(ev["现场.jpg"].lon - 119.706) < 1e-5 and abs(ev["现场.jpg"].lat - 29.106) < 1e-5
    assert len(ev["别处.jpg"].warnings) == 1 and "不在宗地范围内，距宗地约" in ev["别处.jpg"].warnings[0]
    assert ev["无信息.jpg"].warnings == ["照片未记录拍摄时间（EXIF），请核实", "照片未记录拍摄位置（GPS），请核实"]
    with pytest.raises(ValidationError, match="已报送"):
        services.report_submit(user=world.users["ent_a"], plan=fresh(plan), month=date(2021, 6, 1), narrative="再报",
                               items=[])
    with pytest.raises(ValidationError, match="内容与扩展名不符"):
        services.evidence_add(user=world.users["ent_a"], report=report, upload=Upload("photo", "假.jpg", b"%PDF-1.4"))
    with pytest.raises(PermissionDenied):
        services.report_review(user=world.users["ent_a"], report=report, confirm=True)
    services.report_review(user=world.users["town_a"], report=report, confirm=True)
    assert report.status == "confirmed"

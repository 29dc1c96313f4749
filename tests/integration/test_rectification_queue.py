"""The action queue kept by `pandi tick` (services.queue_refresh): walking 甲公司's plan through 2021–22
at chosen dates, each rule opens its item with who must act and the due date, and resolves it once
done; a plan past its deadline becomes 逾期. Running the refresh twice changes nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from pandi.audit.models import AuditEntry
from pandi.rectification import services
from pandi.rectification.models import QueueEntry
from tests.photos import jpeg
from tests.rectification_world import drafted

pytestmark = pytest.mark.django_db

JUNE = date(2021, 6, 1)


def at(y: int, m: int, d: int) -> datetime:
    return timezone.make_aware(datetime(y, m, d, 10, 0))


def refresh(day: date) -> dict[str, int]:
    return services.queue_refresh(today=day)


def open_items(plan) -> dict[str, QueueEntry]:
    return {q.key: q for q in QueueEntry.objects.filter(plan=plan, resolved_at=None)}


def reasons(plan) -> set[str]:
    return {q.reason for q in QueueEntry.objects.filter(plan=plan, resolved_at=None)}


def one(plan, reason: str, month: date | None = None) -> QueueEntry:
    rows = QueueEntry.objects.filter(plan=plan, resolved_at=None, reason=reason)
    if month is not None:
        rows = rows.filter(month=month)
    return rows.get()


def transition(w, username: str, plan, action: str, when: datetime, comment: str = ""):
    return services.plan_transition(user=w.users[username], plan=plan, action=action, comment=comment, now=when)


def test_a_draft_plan_after_the_start_deadline_is_not_started(world):
    plan = drafted(world)
    refresh(date(2021, 6, 15))
    assert reasons(plan) == {"plan_not_submitted"}
    q = one(plan, "plan_not_submitted")
    assert (q.who, q.due) == ("enterprise", date(2021, 6, 30))
    refresh(date(2021, 7, 1))
    assert reasons(plan) == {"plan_not_submitted", "not_started_by_deadline"}
    q = one(plan, "not_started_by_deadline")
    assert (q.who, q.due, q.township_id, q.enterprise_id) == (
        "township", date(2021, 6, 30), world.township_a.pk, world.enterprise_a.pk)
    assert "2021-06-30" in q.detail


def test_the_queue_follows_the_plan_through_review_filing_reports_and_its_deadline(world):
    plan = drafted(world)
    refresh(date(2021, 6, 1))
    assert reasons(plan) == {"plan_not_submitted"}

    plan = transition(world, "ent_a", plan, "submit", at(2021, 6, 2))
    refresh(date(2021, 6, 5))
    assert reasons(plan) == {"review_pending"}                     # plan_not_submitted resolved
    q = one(plan, "review_pending")
    assert (q.who, q.due) == ("township", date(2021, 6, 12))     # within 10 days of submission
    assert QueueEntry.objects.filter(plan=plan, reason="plan_not_submitted").exclude(resolved_at=None).exists()

    plan = transition(world, "town_a", plan, "approve", at(2021, 6, 8))
    refresh(date(2021, 6, 9))
    assert reasons(plan) == {"filing_pending"}
    q = one(plan, "filing_pending")
    assert (q.who, q.due) == ("district", date(2021, 6, 18))

    plan = transition(world, "lead", plan, "file", at(2021, 6, 10))
    counts = refresh(date(2021, 6, 11))
    plan.refresh_from_db()
    assert plan.status == "in_progress" and counts["started"] == 1  # its start date has come
    assert reasons(plan) == set()                                   # June's report is not due yet

    refresh(date(2021, 7, 6))                                       # June not reported by 5 July
    assert reasons(plan) == {"progress_overdue", "behind_schedule"}
    q = one(plan, "progress_overdue", JUNE)
    assert (q.who, q.due, q.detail) == ("enterprise", date(2021, 7, 5), "2021年06月进展未报送")
    q = one(plan, "behind_schedule")
    assert (q.who, q.due) == ("township", date(2021, 7, 6))

    step = plan.steps.get(month=JUNE)
    report = services.report_submit(user=world.users["ent_a"], plan=plan, month=JUNE, narrative="六月完成许可",
                                    items=[{"step_id": step.pk, "floor_area_m2": "2000", "investment_wan": "500",
                                            "milestone_reached": True}])
    refresh(date(2021, 7, 7))
    assert reasons(plan) == {"progress_confirm_pending", "evidence_missing"}   # reported in full: not behind
    q = one(plan, "progress_confirm_pending", JUNE)
    assert (q.who, q.due) == ("township", date(2021, 7, 15))
    q = one(plan, "evidence_missing", JUNE)
    assert (q.who, q.due) == ("enterprise", date(2021, 7, 5))

    services.evidence_add(user=world.users["ent_a"], report=report, upload=services.Upload(
        "photo", "现场.jpg", jpeg(taken=datetime(2021, 6, 28), lon=119.706, lat=29.106)))
    refresh(date(2021, 7, 8))
    assert reasons(plan) == {"progress_confirm_pending"}
    services.report_review(user=world.users["town_a"], report=report, confirm=True)
    refresh(date(2021, 7, 8))
    assert reasons(plan) == set()

    counts = refresh(date(2022, 6, 1))                              # the deadline (2022-05-31) has passed
    plan.refresh_from_db()
    assert plan.status == "overdue" and counts["overdue"] == 1
    q = one(plan, "completion_overdue")
    assert (q.who, q.due) == ("township", date(2022, 5, 31))
    overdue_months = {q.month for q in QueueEntry.objects.filter(plan=plan, resolved_at=None,
                                                                  reason="progress_overdue")}
    assert len(overdue_months) == 10 and min(overdue_months) == date(2021, 7, 1)  # July 2021 – April 2022
    q = one(plan, "progress_report_due", date(2022, 5, 1))         # May's is due by 5 June
    assert (q.who, q.due) == ("enterprise", date(2022, 6, 5))
    assert services.is_enforcement_case(plan)

    transition(world, "town_a", plan, "complete", at(2022, 6, 20), comment="已竣工")
    counts = refresh(date(2022, 6, 21))
    assert reasons(plan) == set() and counts["resolved"] >= 12      # a closed plan has nothing left


def test_refreshing_twice_changes_nothing(world):
    plan = drafted(world)
    transition(world, "ent_a", plan, "submit", at(2021, 6, 2))
    refresh(date(2021, 7, 1))
    before = {k: (q.pk, q.due, q.detail, q.resolved_at) for k, q in open_items(plan).items()}
    audit = AuditEntry.objects.count()
    assert before.keys() == {"review_pending|", "not_started_by_deadline|"}
    counts = refresh(date(2021, 7, 1))
    assert counts == {"opened": 0, "resolved": 0, "started": 0, "overdue": 0}
    assert {k: (q.pk, q.due, q.detail, q.resolved_at) for k, q in open_items(plan).items()} == before
    assert QueueEntry.objects.count() == 2
    assert AuditEntry.objects.count() == audit


def test_pandi_tick_refreshes_the_queue(world):
    plan = drafted(world)
    out = io.StringIO()
    call_command("tick", stdout=out)
    assert "更新整改待办事项：新增 2 项" in out.getvalue()
    assert reasons(plan) == {"plan_not_submitted", "not_started_by_deadline"}
    out = io.StringIO()
    call_command("tick", stdout=out)
    assert "更新整改待办事项：新增 0 项，办结 0 项" in out.getvalue()


def test_new_queue_items_are_emailed_once_when_reminders_are_on(world, settings, mailoutbox):
    from datetime import date

    from pandi.accounts.models import User
    from pandi.rectification import services
    from tests.rectification_world import drafted

    settings.PANDI_REMINDER_EMAIL = True
    User.objects.filter(username="ent_a").update(email="jia@example.cn")
    User.objects.filter(username="town_a").update(email="duohu@example.cn")
    drafted(world)
    services.queue_refresh(today=date(2021, 7, 1))
    subjects = {(m.subject, tuple(m.to)) for m in mailoutbox}
    assert any("整改方案未提交" in s and to == ("jia@example.cn",) for s, to in subjects)
    assert any("未按期启动整改" in s and to == ("duohu@example.cn",) for s, to in subjects)
    sent = len(mailoutbox)
    services.queue_refresh(today=date(2021, 7, 1))
    assert len(mailoutbox) == sent  # an item is mailed once, when it opens


def test_no_email_when_reminders_are_off(world, mailoutbox):
    from datetime import date

    from pandi.accounts.models import User
    from pandi.rectification import services
    from tests.rectification_world import drafted

    User.objects.filter(username="ent_a").update(email="jia@example.cn")
    drafted(world)
    services.queue_refresh(today=date(2021, 7, 1))
    assert mailoutbox == []

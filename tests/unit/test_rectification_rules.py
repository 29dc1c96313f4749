"""The pure rules of rectification (R9–R11): what a complete plan holds, who may move it where,
progress from quantities, what the action queue shows and why, and the checks on site photos."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from pandi.domain.dates import add_months
from pandi.domain.rectification import (
    ENFORCEMENT_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Actor,
    PlanFacts,
    PlanStatus,
    Quantities,
    QueueFacts,
    Reason,
    StepFacts,
    TransitionError,
    allowed_actions,
    behind_schedule,
    check_transition,
    months_between,
    photo_warnings,
    planned_totals,
    progress_ratio,
    queue_items,
)
from pandi.domain.rectification import plan_problems as _plan_problems

START_DEADLINE = date(2021, 6, 30)
START = date(2021, 6, 1)
DEADLINE = date(2022, 5, 31)
BENEFITS = {"new_floor_area_m2": Decimal(20000), "far_after": Decimal("1.5"), "investment_wan": Decimal(6000),
            "output_wan": Decimal(12000), "tax_wan": Decimal(600), "jobs": Decimal(120)}


def steps(start: date = START, deadline: date = DEADLINE, **overrides) -> list[StepFacts]:
    return [StepFacts(month=m, action=f"{m:%Y-%m} 施工", floor_area_m2=Decimal(1000), investment_wan=Decimal(100),
                      **overrides) for m in months_between(start, deadline)]


def facts(**overrides) -> PlanFacts:
    base = {"route": "self_build", "measures": "建设标准厂房", "approach": "分两期建设", "start": START,
            "deadline": DEADLINE, "steps": steps(), "benefits": dict(BENEFITS)}
    base.update(overrides)
    if "steps" not in overrides and base["start"] and base["deadline"] and base["deadline"] >= base["start"]:
        base["steps"] = steps(base["start"], base["deadline"])
    return PlanFacts(**base)


def plan_problems(p: PlanFacts) -> dict[str, str]:
    return _plan_problems(p, start_deadline=START_DEADLINE, duration_months=12)


# --- the plan's content -----------------------------------------------------------------------------

def test_a_complete_plan_has_no_problems():
    assert plan_problems(facts()) == {}


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"entries": 0}, "entries", "清单地块"),
    ({"route": ""}, "route", "整改路径"),
    ({"route": "demolish"}, "route", "整改路径"),
    ({"measures": "  "}, "measures", "整改措施"),
    ({"approach": ""}, "approach", "具体做法"),
    ({"start": None}, "start", "开始日期"),
    ({"deadline": None}, "deadline", "整改期限"),
    ({"deadline": date(2021, 5, 31), "steps": steps()}, "deadline", "不能早于开始日期"),
    ({"steps": []}, "steps", "按月实施步骤"),
    ({"benefits": {}}, "benefits", "新增建筑面积"),
    ({"benefits": {**BENEFITS, "tax_wan": None}}, "benefits", "预计年税收"),
])
def test_every_missing_element_is_named(overrides, field, words):
    problems = plan_problems(facts(**overrides))
    assert field in problems and words in problems[field]


def test_every_missing_benefit_is_named_even_when_left_out_of_the_facts():
    problems = plan_problems(facts(benefits={"jobs": Decimal(10)}))
    for label in ("新增建筑面积", "整改后容积率", "投资额", "预计年产值", "预计年税收"):
        assert label in problems["benefits"]
    assert "新增就业" not in problems["benefits"]


def test_a_zero_benefit_is_an_answer_not_a_gap():
    assert plan_problems(facts(benefits={**BENEFITS, "jobs": Decimal(0)})) == {}


@pytest.mark.parametrize(("start", "ok"), [(date(2021, 6, 30), True), (date(2021, 7, 1), False)])
def test_rectification_starts_by_the_campaigns_start_deadline(start, ok):
    problems = plan_problems(facts(start=start, deadline=add_months(start, 12)))
    assert ("start" not in problems) is ok
    if not ok:
        assert "2021年06月30日" in problems["start"] and "R11" in problems["start"]


@pytest.mark.parametrize(("deadline", "reason", "ok"), [
    (date(2022, 6, 1), "", True),                      # exactly start + 12 months
    (date(2022, 6, 2), "", False),                     # one day later
    (date(2022, 6, 2), "经区政府批准延期", True),
    (date(2022, 6, 2), "   ", False),
    (date(2021, 6, 1), "", True),                      # a one-day plan
])
def test_deadline_within_the_campaigns_months_unless_an_exception_is_given(deadline, reason, ok):
    problems = plan_problems(facts(deadline=deadline, exception_reason=reason))
    assert ("deadline" not in problems) is ok, problems
    assert "steps" not in problems
    if not ok:
        assert "2022-06-01" in problems["deadline"] and "延期理由" in problems["deadline"]


def test_a_month_without_a_step_is_named():
    gap = [s for s in steps() if s.month != date(2021, 9, 1)]
    assert plan_problems(facts(steps=gap))["steps"] == "缺少以下月份的实施步骤：2021年09月"


def test_a_month_twice_is_named():
    twice = [*steps(), StepFacts(month=date(2021, 8, 15), action="又一步")]
    assert "月份重复：2021年08月" in plan_problems(facts(steps=twice))["steps"]


@pytest.mark.parametrize("month", [date(2021, 5, 1), date(2022, 6, 1)])
def test_a_step_outside_the_period_is_named(month):
    extra = [*steps(), StepFacts(month=month, action="额外")]
    assert f"以下步骤不在整改期内：{month:%Y年%m月}" in plan_problems(facts(steps=extra))["steps"]


def test_steps_cover_the_first_and_last_month_even_when_they_are_partial():
    p = facts(start=date(2021, 6, 20), deadline=date(2022, 6, 10))
    assert next(s.month for s in p.steps) == date(2021, 6, 1) and p.steps[-1].month == date(2022, 6, 1)
    assert len(p.steps) == 13 and plan_problems(p) == {}


@pytest.mark.parametrize(("step", "words"), [
    (StepFacts(month=START, action="", floor_area_m2=Decimal(1)), "未填写实施内容"),
    (StepFacts(month=START, action="打桩", floor_area_m2=Decimal(-1)), "计划数量不能为负"),
    (StepFacts(month=START, action="打桩", investment_wan=Decimal("-0.01")), "计划数量不能为负"),
    (StepFacts(month=START, action="打桩", milestone="ribbon"), "节点“ribbon”无效"),
])
def test_a_bad_step_is_named_with_its_number_and_month(step, words):
    bad = [step, *steps()[1:]]
    message = plan_problems(facts(steps=bad))["steps"]
    assert words in message and ("第 1 步" in message)


def test_every_valid_milestone_is_accepted():
    ms = ["", "permit", "start", "topping_out", "completion", "transfer", "lease", "production"]
    ok = [replace(s, milestone=ms[i % len(ms)]) for i, s in enumerate(steps())]
    assert plan_problems(facts(steps=ok)) == {}


# --- the workflow -------------------------------------------------------------------------------------

S = PlanStatus
E, T, D, SYS = Actor.ENTERPRISE, Actor.TOWNSHIP, Actor.DISTRICT, Actor.SYSTEM
ALLOWED = {
    "submit": ({S.DRAFT, S.RETURNED}, {E, T}, S.SUBMITTED),
    "approve": ({S.SUBMITTED}, {T}, S.APPROVED),
    "return": ({S.SUBMITTED, S.APPROVED}, {T, D}, S.RETURNED),
    "file": ({S.APPROVED}, {D}, S.FILED),
    "start": ({S.FILED}, {E, T, SYS}, S.IN_PROGRESS),
    "complete": ({S.IN_PROGRESS, S.OVERDUE}, {T}, S.COMPLETED),
    "mark_overdue": ({S.FILED, S.IN_PROGRESS}, {SYS}, S.OVERDUE),
    "refuse": ({S.DRAFT, S.RETURNED, S.SUBMITTED, S.FILED, S.IN_PROGRESS, S.OVERDUE}, {T, D}, S.REFUSED),
    "withdraw": ({S.DRAFT, S.SUBMITTED, S.RETURNED}, {E, T}, S.WITHDRAWN),
    "amend": ({S.FILED, S.IN_PROGRESS, S.OVERDUE}, {E, T}, S.DRAFT),
}
ALL = [(status, action, actor) for status in PlanStatus for action in ALLOWED for actor in Actor]


def test_the_table_above_is_the_whole_workflow():
    assert set(TRANSITIONS) == set(ALLOWED)
    for action, (sources, actors, target) in ALLOWED.items():
        t = TRANSITIONS[action]
        assert (set(t.source), set(t.actors), t.target) == (sources, actors, target)


@pytest.mark.parametrize(("status", "action", "actor"),
                         [c for c in ALL if c[0] in ALLOWED[c[1]][0] and c[2] in ALLOWED[c[1]][1]],
                         ids=lambda v: str(v))
def test_every_allowed_move(status, action, actor):
    assert check_transition(status.value, action, actor, comment="意见") is ALLOWED[action][2]


@pytest.mark.parametrize(("status", "action", "actor"),
                         [c for c in ALL if c[0] in ALLOWED[c[1]][0] and c[2] not in ALLOWED[c[1]][1]],
                         ids=lambda v: str(v))
def test_the_wrong_actor_is_told_who_they_are(status, action, actor):
    with pytest.raises(TransitionError) as e:
        check_transition(status.value, action, actor, comment="意见")
    who = {E: "企业", T: "乡镇（街道）", D: "区经商局", SYS: "系统"}[actor]
    assert str(e.value) == f"{who}不能{TRANSITIONS[action].label}"


@pytest.mark.parametrize(("status", "action"),
                         [(s, a) for s in PlanStatus for a in ALLOWED if s not in ALLOWED[a][0]],
                         ids=lambda v: str(v))
def test_the_wrong_status_is_named(status, action):
    actor = next(iter(ALLOWED[action][1]))
    with pytest.raises(TransitionError, match=f"当前状态为“.+”，不能{TRANSITIONS[action].label}"):
        check_transition(status.value, action, actor, comment="意见")


@pytest.mark.parametrize(("status", "action", "actor"), [
    (S.SUBMITTED, "return", T), (S.APPROVED, "return", D), (S.IN_PROGRESS, "refuse", T),
    (S.DRAFT, "withdraw", E), (S.FILED, "amend", E), (S.OVERDUE, "amend", T),
])
def test_returning_refusing_withdrawing_and_amending_need_a_comment(status, action, actor):
    with pytest.raises(TransitionError, match="请填写说明或意见"):
        check_transition(status.value, action, actor, comment="  ")
    assert TRANSITIONS[action].needs_comment


@pytest.mark.parametrize(("status", "action", "actor"), [
    (S.DRAFT, "submit", E), (S.SUBMITTED, "approve", T), (S.APPROVED, "file", D), (S.FILED, "start", E),
    (S.IN_PROGRESS, "complete", T), (S.IN_PROGRESS, "mark_overdue", SYS),
])
def test_the_forward_moves_need_no_comment(status, action, actor):
    assert check_transition(status.value, action, actor) is ALLOWED[action][2]


def test_an_unknown_action_is_named():
    with pytest.raises(TransitionError, match="未知操作“delete”"):
        check_transition("draft", "delete", E)


@pytest.mark.parametrize(("status", "actor", "actions"), [
    (S.DRAFT, E, ["submit", "withdraw"]),
    (S.DRAFT, T, ["submit", "refuse", "withdraw"]),
    (S.DRAFT, D, ["refuse"]),
    (S.SUBMITTED, E, ["withdraw"]),
    (S.SUBMITTED, T, ["approve", "return", "refuse", "withdraw"]),
    (S.SUBMITTED, D, ["return", "refuse"]),
    (S.APPROVED, T, ["return"]),
    (S.APPROVED, D, ["return", "file"]),
    (S.APPROVED, E, []),
    (S.FILED, E, ["start", "amend"]),
    (S.FILED, D, ["refuse"]),
    (S.IN_PROGRESS, T, ["complete", "refuse", "amend"]),
    (S.IN_PROGRESS, E, ["amend"]),
    (S.OVERDUE, T, ["complete", "refuse", "amend"]),
    (S.COMPLETED, T, []),
    (S.REFUSED, D, []),
    (S.WITHDRAWN, E, []),
    (S.FILED, SYS, []),                      # the system's moves are never offered as buttons
])
def test_allowed_actions_per_actor(status, actor, actions):
    assert allowed_actions(status.value, actor) == actions


def test_open_and_enforcement_statuses():
    assert set(PlanStatus) - {S.COMPLETED, S.REFUSED, S.WITHDRAWN} == OPEN_STATUSES
    assert {S.OVERDUE, S.REFUSED} == ENFORCEMENT_STATUSES


# --- progress --------------------------------------------------------------------------------------

Q = Quantities


@pytest.mark.parametrize(("planned", "actual", "ratio"), [
    (Q(Decimal(1000), Decimal(100), 2), Q(Decimal(500), Decimal(50), 1), "0.5000"),
    (Q(Decimal(1000), Decimal(100), 2), Q(Decimal(2000), Decimal(300), 5), "1.0000"),   # each kind caps at 1
    (Q(Decimal(1000), Decimal(100), 2), Q(Decimal(2000), Decimal(0), 0), "0.3333"),     # capped 1 + 0 + 0
    (Q(Decimal(1000), Decimal(0), 0), Q(Decimal(250), Decimal(999), 3), "0.2500"),      # only area planned
    (Q(Decimal(0), Decimal(0), 4), Q(Decimal(0), Decimal(0), 1), "0.2500"),             # only milestones
    (Q(), Q(Decimal(10), Decimal(10), 1), "0"),                                          # nothing planned
    (Q(Decimal(3), Decimal(0), 0), Q(Decimal(1), Decimal(0), 0), "0.3333"),
])
def test_progress_ratio(planned, actual, ratio):
    assert progress_ratio(planned, actual) == Decimal(ratio)


def test_planned_totals_until_a_month():
    s = [replace(x, milestone="start" if i == 1 else "") for i, x in enumerate(steps())]
    assert planned_totals(s) == Q(Decimal(12000), Decimal(1200), 1)
    assert planned_totals(s, until=date(2021, 7, 20)) == Q(Decimal(2000), Decimal(200), 1)
    assert planned_totals(s, until=date(2021, 5, 31)) == Q()


TOTAL = Q(Decimal(1000), Decimal(0), 0)


@pytest.mark.parametrize(("to_date", "actual", "behind"), [
    (Q(Decimal(500)), Q(Decimal(450)), False),      # exactly 90 % of what was planned by now
    (Q(Decimal(500)), Q(Decimal(449)), True),
    (Q(Decimal(500)), Q(Decimal(600)), False),
    (Q(), Q(), False),                              # nothing was due yet
])
def test_behind_schedule_at_ninety_percent(to_date, actual, behind):
    assert behind_schedule(planned_to_date=to_date, actual=actual, planned_total=TOTAL) is behind


# --- the queue ------------------------------------------------------------------------------------------

def q(status: PlanStatus, **kw) -> QueueFacts:
    return QueueFacts(status=status, start=kw.pop("start", START), deadline=kw.pop("deadline", DEADLINE),
                      start_deadline=START_DEADLINE, **kw)


def reasons(items) -> list[tuple[Reason, Actor, date]]:
    return [(i.reason, i.who, i.due) for i in items]


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED])
def test_an_unsubmitted_plan_is_the_enterprises_until_the_start_deadline(status):
    items = queue_items(q(status), date(2021, 6, 10))
    assert reasons(items) == [(Reason.PLAN_NOT_SUBMITTED, E, START_DEADLINE)]
    assert ("退回意见" in items[0].detail) is (status is S.RETURNED)


def test_a_submitted_plan_waits_ten_days_for_the_township():
    items = queue_items(q(S.SUBMITTED, submitted_on=date(2021, 6, 1)), date(2021, 6, 5))
    assert reasons(items) == [(Reason.REVIEW_PENDING, T, date(2021, 6, 11))]


def test_an_approved_plan_waits_ten_days_for_filing():
    items = queue_items(q(S.APPROVED, approved_on=date(2021, 6, 20)), date(2021, 6, 21))
    assert reasons(items) == [(Reason.FILING_PENDING, D, date(2021, 6, 30))]


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED, S.SUBMITTED, S.APPROVED, S.FILED])
@pytest.mark.parametrize(("today", "flagged"), [(date(2021, 6, 30), False), (date(2021, 7, 1), True)])
def test_a_plan_not_started_by_the_start_deadline_is_flagged_to_the_township(status, today, flagged):
    items = [i for i in queue_items(q(status), today) if i.reason is Reason.NOT_STARTED_BY_DEADLINE]
    assert bool(items) is flagged
    if flagged:
        assert (items[0].who, items[0].due) == (T, START_DEADLINE) and "R11" in items[0].detail


@pytest.mark.parametrize(("today", "expected"), [
    (date(2021, 6, 24), []),                                                   # this month, not yet due
    (date(2021, 6, 25), [(Reason.PROGRESS_REPORT_DUE, E, date(2021, 7, 5))]),  # reminder from the 25th
    (date(2021, 7, 5), [(Reason.PROGRESS_REPORT_DUE, E, date(2021, 7, 5))]),   # the 5th itself: still due
    (date(2021, 7, 6), [(Reason.PROGRESS_OVERDUE, E, date(2021, 7, 5))]),      # the 6th: overdue
])
def test_a_months_report_is_due_on_the_fifth_of_the_next_month(today, expected):
    assert reasons(queue_items(q(S.IN_PROGRESS), today)) == expected


def test_reported_months_are_not_asked_for_and_months_after_the_deadline_never_are():
    months = frozenset(months_between(START, date(2022, 3, 1)))
    items = queue_items(q(S.OVERDUE, reported_months=months), date(2022, 9, 20))
    overdue = [i.month for i in items if i.reason is Reason.PROGRESS_OVERDUE]
    assert overdue == [date(2022, 4, 1), date(2022, 5, 1)]
    assert (Reason.COMPLETION_OVERDUE, T, DEADLINE) in reasons(items)


def test_reports_waiting_for_confirmation_and_without_evidence():
    june = date(2021, 6, 1)
    items = queue_items(q(S.IN_PROGRESS, reported_months=frozenset({june}), unconfirmed_months=frozenset({june}),
                          months_without_evidence=frozenset({june})), date(2021, 7, 2))
    assert reasons(items) == [(Reason.PROGRESS_CONFIRM_PENDING, T, date(2021, 7, 15)),
                              (Reason.EVIDENCE_MISSING, E, date(2021, 7, 5))]
    assert all(i.month == june for i in items)


def test_a_plan_behind_schedule_is_the_townships_today():
    today = date(2021, 7, 2)
    items = queue_items(q(S.IN_PROGRESS, reported_months=frozenset({START}), behind=True), today)
    assert reasons(items) == [(Reason.BEHIND_SCHEDULE, T, today)]


@pytest.mark.parametrize(("status", "today", "flagged"), [
    (S.IN_PROGRESS, DEADLINE, False),
    (S.IN_PROGRESS, date(2022, 6, 1), True),
    (S.OVERDUE, date(2022, 6, 1), True),
])
def test_completion_overdue_after_the_deadline(status, today, flagged):
    all_months = frozenset(months_between(START, DEADLINE))
    items = queue_items(q(status, reported_months=all_months), today)
    assert ((Reason.COMPLETION_OVERDUE, T, DEADLINE) in reasons(items)) is flagged


@pytest.mark.parametrize("status", [S.COMPLETED, S.REFUSED, S.WITHDRAWN])
def test_closed_plans_have_nothing_to_do(status):
    assert queue_items(q(status, behind=True), date(2023, 1, 1)) == []


def test_a_status_given_as_text_is_read_the_same():
    facts_ = q("submitted", submitted_on=date(2021, 6, 1))  # type: ignore[arg-type]
    assert reasons(queue_items(facts_, date(2021, 6, 5))) == [(Reason.REVIEW_PENDING, T, date(2021, 6, 11))]


# --- photos ------------------------------------------------------------------------------------------------

JUNE = date(2021, 6, 1)


def test_a_good_photo_has_no_warnings():
    assert photo_warnings(taken=date(2021, 6, 15), lon=119.7, lat=29.1, month=JUNE, inside_parcel=True) == []


def test_a_photo_without_exif_time_or_gps():
    w = photo_warnings(taken=None, lon=None, lat=None, month=JUNE, inside_parcel=None)
    assert w == ["照片未记录拍摄时间（EXIF），请核实", "照片未记录拍摄位置（GPS），请核实"]


@pytest.mark.parametrize(("taken", "warned"), [
    (date(2021, 4, 30), True), (date(2021, 5, 1), False),    # a month before is allowed
    (date(2021, 7, 31), False), (date(2021, 8, 1), True),    # a report filed early next month
])
def test_a_photo_taken_outside_the_month_window(taken, warned):
    w = photo_warnings(taken=taken, lon=119.7, lat=29.1, month=JUNE, inside_parcel=True)
    assert bool(w) is warned
    if warned:
        assert w == [f"拍摄时间 {taken:%Y-%m-%d} 不在报送月份（2021年06月）前后"]


def test_a_photo_taken_away_from_the_parcel_says_how_far():
    w = photo_warnings(taken=date(2021, 6, 15), lon=119.71234, lat=29.1, month=JUNE, inside_parcel=False,
                       distance_m=1234.4)
    assert w == ["拍摄位置（119.71234, 29.10000）不在宗地范围内，距宗地约 1,234 米"]
    w = photo_warnings(taken=date(2021, 6, 15), lon=119.7, lat=29.1, month=JUNE, inside_parcel=False)
    assert w == ["拍摄位置（119.70000, 29.10000）不在宗地范围内"]


def test_a_photo_whose_place_cannot_be_checked_is_not_warned_about_the_place():
    assert photo_warnings(taken=date(2021, 6, 15), lon=119.7, lat=29.1, month=JUNE, inside_parcel=None) == []

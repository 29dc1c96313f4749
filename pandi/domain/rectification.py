"""Rectification (整改, R9–R11): what a plan must contain, its workflow and who may move it, progress
from quantities, and what is due, overdue or missing — with the reason — for the action queue.

Pure: plain values in, values or Chinese problem messages out. The services apply these rules; the
enforcement module (R13) later reads the `overdue` and `refused` outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .dates import add_months


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"          # to the township
    RETURNED = "returned"            # by the township or 区经商局, with comments
    APPROVED = "approved"            # by the township, waiting for filing
    FILED = "filed"                  # 备案 with 区经商局
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    OVERDUE = "overdue"              # completion date passed without completion
    REFUSED = "refused"              # the enterprise refuses to rectify (R13)
    WITHDRAWN = "withdrawn"


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: "草稿", PlanStatus.SUBMITTED: "待乡镇审核", PlanStatus.RETURNED: "已退回修改",
    PlanStatus.APPROVED: "乡镇已审核，待备案", PlanStatus.FILED: "已备案", PlanStatus.IN_PROGRESS: "整改中",
    PlanStatus.COMPLETED: "已完成", PlanStatus.OVERDUE: "逾期未完成", PlanStatus.REFUSED: "拒不整改",
    PlanStatus.WITHDRAWN: "已撤回",
}

# a plan in one of these is "open": at most one open plan per inventory entry
OPEN_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED, PlanStatus.APPROVED,
                           PlanStatus.FILED, PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE})
# facts the enforcement module acts on (R13)
ENFORCEMENT_STATUSES = frozenset({PlanStatus.OVERDUE, PlanStatus.REFUSED})


class Actor(StrEnum):
    ENTERPRISE = "enterprise"        # the holder (its user, or a signed link)
    TOWNSHIP = "township"            # the township officer of the plan's township
    DISTRICT = "district"            # 区经商局 (district lead) or an administrator
    SYSTEM = "system"                # pandi tick


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    source: frozenset[PlanStatus]
    target: PlanStatus
    actors: frozenset[Actor]
    needs_comment: bool = False


E, T, D, S = Actor.ENTERPRISE, Actor.TOWNSHIP, Actor.DISTRICT, Actor.SYSTEM
TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    # a township may also enter and submit a plan on the enterprise's behalf
    Transition("submit", "提交审核", frozenset({PlanStatus.DRAFT, PlanStatus.RETURNED}), PlanStatus.SUBMITTED,
               frozenset({E, T})),
    Transition("approve", "审核通过", frozenset({PlanStatus.SUBMITTED}), PlanStatus.APPROVED, frozenset({T})),
    Transition("return", "退回修改", frozenset({PlanStatus.SUBMITTED, PlanStatus.APPROVED}), PlanStatus.RETURNED,
               frozenset({T, D}), needs_comment=True),
    Transition("file", "备案", frozenset({PlanStatus.APPROVED}), PlanStatus.FILED, frozenset({D})),
    Transition("start", "开始实施", frozenset({PlanStatus.FILED}), PlanStatus.IN_PROGRESS, frozenset({E, T, S})),
    Transition("complete", "确认完成", frozenset({PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE}),
               PlanStatus.COMPLETED, frozenset({T})),
    Transition("mark_overdue", "逾期", frozenset({PlanStatus.FILED, PlanStatus.IN_PROGRESS}), PlanStatus.OVERDUE,
               frozenset({S})),
    Transition("refuse", "认定拒不整改", frozenset({PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED,
                                              PlanStatus.FILED, PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE}),
               PlanStatus.REFUSED, frozenset({T, D}), needs_comment=True),
    Transition("withdraw", "撤回", frozenset({PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED}),
               PlanStatus.WITHDRAWN, frozenset({E, T}), needs_comment=True),
    # an amendment: a new version of a filed plan goes through review again
    Transition("amend", "申请变更", frozenset({PlanStatus.FILED, PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE}),
               PlanStatus.DRAFT, frozenset({E, T}), needs_comment=True),
)}


class TransitionError(ValueError):
    """The action is not allowed now or not by this actor; the message says why, in Chinese."""


def check_transition(status: str, action: str, actor: Actor, comment: str = "") -> PlanStatus:
    t = TRANSITIONS.get(action)
    if t is None:
        raise TransitionError(f"未知操作“{action}”")
    current = PlanStatus(status)
    if current not in t.source:
        raise TransitionError(f"整改方案当前状态为“{PLAN_STATUS_LABELS[current]}”，不能{t.label}")
    if actor not in t.actors:
        raise TransitionError(f"{ACTOR_LABELS[actor]}不能{t.label}")
    if t.needs_comment and not comment.strip():
        raise TransitionError(f"{t.label}时请填写说明或意见")
    return t.target


ACTOR_LABELS = {Actor.ENTERPRISE: "企业", Actor.TOWNSHIP: "乡镇（街道）", Actor.DISTRICT: "区经商局",
                Actor.SYSTEM: "系统"}


def allowed_actions(status: str, actor: Actor) -> list[str]:
    current = PlanStatus(status)
    return [a for a, t in TRANSITIONS.items() if current in t.source and actor in t.actors and actor is not S]


# --- the plan's content (R9, R11) -----------------------------------------------------------------

class Route(StrEnum):
    SELF_BUILD = "self_build"
    EXPAND = "expand"
    JOINT = "joint"
    TRANSFER = "transfer"
    SPLIT_TRANSFER = "split_transfer"
    LEASE = "lease"
    OTHER = "other"


ROUTE_LABELS = {Route.SELF_BUILD: "自建", Route.EXPAND: "扩建", Route.JOINT: "合作开发", Route.TRANSFER: "转让",
                Route.SPLIT_TRANSFER: "分割转让", Route.LEASE: "出租", Route.OTHER: "其他"}

MILESTONES = {"": "—", "permit": "取得施工许可", "start": "开工", "topping_out": "主体结顶", "completion": "竣工",
              "transfer": "完成转让", "lease": "完成出租", "production": "投产"}


@dataclass(frozen=True)
class StepFacts:
    month: date                      # the first day of the month
    action: str
    floor_area_m2: Decimal = Decimal(0)
    investment_wan: Decimal = Decimal(0)
    milestone: str = ""


@dataclass(frozen=True)
class PlanFacts:
    route: str
    measures: str
    approach: str
    start: date | None
    deadline: date | None
    steps: Sequence[StepFacts]
    benefits: dict[str, Decimal | None]   # new_floor_area_m2, far_after, investment_wan, output_wan, tax_wan, jobs
    entries: int = 1
    exception_reason: str = ""            # why a deadline beyond the duration is allowed (approved separately)


BENEFIT_LABELS = {"new_floor_area_m2": "新增建筑面积（平方米）", "far_after": "整改后容积率",
                  "investment_wan": "投资额（万元）", "output_wan": "预计年产值（万元）",
                  "tax_wan": "预计年税收（万元）", "jobs": "新增就业（人）"}


def month_start(d: date) -> date:
    return d.replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    """Every month from start's to end's, inclusive, as first days."""
    months, m = [], month_start(start)
    while m <= month_start(end):
        months.append(m)
        m = add_months(m, 1)
    return months


def plan_problems(p: PlanFacts, *, start_deadline: date, duration_months: int) -> dict[str, str]:
    """{field: Chinese message} for every rule of R9/R11 the plan breaks; empty when it is complete."""
    problems: dict[str, str] = {}
    if p.entries < 1:
        problems["entries"] = "请选择整改方案所针对的清单地块"
    if p.route not in {r.value for r in Route}:
        problems["route"] = "请选择整改路径"
    if not p.measures.strip():
        problems["measures"] = "请填写整改措施"
    if not p.approach.strip():
        problems["approach"] = "请填写具体做法"
    if p.start is None:
        problems["start"] = "请填写整改开始日期"
    elif p.start > start_deadline:
        problems["start"] = (f"整改须于 {start_deadline:%Y年%m月%d日} 前启动（R11），"
                             f"开始日期 {p.start:%Y-%m-%d} 晚于此日")
    if p.deadline is None:
        problems["deadline"] = "请填写整改期限"
    elif p.start is not None:
        if p.deadline < p.start:
            problems["deadline"] = "整改期限不能早于开始日期"
        else:
            limit = add_months(p.start, duration_months)
            if p.deadline > limit and not p.exception_reason.strip():
                problems["deadline"] = (f"整改期限原则上为开始后 {duration_months} 个月内（不晚于 {limit:%Y-%m-%d}）；"
                                        "确需延长的，请填写延期理由并经批准")
    # every expected benefit is required: one left out of the facts is as missing as one given as None
    missing = [k for k in BENEFIT_LABELS if p.benefits.get(k) is None]
    missing += [k for k, v in p.benefits.items() if v is None and k not in BENEFIT_LABELS]
    if missing:
        names = "、".join(BENEFIT_LABELS.get(k, k) for k in missing)
        problems["benefits"] = f"请填写预期效益：{names}"
    problems.update(step_problems(p))
    return problems


def step_problems(p: PlanFacts) -> dict[str, str]:
    if not p.steps:
        return {"steps": "请填写按月实施步骤"}
    problems: list[str] = []
    for i, s in enumerate(p.steps, 1):
        if not s.action.strip():
            problems.append(f"第 {i} 步（{s.month:%Y年%m月}）未填写实施内容")
        if s.floor_area_m2 < 0 or s.investment_wan < 0:
            problems.append(f"第 {i} 步（{s.month:%Y年%m月}）计划数量不能为负")
        if s.milestone not in MILESTONES:
            problems.append(f"第 {i} 步的节点“{s.milestone}”无效")
    months = [month_start(s.month) for s in p.steps]
    dupes = sorted({m for m in months if months.count(m) > 1})
    if dupes:
        problems.append("月份重复：" + "、".join(f"{m:%Y年%m月}" for m in dupes))
    if p.start and p.deadline and p.deadline >= p.start:
        need = months_between(p.start, p.deadline)
        gaps = [m for m in need if m not in months]
        if gaps:
            problems.append("缺少以下月份的实施步骤：" + "、".join(f"{m:%Y年%m月}" for m in gaps))
        outside = sorted({m for m in months if m not in need})
        if outside:
            problems.append("以下步骤不在整改期内：" + "、".join(f"{m:%Y年%m月}" for m in outside))
    return {"steps": "；".join(problems)} if problems else {}


# --- progress from quantities ----------------------------------------------------------------------

@dataclass(frozen=True)
class Quantities:
    floor_area_m2: Decimal = Decimal(0)
    investment_wan: Decimal = Decimal(0)
    milestones: int = 0


def planned_totals(steps: Iterable[StepFacts], until: date | None = None) -> Quantities:
    area = inv = Decimal(0)
    ms = 0
    for s in steps:
        if until is not None and month_start(s.month) > month_start(until):
            continue
        area += s.floor_area_m2
        inv += s.investment_wan
        ms += bool(s.milestone)
    return Quantities(area, inv, ms)


def progress_ratio(planned: Quantities, actual: Quantities) -> Decimal:
    """Progress 0–1 from the quantities: the mean, over the kinds the plan has (floor area, investment,
    milestones), of actual / planned capped at 1. Never typed in."""
    parts = []
    for p, a in ((planned.floor_area_m2, actual.floor_area_m2), (planned.investment_wan, actual.investment_wan),
                 (Decimal(planned.milestones), Decimal(actual.milestones))):
        if p > 0:
            parts.append(min(Decimal(1), Decimal(a) / Decimal(p)))
    if not parts:
        return Decimal(0)
    return (sum(parts) / len(parts)).quantize(Decimal("0.0001"))


BEHIND_TOLERANCE = Decimal("0.9")  # behind schedule when below 90 % of what was planned by now


def behind_schedule(*, planned_to_date: Quantities, actual: Quantities, planned_total: Quantities) -> bool:
    expected = progress_ratio(planned_total, planned_to_date)
    achieved = progress_ratio(planned_total, actual)
    return expected > 0 and achieved < expected * BEHIND_TOLERANCE


# --- the action queue --------------------------------------------------------------------------------

class Reason(StrEnum):
    PLAN_NOT_SUBMITTED = "plan_not_submitted"
    REVIEW_PENDING = "review_pending"
    FILING_PENDING = "filing_pending"
    NOT_STARTED_BY_DEADLINE = "not_started_by_deadline"
    PROGRESS_REPORT_DUE = "progress_report_due"
    PROGRESS_OVERDUE = "progress_overdue"
    BEHIND_SCHEDULE = "behind_schedule"
    EVIDENCE_MISSING = "evidence_missing"
    COMPLETION_OVERDUE = "completion_overdue"
    PROGRESS_CONFIRM_PENDING = "progress_confirm_pending"


REASON_LABELS = {
    Reason.PLAN_NOT_SUBMITTED: "整改方案未提交", Reason.REVIEW_PENDING: "整改方案待乡镇审核",
    Reason.FILING_PENDING: "整改方案待备案", Reason.NOT_STARTED_BY_DEADLINE: "未按期启动整改",
    Reason.PROGRESS_REPORT_DUE: "本月进展待报送", Reason.PROGRESS_OVERDUE: "进展逾期未报",
    Reason.BEHIND_SCHEDULE: "进度滞后", Reason.EVIDENCE_MISSING: "进展缺少佐证材料",
    Reason.COMPLETION_OVERDUE: "逾期未完成整改", Reason.PROGRESS_CONFIRM_PENDING: "进展待乡镇确认",
}

REPORT_DAY = 5  # a month's progress is due by the 5th of the next month


@dataclass(frozen=True)
class QueueFacts:
    status: PlanStatus
    start: date | None
    deadline: date | None
    start_deadline: date                     # the campaign's 整改启动截止日期 (R11)
    submitted_on: date | None = None
    approved_on: date | None = None
    reported_months: frozenset[date] = frozenset()     # months with a report
    unconfirmed_months: frozenset[date] = frozenset()  # reported, not yet confirmed by the township
    months_without_evidence: frozenset[date] = frozenset()
    behind: bool = False


@dataclass(frozen=True)
class QueueItem:
    reason: Reason
    who: Actor                  # who must act
    due: date
    detail: str = ""
    month: date | None = None


REVIEW_DAYS = 10   # the township reviews within 10 days
FILING_DAYS = 10   # 区经商局 files within 10 days


def queue_items(f: QueueFacts, today: date) -> list[QueueItem]:
    """What is due, overdue or missing on a plan today — and who must act."""
    from datetime import timedelta

    items: list[QueueItem] = []
    s = PlanStatus(f.status)  # the identity checks below need the member, not its text
    if s in (PlanStatus.DRAFT, PlanStatus.RETURNED):
        items.append(QueueItem(Reason.PLAN_NOT_SUBMITTED, Actor.ENTERPRISE, f.start_deadline,
                               "请完善并提交整改方案" if s is PlanStatus.DRAFT else "请按退回意见修改后重新提交"))
    if s is PlanStatus.SUBMITTED:
        due = (f.submitted_on or today) + timedelta(days=REVIEW_DAYS)
        items.append(QueueItem(Reason.REVIEW_PENDING, Actor.TOWNSHIP, due))
    if s is PlanStatus.APPROVED:
        due = (f.approved_on or today) + timedelta(days=FILING_DAYS)
        items.append(QueueItem(Reason.FILING_PENDING, Actor.DISTRICT, due))
    not_started = s in (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED, PlanStatus.APPROVED,
                        PlanStatus.FILED)
    if not_started and today > f.start_deadline:
        items.append(QueueItem(Reason.NOT_STARTED_BY_DEADLINE, Actor.TOWNSHIP, f.start_deadline,
                               f"应于 {f.start_deadline:%Y-%m-%d} 前启动整改（R11）"))
    if s in (PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE) and f.start:
        last = min(month_start(today), month_start(f.deadline) if f.deadline else month_start(today))
        for m in months_between(f.start, last):
            due = add_months(m, 1).replace(day=REPORT_DAY)
            if m in f.reported_months:
                continue
            if today > due:
                items.append(QueueItem(Reason.PROGRESS_OVERDUE, Actor.ENTERPRISE, due,
                                       f"{m:%Y年%m月}进展未报送", month=m))
            elif m < month_start(today) or (m == month_start(today) and today.day >= 25):
                items.append(QueueItem(Reason.PROGRESS_REPORT_DUE, Actor.ENTERPRISE, due,
                                       f"请于 {due:%Y-%m-%d} 前报送{m:%Y年%m月}进展", month=m))
        for m in sorted(f.unconfirmed_months):
            items.append(QueueItem(Reason.PROGRESS_CONFIRM_PENDING, Actor.TOWNSHIP,
                                   add_months(m, 1).replace(day=REPORT_DAY) + timedelta(days=REVIEW_DAYS),
                                   f"{m:%Y年%m月}进展待确认", month=m))
        for m in sorted(f.months_without_evidence):
            items.append(QueueItem(Reason.EVIDENCE_MISSING, Actor.ENTERPRISE,
                                   add_months(m, 1).replace(day=REPORT_DAY), f"{m:%Y年%m月}进展未附佐证材料",
                                   month=m))
        if f.behind:
            items.append(QueueItem(Reason.BEHIND_SCHEDULE, Actor.TOWNSHIP, today, "实际进度低于计划的 90%"))
    if s is PlanStatus.OVERDUE or (s is PlanStatus.IN_PROGRESS and f.deadline and today > f.deadline):
        items.append(QueueItem(Reason.COMPLETION_OVERDUE, Actor.TOWNSHIP, f.deadline or today,
                               f"整改期限 {f.deadline:%Y-%m-%d} 已过，尚未完成" if f.deadline else "整改期限已过"))
    return items


def photo_warnings(*, taken: date | None, lon: float | None, lat: float | None, month: date,
                   inside_parcel: bool | None, distance_m: float | None = None) -> list[str]:
    """Warnings for a progress photo: no EXIF time, taken outside the reported month (±1 month allowed
    for reports filed early next month), no GPS, or taken away from the parcel."""
    out: list[str] = []
    if taken is None:
        out.append("照片未记录拍摄时间（EXIF），请核实")
    else:
        lo, hi = add_months(month_start(month), -1), add_months(month_start(month), 2)
        if not (lo <= taken < hi):
            out.append(f"拍摄时间 {taken:%Y-%m-%d} 不在报送月份（{month:%Y年%m月}）前后")
    if lon is None or lat is None:
        out.append("照片未记录拍摄位置（GPS），请核实")
    elif inside_parcel is False:
        where = f"，距宗地约 {distance_m:,.0f} 米" if distance_m is not None else ""
        out.append(f"拍摄位置（{lon:.5f}, {lat:.5f}）不在宗地范围内{where}")
    return out

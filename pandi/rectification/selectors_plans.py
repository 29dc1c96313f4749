"""Reads for the plan pages: the entries a user may plan for, progress of a page of plans in a few
queries, the steps with planned vs actual quantities, and the plans covering a parcel (parcel page).
Every read starts from `visible_to(user)`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from pandi.core.scope import access_for
from pandi.domain.access import Role
from pandi.domain.dates import add_months
from pandi.domain.rectification import (
    Quantities,
    StepFacts,
    behind_schedule,
    month_start,
    planned_totals,
    progress_ratio,
)

from .models import PlanEntry, PlanStep, ProgressItem, RectificationPlan
from .selectors import Progress

STATUS_TONES = {
    "draft": "secondary", "submitted": "primary", "returned": "warning", "approved": "info", "filed": "success",
    "in_progress": "primary", "completed": "success", "overdue": "danger", "refused": "danger",
    "withdrawn": "secondary",
}


# plans in effect: only these can be behind schedule (a draft under review is not "behind")
ACTIVE_STATUSES = frozenset({"filed", "in_progress", "overdue"})


def candidate_entries(*, user: Any) -> QuerySet:
    """Accepted inventory entries (with 清单编号) that `user` may plan for: an enterprise user's entries
    whose parcels their enterprise currently holds, a township officer's entries of their township —
    only entries with a current holder (a plan is the holder's). Entries that already have an open
    plan are included (see open_plans_of): the service refuses a second open plan with its reason."""
    from pandi.screening.models import InventoryEntry
    from pandi.screening.selectors import current_campaign

    access = access_for(user)
    qs = InventoryEntry.objects.filter(included=True).exclude(number="")
    campaign = current_campaign()
    if campaign is not None:
        qs = qs.filter(inventory_list__campaign=campaign)
    if Role.TOWNSHIP in access.roles and access.scope.township_ids:
        qs = qs.filter(township_id__in=sorted(access.scope.township_ids), parcels__holdings__is_current=True)
    elif Role.ENTERPRISE in access.roles and access.scope.enterprise_ids:
        qs = qs.filter(parcels__holdings__enterprise_id__in=sorted(access.scope.enterprise_ids),
                       parcels__holdings__is_current=True)
    else:
        return qs.none()
    return qs.select_related("township", "inventory_list").distinct().order_by("number", "id")


def open_plans_of(entries: Iterable[Any]) -> dict[int, int]:
    """{entry id: the id of its open plan} for those of `entries` that have one."""
    ids = [e.pk for e in entries]
    if not ids:
        return {}
    return dict(PlanEntry.objects.filter(entry_id__in=ids, open=True).values_list("entry_id", "plan_id"))


def entry_holders(*, user: Any, entries: Iterable[Any]) -> list[Any]:
    """The enterprises (visible to `user`) currently holding parcels of `entries`."""
    from pandi.land.models import Enterprise

    ids = [e.pk for e in entries]
    if not ids:
        return []
    from pandi.screening.models import InventoryEntry

    parcel_ids = InventoryEntry.parcels.through.objects.filter(inventoryentry_id__in=ids).values("parcel_id")
    return list(Enterprise.objects.visible_to(user)
                .filter(holdings__parcel_id__in=parcel_ids, holdings__is_current=True)
                .distinct().order_by("name", "id"))


def progress_for_plans(plans: Iterable[RectificationPlan], *, today: date | None = None) -> dict[int, Progress]:
    """The progress of several plans from their reported quantities in two queries (the same rule as
    selectors.plan_progress: confirmed and pending reports count, queried ones do not); only plans in
    effect are flagged as behind schedule."""
    today = today or timezone.localdate()
    plans = list(plans)
    ids = [p.pk for p in plans]
    if not ids:
        return {}
    steps: dict[int, list[StepFacts]] = defaultdict(list)
    milestone_steps: set[int] = set()
    for s in PlanStep.objects.filter(plan_id__in=ids).order_by("plan_id", "month"):
        steps[s.plan_id].append(StepFacts(s.month, s.action, s.floor_area_m2, s.investment_wan, s.milestone))
        if s.milestone:
            milestone_steps.add(s.pk)
    actual: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    rows = (ProgressItem.objects.filter(report__plan_id__in=ids).exclude(report__status="queried")
            .values_list("report__plan_id", "step_id", "floor_area_m2", "investment_wan", "milestone_reached"))
    for plan_id, step_id, area, inv, reached in rows:
        a = actual[plan_id]
        a[0] += area
        a[1] += inv
        a[2] += 1 if reached and step_id in milestone_steps else 0
    until = add_months(month_start(today), -1)
    out: dict[int, Progress] = {}
    in_effect = {p.pk for p in plans if p.status in ACTIVE_STATUSES}
    for pid in ids:
        planned = planned_totals(steps[pid])
        to_date = planned_totals(steps[pid], until=until)
        a = actual[pid]
        got = Quantities(a[0], a[1], int(a[2]))
        out[pid] = Progress(ratio=progress_ratio(planned, got), expected=progress_ratio(planned, to_date),
                            planned=planned, actual=got,
                            behind=pid in in_effect and behind_schedule(planned_to_date=to_date, actual=got,
                                                                        planned_total=planned))
    return out


@dataclass
class StepRow:
    step: PlanStep
    actual_area: Decimal
    actual_investment: Decimal
    milestone_reached: bool
    reported: bool


def step_rows(plan: RectificationPlan) -> list[StepRow]:
    """The plan's steps with the actual quantities reported against each (queried reports excluded)."""
    sums = {r["step_id"]: r for r in ProgressItem.objects.filter(report__plan=plan)
            .exclude(report__status="queried").order_by().values("step_id")
            .annotate(area=Sum("floor_area_m2"), inv=Sum("investment_wan"),
                      reached=Count("id", filter=Q(milestone_reached=True)))}  # SUM(boolean) fails on PostgreSQL
    rows = []
    for s in plan.steps.all():
        r = sums.get(s.pk)
        rows.append(StepRow(step=s, actual_area=r["area"] if r else Decimal(0),
                            actual_investment=r["inv"] if r else Decimal(0),
                            milestone_reached=bool(r and r["reached"]), reported=r is not None))
    return rows


@dataclass
class ParcelPlan:
    plan: RectificationPlan
    progress: Progress
    tone: str
    entries: list[str]


def plans_for_parcel(*, user: Any, parcel: Any) -> list[ParcelPlan]:
    """The rectification plans (visible to `user`) covering a parcel, newest first, with progress."""
    entry_ids = PlanEntry.objects.filter(Q(entry__parcel=parcel) | Q(entry__parcels=parcel)).values("plan_id")
    plans = list(RectificationPlan.objects.visible_to(user).filter(pk__in=entry_ids)
                 .select_related("enterprise").order_by("-created_at", "-id"))
    if not plans:
        return []
    progress = progress_for_plans(plans)
    numbers: dict[int, list[str]] = defaultdict(list)
    for pid, number, label in (PlanEntry.objects.filter(plan_id__in=[p.pk for p in plans])
                               .order_by("entry__number").values_list("plan_id", "entry__number", "entry__label")):
        numbers[pid].append(number or label)
    return [ParcelPlan(plan=p, progress=progress[p.pk], tone=STATUS_TONES.get(p.status, "secondary"),
                       entries=numbers[p.pk]) for p in plans]

"""Reads for rectification, each from `visible_to(user)`: a township officer sees their township's
plans, an enterprise user only its own plans and reports; out of scope answers 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from pandi.core.scope import access_for, get_visible_or_404
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

from .models import ProgressItem, ProgressReport, QueueEntry, RectificationPlan


def plan_list(*, user: Any, status: str | None = None, township: Any = None, q: str | None = None
              ) -> QuerySet[RectificationPlan]:
    qs = (RectificationPlan.objects.visible_to(user).select_related("enterprise", "township", "campaign")
          .annotate(n_entries=Count("plan_entries", distinct=True)))
    if status:
        qs = qs.filter(status__in=status.split(","))
    if township:
        qs = qs.filter(township_id=township)
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(entries__number__icontains=q)).distinct()
    return qs


def plan_get(*, user: Any, pk: Any) -> RectificationPlan:
    return get_visible_or_404(RectificationPlan.objects.select_related("enterprise", "township", "campaign")
                              .prefetch_related("steps", Prefetch("plan_entries__entry")), user, pk=pk)


def report_get(*, user: Any, pk: Any) -> ProgressReport:
    return get_visible_or_404(ProgressReport.objects.select_related("plan", "plan__enterprise", "plan__township")
                              .prefetch_related("items__step", "evidence"), user, pk=pk)


@dataclass
class Progress:
    ratio: Decimal                  # 0–1, from the quantities
    expected: Decimal               # what the plan foresaw by now, 0–1
    planned: Quantities
    actual: Quantities
    behind: bool

    @property
    def percent(self) -> Decimal:
        return (self.ratio * 100).quantize(Decimal("0.1"))

    @property
    def expected_percent(self) -> Decimal:
        return (self.expected * 100).quantize(Decimal("0.1"))


def plan_progress(plan: RectificationPlan, *, today: date | None = None) -> Progress:
    """Progress from the reported quantities (confirmed and pending reports; not queried ones)."""
    today = today or timezone.localdate()
    steps = [StepFacts(s.month, s.action, s.floor_area_m2, s.investment_wan, s.milestone) for s in plan.steps.all()]
    planned = planned_totals(steps)
    # what should be done by now: the months already over (this month's report is not due yet)
    to_date = planned_totals(steps, until=add_months(month_start(today), -1))
    items = list(ProgressItem.objects.filter(report__plan=plan).exclude(report__status="queried")
                 .select_related("step"))
    area = sum((i.floor_area_m2 for i in items), Decimal(0))
    inv = sum((i.investment_wan for i in items), Decimal(0))
    ms = sum(1 for i in items if i.milestone_reached and i.step.milestone) if items else 0
    actual = Quantities(area, inv, ms)
    if plan.status not in ("filed", "in_progress", "overdue", "completed"):
        # not in effect yet (or closed without rectifying): nothing is expected of it by now
        return Progress(ratio=progress_ratio(planned, actual), expected=Decimal(0), planned=planned, actual=actual,
                        behind=False)
    return Progress(ratio=progress_ratio(planned, actual), expected=progress_ratio(planned, to_date),
                    planned=planned, actual=actual,
                    behind=behind_schedule(planned_to_date=to_date, actual=actual, planned_total=planned))


def queue_for(*, user: Any, include_resolved: bool = False) -> QuerySet[QueueEntry]:
    """The user's own queue: what *they* must do — an enterprise user its enterprise's items, a township
    officer their township's, 区经商局 the filing items and everything overdue."""
    access = access_for(user)
    qs = QueueEntry.objects.visible_to(user).select_related("plan", "enterprise", "township")
    if not include_resolved:
        qs = qs.filter(resolved_at=None)
    roles = access.roles
    if roles & {Role.ADMIN, Role.DISTRICT_LEAD}:
        qs = qs.filter(Q(who="district") | Q(due__lt=timezone.localdate()))
    elif Role.TOWNSHIP in roles:
        qs = qs.filter(who__in=["township", "enterprise"])
    elif Role.ENTERPRISE in roles:
        qs = qs.filter(who="enterprise")
    else:  # departments, court, supervision, leadership: no rectification work of their own
        qs = qs.none()
    return qs.order_by("due", "id")


def queue_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return queue_for(user=user).count()

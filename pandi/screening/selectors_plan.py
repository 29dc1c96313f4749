"""Reads for the annual work plan (R8): the inventory with its plan items, the overlap of township blocks
with district-list parcels, and per-township totals against the targets — scoped by `visible_to`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, QuerySet, Sum

from pandi.accounts.models import OrgUnit
from pandi.domain.units import m2_to_mu
from pandi.supervision.models import Campaign

from . import exporters, selectors
from .choices import EntryKind, Route
from .models import InventoryEntry, WorkPlanTarget

ROUTE_LABELS = dict(Route.choices)


def percent(part: float, whole: float) -> float | None:
    return round(part / whole * 100, 1) if whole else None


@dataclass
class PlanFilters:
    township: OrgUnit | None = None
    year: int | None = None
    route: str = ""
    unassigned: bool = False
    kind: str = ""

    def query(self, **changes: Any) -> str:
        values = {"township": self.township.pk if self.township else "", "year": self.year or "",
                  "route": self.route, "unassigned": "1" if self.unassigned else "", "kind": self.kind}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})

    def text(self) -> str:
        parts = []
        if self.township:
            parts.append(self.township.name)
        if self.year:
            parts.append(f"{self.year}年")
        if self.route:
            parts.append(ROUTE_LABELS.get(self.route, self.route))
        if self.unassigned:
            parts.append("未安排")
        if self.kind:
            parts.append(exporters.KIND_LABELS.get(self.kind, self.kind))
        return "，".join(parts)


def plan_entries(*, user: Any, campaign: Campaign, filters: PlanFilters | None = None,
                 geometry: bool = False) -> QuerySet[InventoryEntry]:
    """The inventory with each entry's plan item (one query; no parcel rows, geometry only when asked)."""
    f = filters or PlanFilters()
    qs = selectors.inventory(user=user, campaign=campaign, township=f.township.pk if f.township else None,
                             kind=f.kind or None)
    qs = qs.select_related(None).select_related(
        "township", "plan_item", "plan_item__responsible_township", "plan_item__responsible_department")
    if not geometry:
        qs = qs.defer("geometry")
    if f.year:
        qs = qs.filter(plan_item__year=f.year)
    if f.route:
        qs = qs.filter(plan_item__route=f.route)
    if f.unassigned:
        qs = qs.filter(plan_item__isnull=True)
    return qs


def overlapping_blocks(base: QuerySet[InventoryEntry]) -> set[int]:
    """Blocks of a township list that share a parcel with a district-list entry: the same land counted
    twice when both are in the plan."""
    through = InventoryEntry.parcels.through
    blocks = base.filter(kind=EntryKind.BLOCK).order_by().values("pk")
    parcels = base.filter(kind=EntryKind.PARCEL).exclude(parcel=None).order_by().values("parcel_id")
    return set(through.objects.filter(inventoryentry_id__in=blocks, parcel_id__in=parcels)
               .values_list("inventoryentry_id", flat=True).distinct())


@dataclass
class TotalsRow:
    name: str
    township_id: int | None
    cells: list[dict[str, Any]] = field(default_factory=list)
    unassigned_mu: float = 0.0
    total_mu: float = 0.0
    count: int = 0


def plan_totals(*, base: QuerySet[InventoryEntry], townships: list[OrgUnit], years: list[int],
                targets: dict[tuple[int, int], WorkPlanTarget]) -> dict[str, Any]:
    """Per township (rows) and year (columns): the area assigned (亩) against the township's target."""
    agg = (base.order_by().values("township_id", "plan_item__year")
           .annotate(m2=Sum("area_m2"), n=Count("pk")))
    assigned: dict[tuple[int | None, int | None], tuple[Decimal, int]] = {
        (r["township_id"], r["plan_item__year"]): (r["m2"] or Decimal(0), r["n"]) for r in agg}
    rows: list[TotalsRow] = []
    known = {t.pk for t in townships}
    towns: list[tuple[str, int | None]] = [(t.name, t.pk) for t in townships]
    if any(tid is None or tid not in known for tid, _y in assigned):
        towns.append((exporters.NO_TOWNSHIP, None))
    for name, tid in towns:
        row = TotalsRow(name, tid)
        for y in years:
            m2, _n = assigned.get((tid, y), (Decimal(0), 0))
            target = targets.get((tid, y)) if tid else None
            mu = float(m2_to_mu(m2))
            row.cells.append({"year": y, "mu": mu, "target_mu": float(target.target_mu) if target else None,
                              "target_m2": float(target.target_m2) if target else None,
                              "pct": percent(mu, float(target.target_mu)) if target else None})
        row.unassigned_mu = float(m2_to_mu(assigned.get((tid, None), (Decimal(0), 0))[0]))
        keys = [k for k in assigned if k[0] == tid or (tid is None and k[0] not in known)]
        row.total_mu = float(m2_to_mu(sum((assigned[k][0] for k in keys), Decimal(0))))
        row.count = sum(assigned[k][1] for k in keys)
        rows.append(row)
    total = TotalsRow("合计", None)
    for i, y in enumerate(years):
        mu = sum(r.cells[i]["mu"] for r in rows)
        tmu = [r.cells[i]["target_mu"] for r in rows if r.cells[i]["target_mu"] is not None]
        tm2 = [r.cells[i]["target_m2"] for r in rows if r.cells[i]["target_m2"] is not None]
        total.cells.append({"year": y, "mu": mu, "target_mu": sum(tmu) if tmu else None,
                            "target_m2": sum(tm2) if tm2 else None, "pct": percent(mu, sum(tmu)) if tmu else None})
    total.unassigned_mu = sum(r.unassigned_mu for r in rows)
    total.total_mu = sum(r.total_mu for r in rows)
    total.count = sum(r.count for r in rows)
    return {"rows": rows, "total": total,
            "assigned_mu": sum(c["mu"] for c in total.cells),
            "target_mu": sum(float(t.target_mu) for t in targets.values()),
            "target_m2": sum(float(t.target_m2) for t in targets.values())}


def plan_targets(*, user: Any, campaign: Campaign) -> dict[tuple[int, int], WorkPlanTarget]:
    return {(t.township_id, t.year): t for t in WorkPlanTarget.objects.visible_to(user).filter(campaign=campaign)}

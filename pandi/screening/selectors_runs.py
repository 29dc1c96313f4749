"""Reads for the screening run pages and the run download: the rows of a run's tabs, its
per-township counts and the screening.md §6 JSON built from the STORED results (never re-run).
Everything starts from `visible_to(user)`: a township officer gets their township only."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from pandi.accounts.models import OrgUnit
from pandi.domain.screening import m2_to_mu2

from . import selectors
from .choices import STATUS_SHORT, ScreeningStatus
from .models import ScreeningResult, ScreeningRun, VacantBlock

# badge colours of the statuses (Bootstrap text-bg-*), from harmless to what the lists are about
STATUS_TONES = {
    "within_period": "info",
    "overdue_not_started": "warning",
    "idle_not_started": "danger",
    "stalled_candidate": "warning",
    "under_construction": "primary",
    "completed": "success",
    "unknown": "secondary",
}

NO_TOWNSHIP = "（未划入乡镇）"


def status_meta() -> list[dict[str, str]]:
    """The seven statuses in order with their short and full labels and badge colour."""
    return [{"value": s.value, "short": STATUS_SHORT[s.value], "label": str(s.label), "tone": STATUS_TONES[s.value]}
            for s in ScreeningStatus]


def run_choices(*, user: Any, limit: int = 200) -> list[ScreeningRun]:
    """Runs to pick from (the compare forms): the latest first, without the heavy counts."""
    return list(selectors.run_list(user=user).defer("counts", "parameters")[:limit])


def run_result_rows(*, user: Any, run: ScreeningRun, status: str | None = None, township: Any = None,
                    district_list: bool | None = None, q: str | None = None) -> QuerySet[ScreeningResult]:
    """The results of a run for a table, largest first."""
    return (selectors.run_results(user=user, run=run, status=status, township=township, district_list=district_list,
                                  q=q).order_by("-area_m2", "parcel_code", "id"))


def result_page(qs: QuerySet[ScreeningResult], *, number: Any, size: int) -> Any:
    """A page of results: count and ids from the narrow result table only, then that page's rows with
    the parcel's 电子监管号 and holders (no parcel geometry)."""
    from django.core.paginator import Paginator

    page = Paginator(qs.values_list("pk", flat=True), size).get_page(number)
    ids = list(page.object_list)
    rows = (qs.order_by().filter(pk__in=ids)
            .annotate(supervision_no=F("parcel__supervision_no"), holder_names=F("parcel__holder_names"))
            .in_bulk()) if ids else {}
    page.object_list = [rows[i] for i in ids if i in rows]
    return page


def run_block_rows(*, user: Any, run: ScreeningRun, township: Any = None) -> QuerySet[VacantBlock]:
    return selectors.run_blocks(user=user, run=run, township=township).defer("geometry")


def run_townships(*, user: Any, run: ScreeningRun, counts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per township in the run's counts that the user may see (and "no township" for the
    district), with its status counts, district-list parcels and listed blocks."""
    counts = counts if counts is not None else selectors.run_counts_for(user=user, run=run)
    by_township = counts.get("by_township") or {}
    ids = [int(k) for k in by_township if k.isdigit() and k != "0"]
    towns = {t.pk: t for t in OrgUnit.objects.visible_to(user).filter(pk__in=ids)}
    rows = []
    for key, v in by_township.items():
        tid = int(key) if key.isdigit() else 0
        town = towns.get(tid)
        if tid and town is None:
            continue
        if not tid and not selectors.sees_district(user):
            continue
        statuses = v.get("statuses") or {}
        rows.append({
            "id": tid or None, "name": town.name if town else NO_TOWNSHIP,
            "sort": (town.sort_order, town.code) if town else (10**9, ""),
            "parcels": sum(statuses.values()),
            "statuses": [statuses.get(s.value, 0) for s in ScreeningStatus],
            "overdue": statuses.get("overdue_not_started", 0), "idle": statuses.get("idle_not_started", 0),
            "stalled": statuses.get("stalled_candidate", 0),
            "district_list": v.get("district_list", 0), "district_list_m2": v.get("district_list_m2", 0),
            "blocks": v.get("blocks", 0), "blocks_m2": v.get("blocks_m2", 0),
        })
    rows.sort(key=lambda r: r["sort"])
    return rows


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def run_json(*, user: Any, run: ScreeningRun) -> dict[str, Any]:
    """The run as the screening.md §6 object, from its stored results and blocks, as `user` may see
    it: a township officer's copy holds their township's parcels, blocks and list only."""
    params = dict(run.parameters or {})
    parcels: list[dict[str, Any]] = []
    district: list[str] = []
    rows = (ScreeningResult.objects.visible_to(user).filter(run=run).order_by("parcel_code", "id")
            .values_list("parcel_code", "parcel__supervision_no", "township__name", "area_m2", "status", "unbuilt",
                         "deemed_start", "days_past_start", "idle_fee_due", "idle_fee_wan", "free_recovery_due",
                         "cause", "basis", "in_district_list"))
    for (code, supervision_no, township, area, status, unbuilt, deemed_start, days, fee_due, fee_wan, recovery,
         cause, basis, listed) in rows.iterator(chunk_size=5000):
        parcels.append({
            "parcel_code": code, "supervision_no": supervision_no or None, "township": township,
            "area_m2": _float(area), "area_mu": m2_to_mu2(area), "status": status, "unbuilt": unbuilt,
            "deemed_start": deemed_start.isoformat() if deemed_start else None, "days_past_start": days,
            "idle_fee_due": fee_due, "idle_fee_wan": _float(fee_wan), "free_recovery_due": recovery,
            "cause": cause, "basis": list(basis or []),
        })
        if listed:
            district.append(code)

    from pandi.accounts.selectors import township_list

    lists: dict[str, list[str]] = {name: [] for name in sorted(township_list(user=user).values_list("name",
                                                                                                     flat=True))}
    blocks = []
    for block_id, township, area, codes, holders, shares in (
            selectors.run_blocks(user=user, run=run).order_by("-area_m2", "block_id")
            .values_list("block_id", "township__name", "area_m2", "parcel_codes", "holders", "township_shares")):
        blocks.append({"block_id": block_id, "township": township, "area_m2": _float(area),
                       "area_mu": m2_to_mu2(area), "parcel_codes": list(codes or []), "holders": list(holders or []),
                       "township_shares": {k: v for k, v in sorted((shares or {}).items())}})
        if township is not None:
            lists.setdefault(township, []).append(block_id)

    counts = selectors.run_counts_for(user=user, run=run)
    return {
        "as_of": run.as_of.isoformat(),
        "parameters": params,
        "parcels": parcels,
        "district_list": district,
        "vacant_blocks": blocks,
        "township_lists": lists,
        "counts": {**{s.value: 0 for s in ScreeningStatus}, **(counts.get("by_status") or {})},
        "run_id": run.pk,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "source": run.source,
        "note": run.note,
    }

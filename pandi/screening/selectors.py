"""Reads for screening, each starting from `visible_to(user)`: a township officer sees the runs
(but only their township's results and blocks), their own township's list and its entries; the
district list and other townships' lists answer 404. Enterprise users see none of it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from pandi.core.scope import access_for, get_visible_or_404
from pandi.domain.lists import is_late
from pandi.supervision.models import Campaign

from .choices import ListKind
from .models import InventoryEntry, InventoryList, ScreeningResult, ScreeningRun, VacantBlock, WorkPlanItem


def current_campaign() -> Campaign | None:
    return Campaign.objects.filter(is_current=True).first()


def is_internal(user: Any) -> bool:
    """District-wide roles and township officers — the users the screening is for."""
    scope = access_for(user).scope
    return scope.district or bool(scope.township_ids)


def internal_or_404(user: Any) -> None:
    """Screening is for the district and the townships: enterprise users do not learn these pages exist."""
    if not is_internal(user):
        from django.http import Http404

        raise Http404("页面不存在")


def sees_district(user: Any) -> bool:
    return access_for(user).scope.district


def user_township_ids(user: Any) -> frozenset[int]:
    return access_for(user).scope.township_ids


# --- runs -----------------------------------------------------------------------------------------

def run_list(*, user: Any) -> QuerySet[ScreeningRun]:
    return ScreeningRun.objects.visible_to(user).select_related("created_by", "campaign")


def run_get(*, user: Any, pk: Any) -> ScreeningRun:
    return get_visible_or_404(ScreeningRun.objects.select_related("created_by", "campaign"), user, pk=pk)


def run_results(*, user: Any, run: ScreeningRun, status: str | None = None, township: Any = None,
                district_list: bool | None = None, q: str | None = None) -> QuerySet[ScreeningResult]:
    qs = ScreeningResult.objects.visible_to(user).filter(run=run).select_related("township")
    if status:
        qs = qs.filter(status=status)
    if township:
        qs = qs.filter(township_id=township)
    if district_list is not None:
        qs = qs.filter(in_district_list=district_list)
    if q:
        qs = qs.filter(Q(parcel_code__icontains=q) | Q(parcel__holder_names__icontains=q))
    return qs


def run_blocks(*, user: Any, run: ScreeningRun, township: Any = None) -> QuerySet[VacantBlock]:
    qs = VacantBlock.objects.visible_to(user).filter(run=run, listed=True).select_related("township")
    if township:
        qs = qs.filter(township_id=township)
    return qs


def run_counts_for(*, user: Any, run: ScreeningRun) -> dict[str, Any]:
    """The run's counts as this user may see them: the whole district, or only their townships."""
    counts = run.counts or {}
    if sees_district(user):
        return counts
    mine = {str(t) for t in user_township_ids(user)}
    by_township = {k: v for k, v in (counts.get("by_township") or {}).items() if k in mine}
    by_status: dict[str, int] = {}
    for v in by_township.values():
        for s, n in v.get("statuses", {}).items():
            by_status[s] = by_status.get(s, 0) + n
    return {
        "parcels": sum(by_status.values()), "by_status": by_status, "by_township": by_township,
        "district_list": sum(v.get("district_list", 0) for v in by_township.values()),
        "district_list_m2": sum(v.get("district_list_m2", 0) for v in by_township.values()),
        "blocks": sum(v.get("blocks", 0) for v in by_township.values()),
        "blocks_m2": sum(v.get("blocks_m2", 0) for v in by_township.values()),
    }


def run_diff(*, user: Any, run: ScreeningRun, other: ScreeningRun, limit: int | None = None) -> dict[str, Any]:
    """What changed from `run` (older) to `other` (newer): district-list entries added and removed,
    parcels whose status changed, blocks added and removed — within what the user may see."""
    def results(r: ScreeningRun) -> dict[int, tuple[str, bool, str, str]]:
        return {pid: (status, flag, code, town or "") for pid, status, flag, code, town in
                ScreeningResult.objects.visible_to(user).filter(run=r).values_list(
                    "parcel_id", "status", "in_district_list", "parcel_code", "township__name")}

    def blocks(r: ScreeningRun) -> dict[str, tuple[float, str]]:
        return {b: (float(a), town or "") for b, a, town in VacantBlock.objects.visible_to(user).filter(
            run=r, listed=True).values_list("block_id", "area_m2", "township__name")}

    a, b = results(run), results(other)
    added = sorted((b[p][2], b[p][3]) for p in b if b[p][1] and not (p in a and a[p][1]))
    removed = sorted((a[p][2], a[p][3]) for p in a if a[p][1] and not (p in b and b[p][1]))
    changed = sorted((b[p][2], b[p][3], a[p][0], b[p][0]) for p in b if p in a and a[p][0] != b[p][0])
    new_parcels = sorted(b[p][2] for p in b if p not in a)
    ba, bb = blocks(run), blocks(other)
    blocks_added = sorted((k, *bb[k]) for k in bb if k not in ba)
    blocks_removed = sorted((k, *ba[k]) for k in ba if k not in bb)

    def cut(x: list) -> list:
        return x[:limit] if limit else x

    return {
        "district_added": cut([{"parcel_code": c, "township": t} for c, t in added]),
        "district_removed": cut([{"parcel_code": c, "township": t} for c, t in removed]),
        "status_changed": cut([{"parcel_code": c, "township": t, "from": f, "to": to} for c, t, f, to in changed]),
        "parcels_new": cut(new_parcels),
        "blocks_added": cut([{"block_id": k, "area_m2": a_, "township": t} for k, a_, t in blocks_added]),
        "blocks_removed": cut([{"block_id": k, "area_m2": a_, "township": t} for k, a_, t in blocks_removed]),
        "counts": {"district_added": len(added), "district_removed": len(removed), "status_changed": len(changed),
                   "parcels_new": len(new_parcels), "blocks_added": len(blocks_added),
                   "blocks_removed": len(blocks_removed)},
    }


# --- lists and the inventory ------------------------------------------------------------------------

# the review steps as the services record them (audit comment → kind)
HISTORY_EVENTS = {"报送": "submitted", "退回": "returned", "确认": "accepted"}


def list_history(lst: InventoryList) -> list[dict[str, Any]]:
    """Submitted, returned, accepted: who, when, with which note or comment (from the audit trail)."""
    from django.contrib.contenttypes.models import ContentType

    from pandi.audit.models import AuditEntry

    ct = ContentType.objects.get_for_model(InventoryList, for_concrete_model=False)
    rows = (AuditEntry.objects.filter(content_type=ct, object_id=str(lst.pk), comment__in=list(HISTORY_EVENTS))
            .only("at", "actor_name", "comment", "after").order_by("at", "id"))
    history = []
    for r in rows:
        kind = HISTORY_EVENTS[r.comment]
        after = r.after or {}
        text = after.get("note", "") if kind == "submitted" else after.get("review_comment", "")
        label = {"submitted": "报送", "returned": "退回", "accepted": "确认"}[kind]
        if kind == "accepted" and lst.kind == ListKind.DISTRICT:
            label = "确认采用"
        history.append({"at": r.at, "who": r.actor_name or "系统", "kind": kind, "label": label, "text": text,
                        "tone": {"submitted": "primary", "returned": "warning", "accepted": "success"}[kind]})
    return history


def list_overview(*, user: Any, campaign: Campaign | None = None) -> list[InventoryList]:
    """The lists of a campaign with entry counts, areas and a `late` flag, as the user may see them."""
    campaign = campaign or current_campaign()
    if campaign is None:
        return []
    today = timezone.localdate()
    lists = list(InventoryList.objects.visible_to(user).filter(campaign=campaign)
                 .select_related("township", "submitted_by", "reviewed_by", "run")
                 .annotate(n_entries=Count("entries", filter=Q(entries__included=True)),
                           n_excluded=Count("entries", filter=Q(entries__included=False)),
                           n_added=Count("entries", filter=Q(entries__source="added")),
                           area=Sum("entries__area_m2", filter=Q(entries__included=True)))
                 .order_by("kind", "township__sort_order", "township__code"))
    for lst in lists:
        lst.late = _late(lst, today)
    return lists


def list_get(*, user: Any, pk: Any) -> InventoryList:
    lst = get_visible_or_404(InventoryList.objects.select_related("campaign", "township", "run", "submitted_by",
                                                                  "reviewed_by"), user, pk=pk)
    lst.late = _late(lst, timezone.localdate())
    return lst


def _late(lst: InventoryList, today: Any) -> bool:
    """逾期: a township list not submitted by the end of the deadline day (local time), or submitted after it."""
    if lst.kind != ListKind.TOWNSHIP:
        return False
    submitted = timezone.localdate(lst.submitted_at) if lst.submitted_at else None
    return is_late(status=lst.status, deadline=lst.deadline, today=today, submitted_at=submitted)


def list_entries(*, user: Any, inventory_list: InventoryList) -> QuerySet[InventoryEntry]:
    return (InventoryEntry.objects.visible_to(user).filter(inventory_list=inventory_list)
            .select_related("township", "parcel").order_by("-included", "number", "-area_m2", "id"))


def entry_get(*, user: Any, pk: Any) -> InventoryEntry:
    return get_visible_or_404(InventoryEntry.objects.select_related(
        "inventory_list__campaign", "inventory_list__township", "township", "parcel"), user, pk=pk)


def inventory(*, user: Any, campaign: Campaign | None = None, township: Any = None,
              kind: str | None = None) -> QuerySet[InventoryEntry]:
    """The official inventory (清单): included entries of accepted lists, each with its 清单编号."""
    campaign = campaign or current_campaign()
    qs = (InventoryEntry.objects.visible_to(user)
          .filter(inventory_list__campaign=campaign, inventory_list__status="accepted", included=True)
          .exclude(number="").select_related("township", "parcel", "inventory_list"))
    if township:
        qs = qs.filter(township_id=township)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("township__sort_order", "township__code", "number")


def plan_items(*, user: Any, campaign: Campaign | None = None) -> QuerySet[WorkPlanItem]:
    campaign = campaign or current_campaign()
    return (WorkPlanItem.objects.visible_to(user).filter(entry__inventory_list__campaign=campaign)
            .select_related("entry", "entry__township", "responsible_township", "responsible_department"))


def parcel_screening(*, user: Any, parcel: Any) -> dict[str, Any]:
    """For the parcel page: the latest saved screening result and the inventory entries naming it."""
    latest = (ScreeningResult.objects.visible_to(user).filter(parcel=parcel).select_related("run")
              .order_by("-run__created_at", "-run_id").first())
    entries = list(InventoryEntry.objects.visible_to(user).filter(Q(parcel=parcel) | Q(parcels=parcel))
                   .select_related("inventory_list", "inventory_list__campaign").distinct())
    return {"result": latest, "entries": entries}

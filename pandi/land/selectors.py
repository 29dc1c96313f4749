"""Reads for the land registry: lists, record pages and map data. Every read starts from
`Model.objects.visible_to(user)`, so pages, map data and the API show the same records."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import Avg, Count, F, FloatField, IntegerField, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Floor
from django.utils import timezone

from pandi.core.scope import access_for, get_visible_or_404
from pandi.domain.access import Perm
from pandi.domain.construction import STATE_COLOURS, STATE_LABELS, ConstructionState
from pandi.domain.units import m2_to_mu, mu_to_m2, round2

from .models import (
    Building,
    ConstructionFacts,
    Enterprise,
    Holding,
    ImportBatch,
    Parcel,
    StandardLandConditions,
    SupplyContract,
)


def visible_parcels(user: Any) -> QuerySet[Parcel]:
    """`Parcel.objects.visible_to(user)` (DISTINCT only for enterprise scopes, see core.scope)."""
    return Parcel.objects.visible_to(user)


# --- parcel list -----------------------------------------------------------------------------

# sort key (as in ?sort=) -> (label, ordering). A leading "-" in ?sort= reverses it.
PARCEL_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "code": ("宗地编号", ("code", "supervision_no", "id")),
    "township": ("乡镇（街道）", ("township__sort_order", "township__code", "code", "id")),
    "area": ("面积", ("area_m2", "id")),
    "state": ("状态", ("state", "code", "id")),
    "supply_year": ("供地年份", ("supply_year", "code", "id")),
    "holder": ("权利人", ("holder_names", "code", "id")),
    "updated": ("更新时间", ("updated_at", "id")),
}
LIST_DEFER = ("geometry", "geometry_simple", "notes")
# a township's boundary is large: never carry it along with each row of a list
TOWNSHIP_DEFER = ("township__boundary_geojson", "township__duties")


def _reverse(ordering: tuple[str, ...]) -> list[str]:
    return [o[1:] if o.startswith("-") else f"-{o}" for o in ordering]


def parcel_ordering(sort: str | None) -> list[str]:
    key = (sort or "").lstrip("-")
    if key not in PARCEL_SORTS:
        return ["township_id", "code", "supervision_no", "id"]  # as Meta.ordering: no join to sort on
    ordering = PARCEL_SORTS[key][1]
    return _reverse(ordering) if sort and sort.startswith("-") else list(ordering)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip())
    except Exception:
        return None
    return d if d.is_finite() else None


def plain_number(value: Decimal) -> str:
    """800.0000 -> 800, 1234.50 -> 1,234.5"""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _text_q(q: str) -> Q:
    """A parcel by 宗地编号, 电子监管号 (its own or a supply contract's), name or holder."""
    contracts = SupplyContract.objects.filter(supervision_no__icontains=q).values("parcel_id")
    return (Q(code__icontains=q) | Q(supervision_no__icontains=q) | Q(pk__in=contracts) | Q(name__icontains=q)
            | Q(holder_names__icontains=q))


def parcel_list(*, user: Any, township: Any = None, state: str | None = None, area_min_mu: Any = None,
                area_max_mu: Any = None, holder: str | None = None, enterprise: Any = None,
                land_use: str | None = None, supply_year: Any = None, q: str | None = None,
                sort: str | None = None) -> QuerySet[Parcel]:
    """Visible parcels, filtered and sorted; one query per page (township joined, holders are the
    denormalised `holder_names`, geometry left out)."""
    qs = visible_parcels(user)
    if township not in (None, ""):
        tid = _int(township)
        qs = qs.filter(township_id=tid) if tid is not None else qs.none()
    if state:
        states = [s for s in str(state).split(",") if s]
        qs = qs.filter(state__in=states)
    low, high = _decimal(area_min_mu), _decimal(area_max_mu)
    if low is not None:
        qs = qs.filter(area_m2__gte=round2(mu_to_m2(low)))
    if high is not None:
        qs = qs.filter(area_m2__lte=round2(mu_to_m2(high)))
    if holder:
        qs = qs.filter(holder_names__icontains=holder.strip())
    if enterprise not in (None, ""):
        eid = _int(enterprise)
        qs = qs.filter(pk__in=Holding.objects.filter(enterprise_id=eid).values("parcel_id")) \
            if eid is not None else qs.none()
    if land_use:
        qs = qs.filter(land_use=land_use)
    if supply_year not in (None, ""):
        year = _int(supply_year)
        qs = qs.filter(supply_year=year) if year is not None else qs.none()
    if q:
        q = q.strip()
        qs = qs.filter(_text_q(q) | Q(location__icontains=q))
    return qs.select_related("township").defer(*LIST_DEFER, *TOWNSHIP_DEFER).order_by(*parcel_ordering(sort))


def page_of(qs: QuerySet, *, number: Any, size: int, count: int | None = None) -> Any:
    """A page of `qs` in two narrow steps: the page's ids in order (sorting only the sort columns),
    then those rows — much faster than sorting whole rows when the list is long and deep."""
    from django.core.paginator import Paginator

    paginator = Paginator(qs.values_list("pk", flat=True), size)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(number)
    ids = list(page.object_list)
    rows = qs.order_by().filter(pk__in=ids).in_bulk() if ids else {}
    page.object_list = [rows[i] for i in ids if i in rows]
    return page


def parcel_filter_choices(*, user: Any) -> dict[str, list]:
    """Values for the list filters, from what the user can see."""
    from pandi.accounts.selectors import township_list

    visible = visible_parcels(user).order_by()
    return {
        "townships": list(township_list(user=user)),
        "land_uses": sorted({v for v in visible.values_list("land_use", flat=True).distinct() if v}),
        "supply_years": sorted({v for v in visible.values_list("supply_year", flat=True).distinct() if v},
                               reverse=True),
    }


def parcel_totals(qs: QuerySet[Parcel]) -> dict[str, Any]:
    """Count and area (m², 亩) of a filtered list — the figures shown above the table."""
    base = Parcel.objects.filter(pk__in=qs.order_by().values("pk")) if qs.query.distinct else qs.order_by()
    agg = base.aggregate(n=Count("id"), m2=Sum("area_m2"))
    m2 = agg["m2"] or Decimal(0)
    return {"count": agg["n"], "area_m2": m2, "area_mu": round2(m2_to_mu(m2))}


# --- parcel page -----------------------------------------------------------------------------

@dataclass
class TimelineEvent:
    day: date
    label: str
    detail: str = ""
    kind: str = "fact"  # fact | agreed | import | warning
    url: str | None = None

    @property
    def future(self) -> bool:
        return self.day > timezone.localdate()


@dataclass
class ParcelPage:
    parcel: Parcel
    holdings: list[Holding]
    contracts: list[SupplyContract]
    construction: ConstructionFacts | None
    standard: StandardLandConditions | None
    buildings: list[Building]
    building_totals: dict[str, Any]
    timeline: list[TimelineEvent] = field(default_factory=list)
    can_edit: bool = False
    township_visible: bool = False
    screening: dict[str, Any] | None = None  # the latest screening result and inventory entries (internal users)
    plans: list[Any] = field(default_factory=list)  # rectification plans covering the parcel (with progress)


def can_edit_land(user: Any, township_id: int | None) -> bool:
    """May `user` write land records of this township (the same rule the services enforce)?"""
    access = access_for(user)
    return access.can(Perm.EDIT_LAND) and (access.scope.district or access.scope.covers_township(township_id))


def parcel_get(*, user: Any, pk: Any) -> Parcel:
    return get_visible_or_404(Parcel.objects.select_related("township").defer(*TOWNSHIP_DEFER), user, pk=pk)


def parcel_detail(*, user: Any, pk: Any) -> ParcelPage:
    parcel = parcel_get(user=user, pk=pk)
    holdings = list(Holding.objects.visible_to(user).filter(parcel=parcel).select_related("enterprise")
                    .order_by("-is_current", "role", "start", "id"))
    linkable = set(Enterprise.objects.visible_to(user).filter(pk__in={h.enterprise_id for h in holdings})
                   .values_list("pk", flat=True)) if holdings else set()
    for h in holdings:
        h.enterprise_visible = h.enterprise_id in linkable
    contracts = list(SupplyContract.objects.visible_to(user).filter(parcel=parcel)
                     .order_by("contract_date", "id"))
    construction = ConstructionFacts.objects.filter(parcel=parcel).first()
    standard = StandardLandConditions.objects.filter(parcel=parcel).first()
    buildings_qs = Building.objects.visible_to(user).filter(parcel=parcel)
    totals = buildings_qs.order_by().aggregate(count=Count("id"), footprint=Sum("footprint_m2"),
                                               floor=Sum("floor_area_m2"))
    buildings = list(buildings_qs.order_by("id")[:200])
    access = access_for(user)
    page = ParcelPage(
        township_visible=access.scope.covers_township(parcel.township_id),
        parcel=parcel, holdings=holdings, contracts=contracts, construction=construction, standard=standard,
        buildings=buildings, building_totals=totals, can_edit=can_edit_land(user, parcel.township_id),
    )
    page.timeline = parcel_timeline(user=user, parcel=parcel, contracts=contracts, construction=construction,
                                    buildings=buildings)
    from pandi.screening.selectors import is_internal, parcel_screening

    if is_internal(user):
        page.screening = parcel_screening(user=user, parcel=parcel)
        page.timeline = sorted(page.timeline + _screening_events(page.screening),
                               key=lambda e: (e.day, {"agreed": 0, "fact": 1, "warning": 2}.get(e.kind, 3)))
    from pandi.rectification.selectors_plans import plans_for_parcel

    page.plans = plans_for_parcel(user=user, parcel=parcel)
    return page


def _screening_events(screening: dict[str, Any]) -> list[TimelineEvent]:
    """Screening and inventory events for the parcel's timeline."""
    from pandi.screening.choices import STATUS_SHORT

    events: list[TimelineEvent] = []
    result = screening.get("result")
    if result is not None:
        run = result.run
        events.append(TimelineEvent(day=timezone.localdate(run.created_at),
                                    label=f"排摸筛查（判断日期 {run.as_of:%Y-%m-%d}）",
                                    detail=STATUS_SHORT.get(result.status, result.status), kind="screening",
                                    url=run.get_absolute_url()))
    for entry in screening.get("entries", []):
        lst = entry.inventory_list
        day = timezone.localdate(lst.reviewed_at) if entry.number and lst.reviewed_at else timezone.localdate(
            entry.created_at)
        label = f"列入{lst}" + (f"（清单编号 {entry.number}）" if entry.number else "（待确认）")
        if not entry.included:
            label = f"{lst}初筛后剔除"
        events.append(TimelineEvent(day=day, label=label, detail=entry.get_exclusion_reason_display()
                                    if not entry.included else "", kind="screening", url=entry.get_absolute_url()))
    return events


def parcel_timeline(*, user: Any, parcel: Parcel, contracts: list[SupplyContract],
                    construction: ConstructionFacts | None, buildings: list[Building]) -> list[TimelineEvent]:
    """Everything dated about a parcel, oldest first: contract, agreed and actual dates, permit,
    suspension and the imports that brought its data."""
    events: list[TimelineEvent] = []

    def add(day: date | None, label: str, detail: str = "", kind: str = "fact") -> None:
        if day:
            events.append(TimelineEvent(day=day, label=label, detail=detail, kind=kind))

    many = len(contracts) > 1
    for c in contracts:
        ref = f"（{c.supervision_no}）" if many and c.supervision_no else ""
        price = f"成交价 {plain_number(c.price_wan)} 万元" if c.price_wan else ""
        add(c.contract_date, f"签订出让合同{ref}",
            "；".join(x for x in (c.holder_name, c.get_supply_method_display(), price) if x))
        add(c.agreed_handover, f"约定交地{ref}", kind="agreed")
        add(c.actual_handover, f"实际交地{ref}")
        add(c.agreed_start, f"约定开工{ref}", kind="agreed")
        add(c.agreed_completion, f"约定竣工{ref}", kind="agreed")
        add(c.reported_start, f"实际开工（供地记录登记）{ref}")
        add(c.reported_completion, f"实际竣工（供地记录登记）{ref}")
    if construction:
        add(construction.permit_date, "取得施工许可", construction.permit_no)
        add(construction.actual_start, "实际开工")
        add(construction.actual_completion, "实际竣工")
        add(construction.suspended_since, "停工", construction.get_idle_cause_display(), kind="warning")
    batch_ids = {parcel.import_batch_id, *(c.import_batch_id for c in contracts),
                 *(b.import_batch_id for b in buildings)} - {None}
    if batch_ids:
        visible = set(ImportBatch.objects.visible_to(user).filter(pk__in=batch_ids).values_list("pk", flat=True))
        for batch in ImportBatch.objects.filter(pk__in=batch_ids).defer("issues", "counts").order_by("started_at"):
            ev = TimelineEvent(day=timezone.localdate(batch.started_at), label=f"导入{batch.get_kind_display()}",
                               kind="import")
            if batch.pk in visible:
                ev.detail = batch.file_name
                try:
                    ev.url = batch.get_absolute_url()
                except Exception:  # the import pages may not be installed
                    ev.url = None
            events.append(ev)
    order = {"agreed": 0, "fact": 1, "warning": 2, "import": 3}
    events.sort(key=lambda e: (e.day, order.get(e.kind, 9)))
    return events


# --- enterprises -----------------------------------------------------------------------------

def enterprise_list(*, user: Any, q: str | None = None, township: Any = None) -> QuerySet[Enterprise]:
    """Visible enterprises with the number of visible parcels they currently hold (one query)."""
    seen = visible_parcels(user).order_by().values("pk")
    qs = Enterprise.objects.visible_to(user).select_related("township").defer(*TOWNSHIP_DEFER).annotate(
        parcel_count=Count("holdings__parcel", distinct=True,
                           filter=Q(holdings__is_current=True, holdings__parcel__in=seen)),
    )
    if q:
        q = q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q) | Q(legal_representative__icontains=q)
                       | Q(contact_person__icontains=q))
    if township not in (None, ""):
        tid = _int(township)
        qs = qs.filter(township_id=tid) if tid is not None else qs.none()
    return qs.order_by("name", "id")


@dataclass
class EnterprisePage:
    enterprise: Enterprise
    holdings: list[Holding]
    people: list[Any]
    can_edit: bool
    area_m2: Decimal


def enterprise_get(*, user: Any, pk: Any) -> Enterprise:
    return get_visible_or_404(Enterprise.objects.select_related("township").defer(*TOWNSHIP_DEFER), user, pk=pk)


def enterprise_detail(*, user: Any, pk: Any) -> EnterprisePage:
    from pandi.accounts.models import User

    enterprise = enterprise_get(user=user, pk=pk)
    seen = visible_parcels(user).order_by().values("pk")
    holdings = list(Holding.objects.visible_to(user).filter(enterprise=enterprise, parcel__in=seen)
                    .select_related("parcel__township")
                    .defer(*(f"parcel__{f}" for f in (*LIST_DEFER, *TOWNSHIP_DEFER)))
                    .order_by("-is_current", "parcel__code", "id"))
    people = list(User.objects.visible_to(user)
                  .filter(memberships__enterprise=enterprise, memberships__is_active=True).distinct()
                  .order_by("username"))
    area = sum((h.parcel.area_m2 or Decimal(0) for h in holdings if h.is_current), Decimal(0))
    return EnterprisePage(enterprise=enterprise, holdings=holdings, people=people,
                          can_edit=can_edit_land(user, enterprise.township_id), area_m2=area)


# --- map data --------------------------------------------------------------------------------

FEATURE_MIN_ZOOM = 15     # from this zoom on, simplified polygons; below it, a grid of counts
FEATURE_CAP = 1500        # at most this many polygons per request
DENSE_MAX_ZOOM = 17       # from 15 to 16 a view with more parcels than the cap is shown as counts
CLUSTER_CELL_PX = 80      # grid cell size on screen, in pixels

STATES = [
    {"value": s.value, "label": STATE_LABELS[s], "colour": STATE_COLOURS[s]} for s in ConstructionState
]


def state_label(value: str) -> str:
    try:
        return STATE_LABELS[ConstructionState(value)]
    except ValueError:
        return value


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """'minlon,minlat,maxlon,maxlat' -> floats, clamped to the globe. ValueError with a Chinese
    message when malformed."""
    if not value:
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError as exc:
        raise ValueError("bbox 须为四个数字：最小经度,最小纬度,最大经度,最大纬度") from exc
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise ValueError("bbox 须为四个数字：最小经度,最小纬度,最大经度,最大纬度")
    min_lon, min_lat, max_lon, max_lat = parts
    if min_lon > max_lon or min_lat > max_lat:
        raise ValueError("bbox 的最小值不能大于最大值")
    return max(min_lon, -180.0), max(min_lat, -90.0), min(max_lon, 180.0), min(max_lat, 90.0)


def _map_base(*, user: Any, township: Any = None, state: str | None = None) -> QuerySet[Parcel]:
    qs = visible_parcels(user)
    if qs.query.distinct:
        # enterprise users (scope through holdings): a subquery keeps counts and GROUP BY exact
        qs = Parcel.objects.filter(pk__in=qs.order_by().values("pk"))
    if township not in (None, ""):
        tid = _int(township)
        qs = qs.filter(township_id=tid) if tid is not None else qs.none()
    if state:
        qs = qs.filter(state__in=[s for s in str(state).split(",") if s])
    return qs.order_by()


def _in_bbox(qs: QuerySet[Parcel], bbox: tuple[float, float, float, float] | None) -> QuerySet[Parcel]:
    """Parcels whose bounding box meets `bbox` (the indexed min/max columns)."""
    if bbox is None:
        return qs.filter(min_lon__isnull=False)
    min_lon, min_lat, max_lon, max_lat = bbox
    return qs.filter(min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat)


SCREENING_COLOURS = {
    "within_period": "#60a5fa", "overdue_not_started": "#f59e0b", "idle_not_started": "#dc2626",
    "stalled_candidate": "#a855f7", "under_construction": "#0ea5e9", "completed": "#16a34a", "unknown": "#9ca3af",
    "none": "#d1d5db",
}


def screening_states() -> list[dict[str, str]]:
    from pandi.screening.choices import STATUS_SHORT

    return [{"value": k, "label": v, "colour": SCREENING_COLOURS[k]} for k, v in STATUS_SHORT.items()] + [
        {"value": "none", "label": "未纳入筛查", "colour": SCREENING_COLOURS["none"]}]


def latest_run(user: Any) -> Any:
    """The newest saved screening run the user may see (None for enterprise users or before any run)."""
    from pandi.screening.models import ScreeningRun

    return ScreeningRun.objects.visible_to(user).order_by("-created_at", "-id").first()


def _with_layer(qs: QuerySet[Parcel], layer: str | None, run: Any) -> tuple[QuerySet[Parcel], str]:
    """The queryset and the name of the value to colour by: the construction state, the status in the
    latest screening run (layer=screening), or the state of the newest rectification plan covering
    the parcel (layer=rectification)."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    if layer == "rectification":
        from pandi.rectification.models import RectificationPlan

        status = Subquery(RectificationPlan.objects.filter(plan_entries__entry__parcels=OuterRef("pk"))
                          .order_by("-updated_at", "-id").values("status")[:1])
        return qs.annotate(layer_state=Coalesce(status, Value("none"))), "layer_state"
    if layer != "screening" or run is None:
        return qs, "state"
    from pandi.screening.models import ScreeningResult

    status = Subquery(ScreeningResult.objects.filter(run=run, parcel_id=OuterRef("pk")).values("status")[:1])
    return qs.annotate(layer_state=Coalesce(status, Value("none"))), "layer_state"


RECTIFICATION_COLOURS = {
    "draft": "#94a3b8", "submitted": "#60a5fa", "returned": "#f59e0b", "approved": "#38bdf8", "filed": "#0ea5e9",
    "in_progress": "#2563eb", "completed": "#16a34a", "overdue": "#dc2626", "refused": "#7f1d1d",
    "withdrawn": "#a3a3a3", "none": "#e5e7eb",
}


def rectification_states() -> list[dict[str, str]]:
    from pandi.domain.rectification import PLAN_STATUS_LABELS

    return [{"value": k.value, "label": v, "colour": RECTIFICATION_COLOURS[k.value]}
            for k, v in PLAN_STATUS_LABELS.items()] + [
        {"value": "none", "label": "无整改方案", "colour": RECTIFICATION_COLOURS["none"]}]


def map_parcels(*, user: Any, bbox: tuple[float, float, float, float] | None, zoom: int,
                township: Any = None, state: str | None = None, cap: int = FEATURE_CAP,
                layer: str | None = None) -> dict[str, Any]:
    """Map data for a view: polygons (zoom ≥ 15, capped) or a grid of counts by state (below).
    `layer=screening` colours by the status in the latest saved screening run instead."""
    run = latest_run(user) if layer == "screening" else None
    if layer == "rectification":
        base, key = _with_layer(_map_base(user=user, township=township), layer, None)
        if state:
            base = base.filter(layer_state__in=[s for s in str(state).split(",") if s])
        data = _map_parcels_by(base, bbox=bbox, zoom=zoom, cap=cap, key=key)
        data["layer"] = {"name": "rectification"}
        return data
    if layer == "screening" and run is not None:
        base, key = _with_layer(_map_base(user=user, township=township), layer, run)
        if state:
            base = base.filter(layer_state__in=[s for s in str(state).split(",") if s])
        data = _map_parcels_by(base, bbox=bbox, zoom=zoom, cap=cap, key=key)
        data["layer"] = {"name": "screening", "run": run.pk, "as_of": run.as_of.isoformat()}
        return data
    base = _map_base(user=user, township=township, state=state)
    return _map_parcels_by(base, bbox=bbox, zoom=zoom, cap=cap, key="state")


def _map_parcels_by(base: QuerySet[Parcel], *, bbox: tuple[float, float, float, float] | None, zoom: int, cap: int,
                    key: str) -> dict[str, Any]:
    if zoom >= FEATURE_MIN_ZOOM:
        in_view = _in_bbox(base, bbox)
        # too many outlines for one screen: counts until zoomed in further (outlines, capped, from DENSE_MAX_ZOOM)
        if zoom >= DENSE_MAX_ZOOM or in_view.count() <= cap:
            return _map_features(in_view, cap, key=key)
        return {**_map_clusters(_centroid_in_bbox(base, bbox), bbox, zoom, key=key), "dense": True}
    return _map_clusters(_centroid_in_bbox(base, bbox), bbox, zoom, key=key)


def _centroid_in_bbox(qs: QuerySet[Parcel], bbox: tuple[float, float, float, float] | None) -> QuerySet[Parcel]:
    """Parcels whose representative point lies in `bbox` — what a cluster counts; served by the
    covering index on (centroid_lon, centroid_lat, state, area_m2)."""
    if bbox is None:
        return qs.filter(centroid_lon__isnull=False)
    min_lon, min_lat, max_lon, max_lat = bbox
    return qs.filter(centroid_lon__gte=min_lon, centroid_lon__lte=max_lon, centroid_lat__gte=min_lat,
                     centroid_lat__lte=max_lat)


def _mu(m2: Any) -> float | None:
    return float(round2(m2_to_mu(m2))) if m2 is not None else None


def _map_features(qs: QuerySet[Parcel], cap: int, key: str = "state") -> dict[str, Any]:
    rows = list(qs.order_by("-area_m2", "id").values(
        "id", "code", "supervision_no", "name", key, "holder_names", "area_m2", "geometry_simple",
    )[: cap + 1])
    truncated = len(rows) > cap
    features = [{
        "type": "Feature",
        "id": r["id"],
        "geometry": r["geometry_simple"],
        "properties": {
            "id": r["id"], "key": r["code"] or r["supervision_no"], "name": r["name"], "state": r[key],
            "holder": r["holder_names"], "area_mu": _mu(r["area_m2"]),
        },
    } for r in rows[:cap] if r["geometry_simple"]]
    return {"mode": "features", "type": "FeatureCollection", "features": features, "count": len(features),
            "truncated": truncated, "cap": cap}


def cluster_cell_deg(zoom: int) -> float:
    """Grid cell width in degrees of longitude: about CLUSTER_CELL_PX pixels at this zoom."""
    zoom = max(0, min(int(zoom), 22))
    return 360.0 / (2 ** zoom) * CLUSTER_CELL_PX / 256.0


CLUSTER_MERGE = 0.8        # clusters closer than this many cells are drawn as one
CLUSTER_MERGE_MAX_CELLS = 3000


def _map_clusters(qs: QuerySet[Parcel], bbox: tuple[float, float, float, float] | None, zoom: int,
                  key: str = "state") -> dict[str, Any]:
    """One GROUP BY over the grid cell of each parcel's centroid and its state; then, in Python,
    cells whose weighted centres fall close together are merged so bubbles do not overlap."""
    cell_lon = cluster_cell_deg(zoom)
    mid_lat = (bbox[1] + bbox[3]) / 2 if bbox else 30.0
    cell_lat = cell_lon * max(math.cos(math.radians(mid_lat)), 0.1)  # roughly square on a Mercator screen
    rows = (qs.filter(centroid_lon__isnull=False)
            .annotate(gx=_cell_index(qs, "centroid_lon", cell_lon), gy=_cell_index(qs, "centroid_lat", cell_lat))
            .values("gx", "gy", key)
            .annotate(n=Count("id"), m2=Sum("area_m2"), lon=Avg("centroid_lon"), lat=Avg("centroid_lat"),
                      lon0=Min("centroid_lon"), lon1=Max("centroid_lon"), lat0=Min("centroid_lat"),
                      lat1=Max("centroid_lat"), any_id=Min("id"))
            .order_by())
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for r in rows:
        c = cells.setdefault((int(r["gx"]), int(r["gy"])), _new_cluster())
        _add_to_cluster(c, count=r["n"], m2=float(r["m2"] or 0), lon=r["lon"], lat=r["lat"],
                        states={r[key]: r["n"]}, box=(r["lon0"], r["lat0"], r["lon1"], r["lat1"]),
                        any_id=r["any_id"])
    merged: list[dict[str, Any]] = []
    for c in sorted(cells.values(), key=lambda c: (-c["count"], c["sum_lon"], c["sum_lat"])):
        x, y = c["sum_lon"] / c["count"] / cell_lon, c["sum_lat"] / c["count"] / cell_lat
        target = None
        if len(cells) <= CLUSTER_MERGE_MAX_CELLS:
            for m in merged:
                if abs(m["x"] - x) < CLUSTER_MERGE and abs(m["y"] - y) < CLUSTER_MERGE:
                    target = m
                    break
        if target is None:
            merged.append({**c, "x": x, "y": y})
        else:
            _add_to_cluster(target, count=c["count"], m2=c["area_m2"], lon=c["sum_lon"] / c["count"],
                            lat=c["sum_lat"] / c["count"], states=c["states"], box=tuple(c["bbox"]), any_id=c["id"])
    clusters = [{
        "lon": c["sum_lon"] / c["count"], "lat": c["sum_lat"] / c["count"], "count": c["count"],
        "area_mu": round(c["area_m2"] * 15 / 10000, 2), "states": c["states"], "bbox": c["bbox"],
        "id": c["id"] if c["count"] == 1 else None,
    } for c in merged]
    clusters.sort(key=lambda c: (c["lat"], c["lon"]))
    return {"mode": "clusters", "clusters": clusters, "count": sum(c["count"] for c in clusters),
            "cell_deg": [cell_lon, cell_lat], "truncated": False}


def _new_cluster() -> dict[str, Any]:
    return {"count": 0, "area_m2": 0.0, "sum_lon": 0.0, "sum_lat": 0.0, "states": {}, "bbox": None, "id": None}


def _add_to_cluster(c: dict[str, Any], *, count: int, m2: float, lon: float, lat: float, states: dict[str, int],
                    box: tuple[float, float, float, float], any_id: int) -> None:
    c["count"] += count
    c["area_m2"] += m2
    c["sum_lon"] += lon * count
    c["sum_lat"] += lat * count
    for state, n in states.items():
        c["states"][state] = c["states"].get(state, 0) + n
    b = c["bbox"]
    c["bbox"] = list(box) if b is None else [min(b[0], box[0]), min(b[1], box[1]), max(b[2], box[2]),
                                             max(b[3], box[3])]
    c["id"] = any_id if c["id"] is None else min(c["id"], any_id)


def _cell_index(qs: QuerySet, field_name: str, size: float) -> Any:
    """floor(field / size) in SQL. SQLite has no native FLOOR (Django supplies a Python function,
    slow over 100,000 rows), so there it is CAST(field / size + k AS INTEGER) - k, with k large
    enough to make the value positive, where CAST truncates like FLOOR."""
    ratio = F(field_name) / Value(float(size), output_field=FloatField())
    if connections[qs.db].vendor == "sqlite":
        k = math.ceil(400.0 / size)
        return Cast(ratio + Value(float(k)), IntegerField()) - Value(k)
    return Floor(ratio)


def inventory_features(*, user: Any, township: Any = None) -> dict[str, Any]:
    """The official inventory's entries as a FeatureCollection with their 清单编号 (the map overlay)."""
    from pandi.screening.choices import STATUS_SHORT
    from pandi.screening.selectors import inventory

    tid = _int(township) if township not in (None, "") else None
    rows = inventory(user=user, township=tid).values(
        "id", "number", "kind", "label", "holders", "area_m2", "status", "geometry", "township__name", "parcel_id")
    features = [{
        "type": "Feature", "id": r["id"], "geometry": r["geometry"],
        "properties": {"id": r["id"], "number": r["number"], "kind": r["kind"], "label": r["label"],
                       "holder": r["holders"], "area_mu": _mu(r["area_m2"]), "township": r["township__name"],
                       "status": STATUS_SHORT.get(r["status"], "连片空闲" if r["kind"] == "block" else ""),
                       "parcel": r["parcel_id"]},
    } for r in rows if r["geometry"]]
    return {"type": "FeatureCollection", "features": features, "count": len(features)}


def map_townships(*, user: Any, tolerance_deg: float = 1e-4) -> dict[str, Any]:
    """Visible township boundaries as a FeatureCollection (a township officer gets only theirs)."""
    from pandi.accounts.selectors import township_list
    from pandi.domain.geo import rounded, simplified

    features = []
    for t in township_list(user=user).values("id", "code", "name", "boundary_geojson"):
        geometry = t["boundary_geojson"]
        if not geometry:
            continue
        label = None
        with contextlib.suppress(Exception):  # a malformed boundary is drawn as stored, labelled by the client
            geometry = rounded(simplified(geometry, tolerance_deg), 5)  # 1e-5° ≈ 1 m: plenty for a boundary line
            label = label_point(geometry)
        features.append({"type": "Feature", "id": t["id"], "geometry": geometry,
                         "properties": {"id": t["id"], "code": t["code"], "name": t["name"], "label": label}})
    return {"type": "FeatureCollection", "features": features}


def label_point(geometry: dict[str, Any]) -> list[float]:
    """Where a township's name goes: the point deepest inside its largest part (not the middle of
    its bounding box, which may lie outside an irregular township)."""
    from shapely.geometry import shape
    from shapely.ops import polylabel

    geom = shape(geometry)
    part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
    point = polylabel(part, tolerance=1e-4)
    return [round(point.x, 6), round(point.y, 6)]


def map_search(*, user: Any, q: str | None, limit: int = 20) -> list[dict[str, Any]]:
    """Parcels matching a code, 电子监管号, name or holder, with their bounding boxes."""
    q = (q or "").strip()
    if not q:
        return []
    qs = _map_base(user=user).filter(_text_q(q))
    rows = qs.order_by("code", "supervision_no", "id").values(
        "id", "code", "supervision_no", "name", "holder_names", "state", "area_m2", "township__name",
        "min_lon", "min_lat", "max_lon", "max_lat",
    )[:limit]
    return [{
        "id": r["id"], "key": r["code"] or r["supervision_no"], "name": r["name"], "holder": r["holder_names"],
        "state": r["state"], "state_label": state_label(r["state"]), "area_mu": _mu(r["area_m2"]),
        "township": r["township__name"] or "",
        "bbox": [r["min_lon"], r["min_lat"], r["max_lon"], r["max_lat"]] if r["min_lon"] is not None else None,
    } for r in rows]


def map_extent(*, user: Any, township: Any = None) -> list[float] | None:
    """[min_lon, min_lat, max_lon, max_lat] of what the user sees: their townships' boundaries,
    else their parcels."""
    from pandi.accounts.selectors import township_list
    from pandi.domain.geo import bbox as geometry_bbox

    townships = township_list(user=user)
    if township not in (None, ""):
        townships = townships.filter(pk=_int(township))
    boxes = []
    for boundary in townships.values_list("boundary_geojson", flat=True):
        if boundary:
            try:
                boxes.append(geometry_bbox(boundary))
            except Exception:
                continue
    if boxes:
        return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                max(b[3] for b in boxes)]
    agg = _map_base(user=user, township=township).aggregate(a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"),
                                                            d=Max("max_lat"))
    if agg["a"] is None:
        return None
    return [agg["a"], agg["b"], agg["c"], agg["d"]]


def map_focus(*, user: Any, pk: Any) -> dict[str, Any] | None:
    """The parcel the map should open on (?parcel=…), if the user can see it and it has a boundary."""
    pid = _int(pk)
    if pid is None:
        return None
    row = (visible_parcels(user).filter(pk=pid, min_lon__isnull=False)
           .values("id", "min_lon", "min_lat", "max_lon", "max_lat").first())
    if row is None:
        return None
    return {"id": row["id"], "bbox": [row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"]]}


def parcel_map_feature(parcel: Parcel) -> dict[str, Any] | None:
    if not parcel.geometry:
        return None
    return {"type": "Feature", "id": parcel.pk, "geometry": parcel.geometry, "properties": {
        "id": parcel.pk, "key": parcel.key, "name": parcel.name, "state": parcel.state,
        "holder": parcel.holder_names, "area_mu": _mu(parcel.area_m2),
    }}


def building_features(buildings: list[Building]) -> list[dict[str, Any]]:
    return [{"type": "Feature", "id": b.pk, "geometry": b.geometry, "properties": {
        "id": b.pk, "footprint_m2": float(b.footprint_m2) if b.footprint_m2 is not None else None,
        "floor_area_m2": float(b.floor_area_m2) if b.floor_area_m2 is not None else None, "storeys": b.storeys,
    }} for b in buildings if b.geometry]

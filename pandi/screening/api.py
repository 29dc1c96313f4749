"""Screening API: runs, lists, inventory entries and the work plan — scoped like the pages.

Reads go through `selectors` (an object out of scope answers 404), writes through `services`
(not allowed answers 403, bad input 422 with the service's Chinese message). Enterprise users get
404 on every endpoint here, as on the screening pages.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from pandi.core.permissions import require
from pandi.core.scope import get_visible_or_404
from pandi.domain.access import Perm
from pandi.domain.screening import m2_to_mu2
from pandi.supervision.models import Campaign

from . import selectors, services
from .choices import STATUS_SHORT, EntryKind, ExclusionReason, Route, ScreeningStatus
from .models import InventoryEntry, InventoryList, ScreeningResult, ScreeningRun, VacantBlock, WorkPlanItem

router = Router(tags=["排摸与清单"])
MAX_LIMIT = 500
PARAMETER_KEYS = ("district_min_mu", "township_min_mu", "contiguity_tolerance_m", "include_stalled", "min_width_m")


def _internal_only(view):
    """Enterprise users never see screening: every endpoint of this router answers them 404."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any):
        if not selectors.is_internal(request.user):
            raise Http404("未找到该记录或无权查看")
        return view(request, *args, **kwargs)

    return wrapper


router.add_decorator(_internal_only, mode="operation")


def _window(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)


def _name(user: Any) -> str | None:
    if user is None:
        return None
    return user.full_name or user.username


def _mu(area_m2: Any) -> float | None:
    return m2_to_mu2(area_m2)


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def _campaign(request: HttpRequest, campaign_id: int | None) -> Campaign | None:
    if campaign_id is None:
        return selectors.current_campaign()
    return get_visible_or_404(Campaign.objects, request.user, pk=campaign_id)


def _require_campaign(campaign: Campaign | None) -> Campaign:
    if campaign is None:
        raise ValidationError("没有当前行动：请先在“行动设置”中设定当前行动")
    return campaign


# --- schemas ---------------------------------------------------------------------------------------

class Page(Schema):
    count: int
    limit: int
    offset: int


class RunOut(Schema):
    id: int
    campaign_id: int | None
    as_of: date
    parameters: dict
    note: str
    source: str
    created_by: str | None
    created_at: datetime
    duration_s: float
    counts: dict = Field(description="统计（按用户可见范围：乡镇用户只含本乡镇）")


class RunPage(Page):
    items: list[RunOut]


class RunIn(Schema):
    as_of: str = Field("", description="判断日期 YYYY-MM-DD，例如 2021-04-30")
    parameters: dict[str, Any] = Field(default_factory=dict, description=(
        "筛查参数（可省略，取默认值）：district_min_mu 区级清单面积门槛（亩，默认 20）、"
        "township_min_mu 乡镇连片面积门槛（亩，默认 5）、contiguity_tolerance_m 连片容差（米，默认 1）、"
        "include_stalled 区级清单含中止开发（待核定）地块（默认否）、min_width_m 最小可建宽度（米，默认不限）"))
    note: str = Field("", description="说明")
    propose: bool = Field(False, description="同时生成（刷新）区级清单和各乡镇清单")


class ResultOut(Schema):
    parcel_id: int
    parcel_code: str
    township_id: int | None
    township: str | None
    area_m2: float | None
    area_mu: float | None
    status: str
    status_label: str
    unbuilt: bool
    deemed_start: date | None
    days_past_start: int | None
    idle_fee_due: bool
    idle_fee_wan: float | None
    free_recovery_due: bool
    cause: str
    basis: list[str]
    in_district_list: bool
    vacant_m2: float | None


class ResultPage(Page):
    items: list[ResultOut]


class BlockOut(Schema):
    block_id: str
    township_id: int | None
    township: str | None
    area_m2: float
    area_mu: float | None
    parcel_codes: list[str]
    holders: list[str]
    township_shares: dict[str, float]
    geometry: dict | None


class BlockPage(Page):
    items: list[BlockOut]


class ListOut(Schema):
    id: int
    campaign_id: int
    run_id: int | None
    kind: str
    kind_label: str
    township_id: int | None
    township: str | None
    name: str
    status: str
    status_label: str
    deadline: date | None
    late: bool
    submitted_at: datetime | None
    submitted_by: str | None
    note: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_comment: str
    entries: int = Field(description="列入条目数")
    excluded: int = Field(description="剔除条目数")
    added: int = Field(description="乡镇补充条目数")
    area_m2: float
    area_mu: float | None


class PlanOut(Schema):
    year: int
    route: str
    route_label: str
    responsible_township_id: int | None
    responsible_township: str | None
    responsible_department_id: int | None
    responsible_department: str | None
    note: str


class EntryOut(Schema):
    id: int
    number: str
    list_id: int
    list_kind: str
    township_id: int | None
    township: str | None
    kind: str
    kind_label: str
    label: str
    holders: str
    area_m2: float
    area_mu: float | None
    status: str
    status_label: str
    deemed_start: date | None
    days_past_start: int | None
    idle_fee_due: bool
    free_recovery_due: bool
    basis: list[str]
    included: bool
    exclusion_reason: str
    exclusion_reason_label: str
    exclusion_note: str
    add_reason: str
    remarks: str
    source: str
    source_label: str
    parcel_id: int | None
    block_id: str
    plan: PlanOut | None


class EntryPage(Page):
    items: list[EntryOut]


class EntryDetailOut(EntryOut):
    parcel_ids: list[int]
    geometry: dict | None


class ListDetailOut(ListOut):
    entries_count: int = Field(description="清单中的条目总数（含剔除）")
    limit: int
    offset: int
    items: list[EntryOut]


class ListSubmitIn(Schema):
    note: str = Field("", description="报送说明")


class ListReviewIn(Schema):
    accept: bool = Field(description="true 确认，false 退回")
    comment: str = Field("", description="审核意见（退回时必填）")


class EntryAddIn(Schema):
    parcel_id: int | None = Field(None, description="补充的宗地（与 geometry 二选一）")
    geometry: dict | None = Field(None, description="图上勾绘的地块范围（GeoJSON，CGCS2000 经纬度）")
    label: str = Field("", description="地块名称或位置（勾绘时必填）")
    holders: str = Field("", description="土地使用权人（勾绘时选填）")
    reason: str = Field("", description="补充理由")


class EntryExcludeIn(Schema):
    reason: str = Field("", description="剔除原因：" + "、".join(f"{v} {label}" for v, label in
                                                              ExclusionReason.choices))
    note: str = Field("", description="剔除说明（原因为“其他”时必填）")


class PlanItemOut(PlanOut):
    entry_id: int
    number: str
    label: str
    township_id: int | None
    township: str | None
    area_m2: float
    area_mu: float | None


class TargetOut(Schema):
    township_id: int
    township: str
    year: int
    target_mu: float
    target_m2: float


class WorkplanOut(Page):
    items: list[PlanItemOut]
    targets: list[TargetOut]


class PlanAssignIn(Schema):
    year: int = Field(description="处置年度")
    route: str = Field(description="处置路径：" + "、".join(f"{v} {label}" for v, label in Route.choices))
    responsible_township_id: int | None = Field(None, description="责任乡镇（街道），默认为条目所在乡镇")
    responsible_department_id: int | None = Field(None, description="责任部门（区级部门或国资公司）")
    note: str = ""


class TargetIn(Schema):
    township_id: int
    year: int
    target_mu: float = Field(0, description="盘活目标（亩）")
    target_m2: float = Field(0, description="新开工厂房目标（平方米）")


# --- serialisers -------------------------------------------------------------------------------------

def _run(user: Any, run: ScreeningRun) -> dict[str, Any]:
    return {"id": run.pk, "campaign_id": run.campaign_id, "as_of": run.as_of, "parameters": run.parameters,
            "note": run.note, "source": run.source, "created_by": _name(run.created_by),
            "created_at": run.created_at, "duration_s": run.duration_s,
            "counts": selectors.run_counts_for(user=user, run=run)}


def _result(r: ScreeningResult) -> dict[str, Any]:
    return {"parcel_id": r.parcel_id, "parcel_code": r.parcel_code, "township_id": r.township_id,
            "township": r.township.name if r.township_id else None, "area_m2": _float(r.area_m2),
            "area_mu": _mu(r.area_m2), "status": r.status, "status_label": STATUS_SHORT.get(r.status, r.status),
            "unbuilt": r.unbuilt, "deemed_start": r.deemed_start, "days_past_start": r.days_past_start,
            "idle_fee_due": r.idle_fee_due, "idle_fee_wan": _float(r.idle_fee_wan),
            "free_recovery_due": r.free_recovery_due, "cause": r.cause, "basis": list(r.basis or []),
            "in_district_list": r.in_district_list, "vacant_m2": _float(r.vacant_m2)}


def _block(b: VacantBlock) -> dict[str, Any]:
    return {"block_id": b.block_id, "township_id": b.township_id,
            "township": b.township.name if b.township_id else None, "area_m2": float(b.area_m2),
            "area_mu": _mu(b.area_m2), "parcel_codes": list(b.parcel_codes or []), "holders": list(b.holders or []),
            "township_shares": dict(b.township_shares or {}), "geometry": b.geometry}


def _list(lst: InventoryList) -> dict[str, Any]:
    """A list with the counts of `selectors.list_overview` (n_entries, n_excluded, n_added, area)."""
    area = float(lst.area or 0)
    return {"id": lst.pk, "campaign_id": lst.campaign_id, "run_id": lst.run_id, "kind": lst.kind,
            "kind_label": lst.get_kind_display(), "township_id": lst.township_id,
            "township": lst.township.name if lst.township_id else None, "name": str(lst), "status": lst.status,
            "status_label": lst.get_status_display(), "deadline": lst.deadline, "late": bool(lst.late),
            "submitted_at": lst.submitted_at, "submitted_by": _name(lst.submitted_by), "note": lst.note,
            "reviewed_at": lst.reviewed_at, "reviewed_by": _name(lst.reviewed_by),
            "review_comment": lst.review_comment, "entries": lst.n_entries, "excluded": lst.n_excluded,
            "added": lst.n_added, "area_m2": round(area, 2), "area_mu": _mu(area)}


def _list_summary(user: Any, lst: InventoryList) -> dict[str, Any]:
    """The list as the overview counts it (one query for the campaign's few lists)."""
    for row in selectors.list_overview(user=user, campaign=lst.campaign):
        if row.pk == lst.pk:
            return _list(row)
    raise Http404("未找到该记录或无权查看")


def _plan(item: WorkPlanItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"year": item.year, "route": item.route, "route_label": item.get_route_display(),
            "responsible_township_id": item.responsible_township_id,
            "responsible_township": item.responsible_township.name if item.responsible_township_id else None,
            "responsible_department_id": item.responsible_department_id,
            "responsible_department": (item.responsible_department.short_name or item.responsible_department.name)
            if item.responsible_department_id else None,
            "note": item.note}


def _plans_for(user: Any, entries: list[InventoryEntry]) -> dict[int, WorkPlanItem]:
    """The work-plan items of these entries, in one query."""
    if not entries:
        return {}
    items = (WorkPlanItem.objects.visible_to(user).filter(entry_id__in=[e.pk for e in entries])
             .select_related("responsible_township", "responsible_department"))
    return {i.entry_id: i for i in items}


def _entry(e: InventoryEntry, plan: WorkPlanItem | None) -> dict[str, Any]:
    return {"id": e.pk, "number": e.number, "list_id": e.inventory_list_id, "list_kind": e.inventory_list.kind,
            "township_id": e.township_id, "township": e.township.name if e.township_id else None,
            "kind": e.kind, "kind_label": e.get_kind_display(), "label": e.label, "holders": e.holders,
            "area_m2": float(e.area_m2), "area_mu": _mu(e.area_m2), "status": e.status,
            "status_label": STATUS_SHORT.get(e.status, ""), "deemed_start": e.deemed_start,
            "days_past_start": e.days_past_start, "idle_fee_due": e.idle_fee_due,
            "free_recovery_due": e.free_recovery_due, "basis": list(e.basis or []), "included": e.included,
            "exclusion_reason": e.exclusion_reason,
            "exclusion_reason_label": e.get_exclusion_reason_display() if e.exclusion_reason else "",
            "exclusion_note": e.exclusion_note, "add_reason": e.add_reason, "remarks": e.remarks,
            "source": e.source, "source_label": e.get_source_display(), "parcel_id": e.parcel_id,
            "block_id": e.block_id, "plan": _plan(plan)}


def _entries(user: Any, entries: list[InventoryEntry]) -> list[dict[str, Any]]:
    plans = _plans_for(user, entries)
    return [_entry(e, plans.get(e.pk)) for e in entries]


def _entry_detail(user: Any, entry: InventoryEntry) -> dict[str, Any]:
    entry = selectors.entry_get(user=user, pk=entry.pk)  # fresh, with its relations
    return {**_entries(user, [entry])[0], "parcel_ids": sorted(entry.parcels.values_list("pk", flat=True)),
            "geometry": entry.geometry}


def _plan_item(item: WorkPlanItem) -> dict[str, Any]:
    e = item.entry
    return {**_plan(item), "entry_id": e.pk, "number": e.number, "label": e.label, "township_id": e.township_id,
            "township": e.township.name if e.township_id else None, "area_m2": float(e.area_m2),
            "area_mu": _mu(e.area_m2)}


def _parse_as_of(raw: str) -> date:
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError("请填写判断日期（YYYY-MM-DD），例如 2021-04-30")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"判断日期“{raw}”格式错误，应为 YYYY-MM-DD，例如 2021-04-30") from None


def _parameters(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as given; their values are checked by the screening itself, in Chinese."""
    unknown = sorted(set(params) - set(PARAMETER_KEYS))
    if unknown:
        raise ValidationError(f"未知的筛查参数：{'、'.join(unknown)}（可用：{'、'.join(PARAMETER_KEYS)}）")
    return {k: v for k, v in params.items() if v is not None}


def _org(pk: int | None, *, kinds: tuple[str, ...], label: str) -> Any:
    if pk is None:
        return None
    from pandi.accounts.models import OrgUnit

    org = OrgUnit.objects.filter(pk=pk, kind__in=kinds).first()
    if org is None:
        raise ValidationError(f"{label}（id={pk}）不存在")
    return org


# --- runs ------------------------------------------------------------------------------------------

@router.get("/runs", response=RunPage, summary="筛查记录（分页；统计按用户可见范围）", url_name="screening_run_list")
def run_list(request: HttpRequest, limit: int = 50, offset: int = 0):
    qs = selectors.run_list(user=request.user)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": [_run(request.user, r) for r in qs[offset:offset + limit]]}


@router.post("/runs", response={201: RunOut}, summary="发起筛查并保存（可同时生成初筛清单）",
             url_name="screening_run_create")
def run_create(request: HttpRequest, payload: RunIn):
    require(request.user, Perm.RUN_SCREENING)
    as_of = _parse_as_of(payload.as_of)
    values = _parameters(payload.parameters)
    with transaction.atomic():
        _outcome, run = services.run_execute(user=request.user, as_of=as_of, values=values,
                                             note=payload.note.strip(), source="api")
        if payload.propose:
            services.lists_propose(run=run, user=request.user)
    return 201, _run(request.user, selectors.run_get(user=request.user, pk=run.pk))


@router.get("/runs/{int:run_id}", response=RunOut, summary="筛查详情（参数与统计）", url_name="screening_run_detail")
def run_detail(request: HttpRequest, run_id: int):
    return _run(request.user, selectors.run_get(user=request.user, pk=run_id))


@router.get("/runs/{int:run_id}/results", response=ResultPage, summary="筛查结果：每宗地的状态与依据（分页）",
            url_name="screening_run_results")
def run_results(request: HttpRequest, run_id: int, status: str | None = None, township: int | None = None,
                district_list: bool | None = None, q: str | None = None, limit: int = 100, offset: int = 0):
    run = selectors.run_get(user=request.user, pk=run_id)
    if status and status not in ScreeningStatus.values:
        raise ValidationError(f"状态“{status}”无效，可用：{'、'.join(ScreeningStatus.values)}")
    qs = selectors.run_results(user=request.user, run=run, status=status, township=township,
                               district_list=district_list, q=q)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": [_result(r) for r in qs[offset:offset + limit]]}


@router.get("/runs/{int:run_id}/blocks", response=BlockPage, summary="达到门槛的连片空闲地块（分页，含范围）",
            url_name="screening_run_blocks")
def run_blocks(request: HttpRequest, run_id: int, township: int | None = None, limit: int = 100,
               offset: int = 0):
    run = selectors.run_get(user=request.user, pk=run_id)
    qs = selectors.run_blocks(user=request.user, run=run, township=township)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": [_block(b) for b in qs[offset:offset + limit]]}


@router.get("/runs/{int:run_id}/diff", response=dict, summary="两次筛查的差异（本次 → with 指定的筛查）",
            url_name="screening_run_diff")
def run_diff(request: HttpRequest, run_id: int, other: int = Query(..., alias="with"), limit: int | None = None):
    run = selectors.run_get(user=request.user, pk=run_id)
    other_run = selectors.run_get(user=request.user, pk=other)
    diff = selectors.run_diff(user=request.user, run=run, other=other_run,
                              limit=max(1, min(limit, MAX_LIMIT)) if limit else None)
    return {"run_id": run.pk, "with": other_run.pk, **diff}


# --- lists -----------------------------------------------------------------------------------------

@router.get("/lists", response=list[ListOut], summary="本行动的清单（乡镇用户只见本乡镇清单）",
            url_name="screening_list_list")
def list_list(request: HttpRequest, campaign: int | None = None):
    lists = selectors.list_overview(user=request.user, campaign=_campaign(request, campaign))
    return [_list(lst) for lst in lists]


@router.get("/lists/{int:list_id}", response=ListDetailOut, summary="清单详情与条目（条目分页）",
            url_name="screening_list_detail")
def list_detail(request: HttpRequest, list_id: int, limit: int = MAX_LIMIT, offset: int = 0):
    lst = selectors.list_get(user=request.user, pk=list_id)
    qs = selectors.list_entries(user=request.user, inventory_list=lst).select_related("inventory_list")
    limit, offset = _window(limit, offset)
    return {**_list_summary(request.user, lst), "entries_count": qs.count(), "limit": limit, "offset": offset,
            "items": _entries(request.user, list(qs[offset:offset + limit]))}


@router.post("/lists/{int:list_id}/submit", response=ListOut, summary="报送乡镇清单", url_name="screening_list_submit")
def list_submit(request: HttpRequest, list_id: int, payload: ListSubmitIn):
    lst = selectors.list_get(user=request.user, pk=list_id)
    services.list_submit(user=request.user, inventory_list=lst, note=payload.note)
    return _list_summary(request.user, lst)


@router.post("/lists/{int:list_id}/review", response=ListOut, summary="确认或退回清单（区经商局）",
             url_name="screening_list_review")
def list_review(request: HttpRequest, list_id: int, payload: ListReviewIn):
    lst = selectors.list_get(user=request.user, pk=list_id)
    services.list_review(user=request.user, inventory_list=lst, accept=payload.accept, comment=payload.comment)
    return _list_summary(request.user, lst)


@router.post("/lists/{int:list_id}/entries", response={201: EntryDetailOut},
             summary="补充条目：指定宗地（parcel_id）或图上勾绘（geometry + label），并填写补充理由",
             url_name="screening_list_entry_add")
def list_entry_add(request: HttpRequest, list_id: int, payload: EntryAddIn):
    from pandi.land.selectors import parcel_get

    lst = selectors.list_get(user=request.user, pk=list_id)
    if (payload.parcel_id is None) == (payload.geometry is None):
        raise ValidationError("请指定补充的宗地（parcel_id）或勾绘的地块范围（geometry），二者选一")
    if payload.parcel_id is not None:
        parcel = parcel_get(user=request.user, pk=payload.parcel_id)
        entry = services.entry_add_parcel(user=request.user, inventory_list=lst, parcel=parcel,
                                          reason=payload.reason)
    else:
        entry = services.entry_add_block(user=request.user, inventory_list=lst, geometry=payload.geometry,
                                         label=payload.label, reason=payload.reason, holders=payload.holders)
    return 201, _entry_detail(request.user, entry)


# --- the inventory ---------------------------------------------------------------------------------

@router.get("/entries", response=EntryPage, summary="正式清单：已确认清单中列入的条目及清单编号（分页）",
            url_name="screening_entry_list")
def entry_list(request: HttpRequest, township: int | None = None, kind: str | None = None,
               campaign: int | None = None, limit: int = 100, offset: int = 0):
    if kind and kind not in EntryKind.values:
        raise ValidationError(f"类型“{kind}”无效，可用：{'、'.join(EntryKind.values)}")
    qs = selectors.inventory(user=request.user, campaign=_campaign(request, campaign), township=township, kind=kind)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": _entries(request.user, list(qs[offset:offset + limit]))}


@router.get("/entries/{int:entry_id}", response=EntryDetailOut, summary="清单条目详情",
            url_name="screening_entry_detail")
def entry_detail(request: HttpRequest, entry_id: int):
    return _entry_detail(request.user, selectors.entry_get(user=request.user, pk=entry_id))


@router.post("/entries/{int:entry_id}/exclude", response=EntryDetailOut, summary="剔除条目（须选择剔除原因）",
             url_name="screening_entry_exclude")
def entry_exclude(request: HttpRequest, entry_id: int, payload: EntryExcludeIn):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    services.entry_exclude(user=request.user, entry=entry, reason=payload.reason.strip(), note=payload.note)
    return _entry_detail(request.user, entry)


@router.post("/entries/{int:entry_id}/include", response=EntryDetailOut, summary="恢复列入已剔除的条目",
             url_name="screening_entry_include")
def entry_include(request: HttpRequest, entry_id: int):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    services.entry_include(user=request.user, entry=entry)
    return _entry_detail(request.user, entry)


# --- the annual work plan (R8) --------------------------------------------------------------------------

@router.get("/workplan", response=WorkplanOut, summary="年度工作方案：处置年度、路径、责任单位（分页）及各乡镇年度目标",
            url_name="screening_workplan")
def workplan(request: HttpRequest, year: int | None = None, township: int | None = None,
             campaign: int | None = None, limit: int = 100, offset: int = 0):
    from .models import WorkPlanTarget

    the_campaign = _campaign(request, campaign)
    qs = selectors.plan_items(user=request.user, campaign=the_campaign)
    targets = (WorkPlanTarget.objects.visible_to(request.user).filter(campaign=the_campaign)
               .select_related("township"))
    if year is not None:
        qs, targets = qs.filter(year=year), targets.filter(year=year)
    if township is not None:
        qs, targets = qs.filter(township_id=township), targets.filter(township_id=township)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": [_plan_item(i) for i in qs[offset:offset + limit]],
            "targets": [{"township_id": t.township_id, "township": t.township.name, "year": t.year,
                         "target_mu": float(t.target_mu), "target_m2": float(t.target_m2)} for t in targets]}


@router.put("/workplan/targets", response=TargetOut, summary="设定乡镇年度目标（亩、平方米）",
            url_name="screening_workplan_target_set")
def workplan_target_set(request: HttpRequest, payload: TargetIn):
    require(request.user, Perm.EDIT_WORK_PLAN)
    campaign = _require_campaign(selectors.current_campaign())
    township = _org(payload.township_id, kinds=("township",), label="乡镇（街道）")
    t = services.workplan_target_set(user=request.user, campaign=campaign, township=township, year=payload.year,
                                     target_mu=payload.target_mu, target_m2=payload.target_m2)
    return {"township_id": t.township_id, "township": township.name, "year": t.year,
            "target_mu": float(t.target_mu), "target_m2": float(t.target_m2)}


@router.put("/workplan/{int:entry_id}", response=PlanItemOut, summary="列入年度工作方案：处置年度、路径和责任单位",
            url_name="screening_workplan_assign")
def workplan_assign(request: HttpRequest, entry_id: int, payload: PlanAssignIn):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    require(request.user, Perm.EDIT_WORK_PLAN)
    item = services.workplan_assign(
        user=request.user, entry=entry, year=payload.year, route=payload.route.strip(),
        responsible_township=_org(payload.responsible_township_id, kinds=("township",), label="责任乡镇（街道）"),
        responsible_department=_org(payload.responsible_department_id, kinds=("department", "state_company"),
                                    label="责任部门"),
        note=payload.note)
    item = selectors.plan_items(user=request.user, campaign=entry.inventory_list.campaign).get(pk=item.pk)
    return _plan_item(item)


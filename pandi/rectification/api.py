"""Rectification API (R9–R11): plans and their workflow, monthly progress reports with evidence, and
the user's action queue — scoped like the pages.

Reads go through `selectors` (an object out of scope answers 404), writes through `services` (not
allowed answers 403, bad input 422 with the service's Chinese messages; a stale `lock_version`
answers 409 with the conflict message). Evidence is uploaded separately, as multipart form data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from pandi.core.scope import access_for
from pandi.domain.rectification import TRANSITIONS, Actor, allowed_actions
from pandi.domain.units import m2_to_mu

from . import selectors, services
from .choices import EvidenceKind, PlanStatusChoices
from .models import PlanEntry, ProgressReport, QueueEntry, RectificationPlan

router = Router(tags=["整改"])
MAX_LIMIT = 200
STATUS_LABELS = dict(PlanStatusChoices.choices)


def _window(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)


def _f(value: Any) -> float | None:
    return float(value) if value is not None else None


def _conflict(exc: services.ConflictError) -> tuple[int, dict[str, Any]]:
    return 409, {"detail": {"__all__": exc.messages}}


# --- schemas ---------------------------------------------------------------------------------------

class Page(Schema):
    count: int
    limit: int
    offset: int


class Problem(Schema):
    detail: dict[str, list[str]]


class EntryRef(Schema):
    id: int
    number: str
    label: str
    parcel_codes: list[str]
    area_m2: float
    area_mu: float
    status: str
    deemed_start: date | None
    days_past_start: int | None


class StepOut(Schema):
    id: int
    month: date
    action: str
    milestone: str
    floor_area_m2: float
    investment_wan: float


class ProgressOut(Schema):
    percent: float = Field(description="进度（%），由实际完成量与计划量计算")
    expected_percent: float = Field(description="按计划截至上月应完成（%）")
    behind: bool = Field(description="进度滞后（低于计划的 90%）")
    planned_floor_area_m2: float
    planned_investment_wan: float
    planned_milestones: int
    actual_floor_area_m2: float
    actual_investment_wan: float
    actual_milestones: int


class PlanOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    township_id: int
    township: str
    campaign_id: int
    status: str
    status_label: str
    version: int
    lock_version: int
    route: str
    route_label: str
    start: date | None
    deadline: date | None
    new_floor_area_m2: float | None
    investment_wan: float | None
    entry_numbers: list[str]
    progress_percent: float
    updated_at: datetime


class PlanPage(Page):
    items: list[PlanOut]


class EventOut(Schema):
    at: datetime
    actor: str
    action: str
    label: str
    from_status: str
    to_status: str
    comment: str


class VersionOut(Schema):
    version: int
    filed_at: datetime | None
    archived_at: datetime
    content: dict


class QueueOut(Schema):
    id: int
    plan_id: int
    enterprise: str
    township: str
    reason: str
    reason_label: str
    who: str
    month: date | None
    due: date
    overdue: bool
    detail: str


class PlanDetailOut(PlanOut):
    route_note: str
    measures: str
    approach: str
    exception_reason: str
    far_after: float | None
    output_wan: float | None
    tax_wan: float | None
    jobs: int | None
    last_comment: str
    submitted_at: datetime | None
    approved_at: datetime | None
    filed_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    entries: list[EntryRef]
    steps: list[StepOut]
    progress: ProgressOut
    problems: dict[str, str] = Field(description="提交前仍须完善的内容（空表示完整）")
    actions: list[str] = Field(description="当前用户可执行的操作")
    events: list[EventOut]
    versions: list[VersionOut]
    queue: list[QueueOut]


class StepIn(Schema):
    month: str = Field(description="月份 YYYY-MM")
    action: str = ""
    milestone: str = ""
    floor_area_m2: Decimal | None = None
    investment_wan: Decimal | None = None


class ContentIn(Schema):
    route: str | None = None
    route_note: str | None = None
    measures: str | None = None
    approach: str | None = None
    start: str | None = Field(None, description="整改开始日期 YYYY-MM-DD")
    deadline: str | None = Field(None, description="整改期限 YYYY-MM-DD")
    exception_reason: str | None = None
    new_floor_area_m2: Decimal | None = None
    far_after: Decimal | None = None
    investment_wan: Decimal | None = None
    output_wan: Decimal | None = None
    tax_wan: Decimal | None = None
    jobs: int | None = None
    steps: list[StepIn] | None = Field(None, description="按月实施步骤（给出时整体替换）")


class PlanCreateIn(ContentIn):
    entries: list[int] = Field(description="清单条目 id（同一乡镇、同一企业持有）")
    enterprise_id: int | None = Field(None, description="整改企业（所选地块有多个权利人时必填）")


class PlanUpdateIn(ContentIn):
    lock_version: int = Field(description="读取时的修改序号（乐观锁）")


class TransitionIn(Schema):
    action: str = Field(description="操作：" + "、".join(f"{a} {t.label}" for a, t in TRANSITIONS.items()
                                                   if Actor.SYSTEM not in t.actors or len(t.actors) > 1))
    comment: str = ""
    lock_version: int | None = Field(None, description="读取时的修改序号（乐观锁）")


class ItemOut(Schema):
    id: int
    step_id: int
    step_month: date
    step_action: str
    planned_floor_area_m2: float
    planned_investment_wan: float
    floor_area_m2: float
    investment_wan: float
    milestone: str
    milestone_reached: bool
    note: str


class EvidenceOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    size: int
    content_type: str
    sha256: str
    taken_at: datetime | None
    lon: float | None
    lat: float | None
    warnings: list[str]
    uploaded_at: datetime


class ReportOut(Schema):
    id: int
    plan_id: int
    month: date
    status: str
    status_label: str
    narrative: str
    submitted_at: datetime
    reviewed_at: datetime | None
    review_comment: str
    evidence_count: int
    warnings: int = Field(description="佐证照片提示条数")


class ReportDetailOut(ReportOut):
    items: list[ItemOut]
    evidence: list[EvidenceOut]


class ItemIn(Schema):
    step_id: int
    floor_area_m2: Decimal | None = None
    investment_wan: Decimal | None = None
    milestone_reached: bool = False
    note: str = ""


class ReportIn(Schema):
    month: str = Field(description="月份 YYYY-MM")
    narrative: str = ""
    items: list[ItemIn] = Field(default_factory=list)


class ReviewIn(Schema):
    confirm: bool = Field(description="true 确认，false 提出疑问（须填写意见）")
    comment: str = ""


# --- serialisers -----------------------------------------------------------------------------------

def _entry(e: Any) -> dict[str, Any]:
    codes = [p.code for p in e.parcels.all()] or ([e.parcel.code] if e.parcel_id else [])
    return {"id": e.pk, "number": e.number, "label": e.label, "parcel_codes": codes, "area_m2": float(e.area_m2),
            "area_mu": round(float(m2_to_mu(e.area_m2)), 4), "status": e.status, "deemed_start": e.deemed_start,
            "days_past_start": e.days_past_start}


def _plan(plan: RectificationPlan, progress: selectors.Progress | None = None) -> dict[str, Any]:
    progress = progress or selectors.plan_progress(plan)
    numbers = [pe.entry.number for pe in plan.plan_entries.all()]
    return {
        "id": plan.pk, "enterprise_id": plan.enterprise_id, "enterprise": plan.enterprise.name,
        "township_id": plan.township_id, "township": plan.township.name, "campaign_id": plan.campaign_id,
        "status": plan.status, "status_label": STATUS_LABELS.get(plan.status, plan.status), "version": plan.version,
        "lock_version": plan.lock_version, "route": plan.route, "route_label": plan.get_route_display() or "",
        "start": plan.start, "deadline": plan.deadline, "new_floor_area_m2": _f(plan.new_floor_area_m2),
        "investment_wan": _f(plan.investment_wan), "entry_numbers": numbers,
        "progress_percent": float(progress.percent), "updated_at": plan.updated_at,
    }


def _queue(q: QueueEntry, today: date) -> dict[str, Any]:
    return {"id": q.pk, "plan_id": q.plan_id, "enterprise": q.enterprise.name, "township": q.township.name,
            "reason": q.reason, "reason_label": q.get_reason_display(), "who": q.who, "month": q.month, "due": q.due,
            "overdue": q.due < today, "detail": q.detail}


def _actions(user: Any, plan: RectificationPlan) -> list[str]:
    try:
        actor = services.actor_for(user, plan)
    except PermissionDenied:
        return []
    return allowed_actions(plan.status, actor)


def _plan_detail(user: Any, plan: RectificationPlan) -> dict[str, Any]:
    from django.utils import timezone

    plan = _reload(user, plan.pk)
    progress = selectors.plan_progress(plan)
    today = timezone.localdate()
    queue = QueueEntry.objects.filter(plan=plan, resolved_at=None).select_related("enterprise", "township")
    return {
        **_plan(plan, progress),
        "route_note": plan.route_note, "measures": plan.measures, "approach": plan.approach,
        "exception_reason": plan.exception_reason, "far_after": _f(plan.far_after), "output_wan": _f(plan.output_wan),
        "tax_wan": _f(plan.tax_wan), "jobs": plan.jobs, "last_comment": plan.last_comment,
        "submitted_at": plan.submitted_at, "approved_at": plan.approved_at, "filed_at": plan.filed_at,
        "started_at": plan.started_at, "closed_at": plan.closed_at,
        "entries": [_entry(pe.entry) for pe in plan.plan_entries.all()],
        "steps": [{"id": s.pk, "month": s.month, "action": s.action, "milestone": s.milestone,
                   "floor_area_m2": float(s.floor_area_m2), "investment_wan": float(s.investment_wan)}
                  for s in plan.steps.all()],
        "progress": {
            "percent": float(progress.percent), "expected_percent": float(progress.expected_percent),
            "behind": progress.behind, "planned_floor_area_m2": float(progress.planned.floor_area_m2),
            "planned_investment_wan": float(progress.planned.investment_wan),
            "planned_milestones": progress.planned.milestones,
            "actual_floor_area_m2": float(progress.actual.floor_area_m2),
            "actual_investment_wan": float(progress.actual.investment_wan),
            "actual_milestones": progress.actual.milestones,
        },
        "problems": services.plan_problems_for(plan),
        "actions": _actions(user, plan),
        "events": [{"at": e.at, "actor": e.actor_name, "action": e.action, "label": e.label,
                    "from_status": e.from_status, "to_status": e.to_status, "comment": e.comment}
                   for e in plan.events.all()],
        "versions": [{"version": v.version, "filed_at": v.filed_at, "archived_at": v.archived_at,
                      "content": v.content} for v in plan.versions.all()],
        "queue": [_queue(q, today) for q in queue],
    }


ENTRY_PREFETCH = Prefetch("plan_entries", queryset=PlanEntry.objects.select_related("entry", "entry__parcel")
                          .prefetch_related("entry__parcels"))


def _reload(user: Any, pk: int) -> RectificationPlan:
    selectors.plan_get(user=user, pk=pk)  # 404 when out of scope
    return (RectificationPlan.objects.select_related("enterprise", "township", "campaign")
            .prefetch_related("steps", ENTRY_PREFETCH, "events", "versions").get(pk=pk))


def _report(r: ProgressReport) -> dict[str, Any]:
    evidence = list(r.evidence.all())
    return {"id": r.pk, "plan_id": r.plan_id, "month": r.month, "status": r.status,
            "status_label": r.get_status_display(), "narrative": r.narrative, "submitted_at": r.submitted_at,
            "reviewed_at": r.reviewed_at, "review_comment": r.review_comment, "evidence_count": len(evidence),
            "warnings": sum(len(e.warnings or []) for e in evidence)}


def _report_detail(r: ProgressReport) -> dict[str, Any]:
    kinds = dict(EvidenceKind.choices)
    return {
        **_report(r),
        "items": [{"id": i.pk, "step_id": i.step_id, "step_month": i.step.month, "step_action": i.step.action,
                   "planned_floor_area_m2": float(i.step.floor_area_m2),
                   "planned_investment_wan": float(i.step.investment_wan), "floor_area_m2": float(i.floor_area_m2),
                   "investment_wan": float(i.investment_wan), "milestone": i.step.milestone,
                   "milestone_reached": i.milestone_reached, "note": i.note} for i in r.items.all()],
        "evidence": [{"id": e.pk, "kind": e.kind, "kind_label": kinds.get(e.kind, e.kind), "name": e.original_name,
                      "size": e.size, "content_type": e.content_type, "sha256": e.sha256, "taken_at": e.taken_at,
                      "lon": e.lon, "lat": e.lat, "warnings": list(e.warnings or []), "uploaded_at": e.uploaded_at}
                     for e in r.evidence.all()],
    }


def _month(raw: str) -> date:
    raw = (raw or "").strip()
    try:
        return date.fromisoformat(raw if len(raw) > 7 else f"{raw}-01")
    except ValueError:
        raise ValidationError({"month": f"月份“{raw}”格式错误，应为 YYYY-MM"}) from None


def _content(payload: ContentIn) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    data = payload.dict(exclude_unset=True)
    for k in ("steps", "entries", "enterprise_id", "lock_version"):
        data.pop(k, None)
    data = {k: ("" if v is None and k in ("route", "route_note", "measures", "approach", "exception_reason")
                else v) for k, v in data.items()}
    steps = None
    if payload.steps is not None:
        steps = [s.dict() for s in payload.steps]
    return data, steps


def _entries_for(user: Any, ids: list[int]) -> list[Any]:
    """The inventory entries the user may plan for: internal users through the scoped inventory, an
    enterprise user those on parcels its enterprise holds. An id outside that answers 404."""
    from pandi.screening.models import InventoryEntry

    scope = access_for(user).scope
    qs = InventoryEntry.objects.visible_to(user)
    if not scope.district and scope.enterprise_ids:
        held = InventoryEntry.objects.filter(parcels__holdings__is_current=True,
                                             parcels__holdings__enterprise_id__in=scope.enterprise_ids)
        qs = InventoryEntry.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=held.values("pk")))
    found = {e.pk: e for e in qs.filter(pk__in=ids).distinct().select_related("inventory_list__campaign")}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Http404(f"未找到清单条目（id={'、'.join(map(str, missing))}）或无权查看")
    return [found[i] for i in dict.fromkeys(ids)]


# --- plans -----------------------------------------------------------------------------------------

@router.get("/plans", response=PlanPage, summary="整改方案（分页；可按状态、乡镇筛选）",
            url_name="rectification_plan_list")
def plan_list(request: HttpRequest, status: str | None = None, township: int | None = None, q: str | None = None,
              limit: int = 50, offset: int = 0):
    if status:
        bad = [s for s in status.split(",") if s not in STATUS_LABELS]
        if bad:
            raise ValidationError({"status": f"状态“{'、'.join(bad)}”无效，可用：{'、'.join(STATUS_LABELS)}"})
    qs = selectors.plan_list(user=request.user, status=status, township=township, q=q)
    limit, offset = _window(limit, offset)
    page = list(qs.prefetch_related("steps", Prefetch("plan_entries", queryset=PlanEntry.objects
                                                      .select_related("entry")))[offset:offset + limit])
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": [_plan(p) for p in page]}


@router.post("/plans", response={201: PlanDetailOut}, summary="新建整改方案（企业填写，或乡镇代为填报）",
             url_name="rectification_plan_create")
def plan_create(request: HttpRequest, payload: PlanCreateIn):
    entries = _entries_for(request.user, payload.entries)
    data, steps = _content(payload)
    if payload.enterprise_id is not None:
        data["enterprise_id"] = payload.enterprise_id
    plan = services.plan_create(user=request.user, entries=entries, data=data, steps=steps or [])
    return 201, _plan_detail(request.user, plan)


@router.get("/plans/{int:plan_id}", response=PlanDetailOut,
            summary="整改方案详情：内容、步骤、地块、进度、记录、历史版本和待办", url_name="rectification_plan_detail")
def plan_detail(request: HttpRequest, plan_id: int):
    return _plan_detail(request.user, selectors.plan_get(user=request.user, pk=plan_id))


@router.put("/plans/{int:plan_id}", response={200: PlanDetailOut, 409: Problem},
            summary="修改整改方案（草稿或退回状态；须带 lock_version）", url_name="rectification_plan_update")
def plan_update(request: HttpRequest, plan_id: int, payload: PlanUpdateIn):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    data, steps = _content(payload)
    try:
        services.plan_update(user=request.user, plan=plan, data=data, steps=steps,
                             lock_version=payload.lock_version)
    except services.ConflictError as e:
        return _conflict(e)
    return 200, _plan_detail(request.user, plan)


@router.post("/plans/{int:plan_id}/transition", response={200: PlanDetailOut, 409: Problem},
             summary="办理：提交、审核通过、退回、备案、开始实施、确认完成、认定拒不整改、撤回、申请变更",
             url_name="rectification_plan_transition")
def plan_transition(request: HttpRequest, plan_id: int, payload: TransitionIn):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    action = payload.action.strip()
    t = TRANSITIONS.get(action)
    if t is None or t.actors == frozenset({Actor.SYSTEM}):
        raise ValidationError({"action": f"未知操作“{action}”"})
    try:
        services.plan_transition(user=request.user, plan=plan, action=action, comment=payload.comment,
                                 lock_version=payload.lock_version)
    except services.ConflictError as e:
        return _conflict(e)
    return 200, _plan_detail(request.user, plan)


# --- progress reports ------------------------------------------------------------------------------

def _reports(qs: Any) -> Any:
    return qs.select_related("plan").prefetch_related("items__step", "evidence")


@router.get("/plans/{int:plan_id}/reports", response=list[ReportOut], summary="整改方案的月度进展",
            url_name="rectification_report_list")
def report_list(request: HttpRequest, plan_id: int):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    return [_report(r) for r in _reports(ProgressReport.objects.visible_to(request.user).filter(plan=plan))]


@router.post("/plans/{int:plan_id}/reports", response={201: ReportDetailOut},
             summary="报送月度进展（佐证材料另行上传：POST /reports/{id}/evidence）",
             url_name="rectification_report_create")
def report_create(request: HttpRequest, plan_id: int, payload: ReportIn):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    report = services.report_submit(user=request.user, plan=plan, month=_month(payload.month),
                                    narrative=payload.narrative, items=[i.dict() for i in payload.items])
    return 201, _report_detail(selectors.report_get(user=request.user, pk=report.pk))


@router.get("/reports/{int:report_id}", response=ReportDetailOut, summary="月度进展详情：明细、佐证材料及提示",
            url_name="rectification_report_detail")
def report_detail(request: HttpRequest, report_id: int):
    return _report_detail(selectors.report_get(user=request.user, pk=report_id))


@router.post("/reports/{int:report_id}/evidence", response={201: EvidenceOut},
             summary="上传佐证材料（multipart：kind + file；照片读取拍摄时间和位置并核对）",
             url_name="rectification_evidence_upload")
def evidence_upload(request: HttpRequest, report_id: int, kind: Form[str], file: File[UploadedFile]):
    report = selectors.report_get(user=request.user, pk=report_id)
    if file.size is not None and file.size > services.MAX_EVIDENCE_BYTES:
        raise ValidationError({"evidence": f"文件“{file.name}”大小超过 20 MB 上限"})
    upload = services.Upload(kind=kind.strip(), name=file.name or "file", content=file.read(),
                             content_type=file.content_type or "")
    ev = services.evidence_add(user=request.user, report=report, upload=upload)
    kinds = dict(EvidenceKind.choices)
    return 201, {"id": ev.pk, "kind": ev.kind, "kind_label": kinds.get(ev.kind, ev.kind), "name": ev.original_name,
                 "size": ev.size, "content_type": ev.content_type, "sha256": ev.sha256, "taken_at": ev.taken_at,
                 "lon": ev.lon, "lat": ev.lat, "warnings": list(ev.warnings or []), "uploaded_at": ev.uploaded_at}


@router.post("/reports/{int:report_id}/review", response=ReportDetailOut,
             summary="乡镇确认月度进展，或提出疑问（须填写意见）", url_name="rectification_report_review")
def report_review(request: HttpRequest, report_id: int, payload: ReviewIn):
    report = selectors.report_get(user=request.user, pk=report_id)
    services.report_review(user=request.user, report=report, confirm=payload.confirm, comment=payload.comment)
    return _report_detail(selectors.report_get(user=request.user, pk=report_id))


# --- the queue -------------------------------------------------------------------------------------

@router.get("/queue", response=list[QueueOut], summary="我的待办：须由我办理的事项、原因和期限",
            url_name="rectification_queue")
def queue(request: HttpRequest):
    from django.utils import timezone

    today = timezone.localdate()
    return [_queue(q, today) for q in selectors.queue_for(user=request.user)]

"""Writes for rectification: plans and their workflow (R9–R11), monthly progress with evidence, the
action queue (kept by `pandi tick`) and signed links. Every write checks who acts (domain rules),
runs in a transaction, is audited and goes on the plan's timeline; concurrent edits are refused by
optimistic locking (`lock_version`)."""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from pandi.audit.services import record_change, record_event, snapshot
from pandi.core.scope import access_for
from pandi.domain.access import Role
from pandi.domain.rectification import (
    ENFORCEMENT_STATUSES,
    OPEN_STATUSES,
    Actor,
    PlanFacts,
    PlanStatus,
    QueueFacts,
    StepFacts,
    TransitionError,
    check_transition,
    month_start,
    photo_warnings,
    plan_problems,
    queue_items,
)

from .models import (
    AccessLink,
    Evidence,
    PlanEntry,
    PlanEvent,
    PlanStep,
    PlanVersion,
    ProgressItem,
    ProgressReport,
    QueueEntry,
    RectificationPlan,
)

CONTENT_FIELDS = ("route", "route_note", "measures", "approach", "start", "deadline", "exception_reason",
                  "new_floor_area_m2", "far_after", "investment_wan", "output_wan", "tax_wan", "jobs")
BENEFIT_FIELDS = ("new_floor_area_m2", "far_after", "investment_wan", "output_wan", "tax_wan", "jobs")
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVIDENCE_TYPES = {
    "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/msword": (".doc",),
}


class ConflictError(ValidationError):
    """Someone else changed the record since it was read (optimistic locking)."""


# --- who acts ------------------------------------------------------------------------------------

def actor_for(user: Any, plan: RectificationPlan | None = None, *, township_id: int | None = None,
              enterprise_id: int | None = None) -> Actor:
    """The role in which `user` acts on a plan: district (区经商局/admin), the plan's township, or its
    enterprise. Anyone else: PermissionDenied."""
    if isinstance(user, LinkUser):
        if plan is not None and user.link.plan_id == plan.pk:
            return Actor.ENTERPRISE
        raise PermissionDenied("此链接只能用于指定的整改方案")
    access = access_for(user)
    tid = plan.township_id if plan is not None else township_id
    eid = plan.enterprise_id if plan is not None else enterprise_id
    if access.roles & {Role.ADMIN, Role.DISTRICT_LEAD}:
        return Actor.DISTRICT
    if Role.TOWNSHIP in access.roles and tid in access.scope.township_ids:
        return Actor.TOWNSHIP
    if Role.ENTERPRISE in access.roles and eid in access.scope.enterprise_ids:
        return Actor.ENTERPRISE
    raise PermissionDenied("您不能办理此整改方案")


@dataclass
class LinkUser:
    """Who acts through a signed link: the enterprise, for one plan and one purpose."""

    link: AccessLink
    is_authenticated: bool = False
    pk: None = None

    def get_username(self) -> str:
        return f"链接#{self.link.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.link.plan.enterprise.name}（填报链接）"


def _audit_user(user: Any) -> Any:
    return None if isinstance(user, LinkUser) else user


def _event(plan: RectificationPlan, user: Any, action: str, label: str, before: str, comment: str = "",
           at: datetime | None = None) -> None:
    name = user.full_name if isinstance(user, LinkUser) else (
        (getattr(user, "full_name", "") or user.get_username()) if getattr(user, "is_authenticated", False) else "系统")
    event = PlanEvent.objects.create(plan=plan, actor=_audit_user(user), actor_name=name[:150], action=action,
                                     label=label, from_status=before, to_status=plan.status, comment=comment)
    if at is not None:  # a dated scenario (the demo): the timeline shows when it happened
        PlanEvent.objects.filter(pk=event.pk).update(at=at)


def _locked_save(plan: RectificationPlan, expected: int | None, fields: list[str]) -> None:
    """Save only if nobody changed the plan since `expected`; bump the lock."""
    if expected is not None and int(expected) != plan.lock_version:
        raise ConflictError("该整改方案已被他人修改，请刷新页面后重试")
    current = plan.lock_version
    plan.lock_version = current + 1
    plan.updated_at = timezone.now()
    updated = RectificationPlan.objects.filter(pk=plan.pk, lock_version=current).update(
        **{f: getattr(plan, f) for f in [*fields, "lock_version", "updated_at"]})
    if updated != 1:
        raise ConflictError("该整改方案已被他人修改，请刷新页面后重试")


# --- the plan --------------------------------------------------------------------------------------

def _decimal(value: Any, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({label: f"“{value}”不是数字"}) from None
    if not d.is_finite() or d < 0:
        raise ValidationError({label: f"“{value}”应为不小于 0 的数字"})
    return d


def _clean_steps(steps: list[dict[str, Any]]) -> list[StepFacts]:
    out: list[StepFacts] = []
    for i, s in enumerate(steps, 1):
        month = s.get("month")
        if isinstance(month, str):
            try:
                month = date.fromisoformat(month if len(month) > 7 else f"{month}-01")
            except ValueError:
                raise ValidationError({"steps": f"第 {i} 步：月份“{s.get('month')}”格式错误，应为 YYYY-MM"}) from None
        if not isinstance(month, date):
            raise ValidationError({"steps": f"第 {i} 步：请填写月份"})
        out.append(StepFacts(month=month_start(month), action=str(s.get("action", "")).strip(),
                             floor_area_m2=_decimal(s.get("floor_area_m2"), "steps") or Decimal(0),
                             investment_wan=_decimal(s.get("investment_wan"), "steps") or Decimal(0),
                             milestone=str(s.get("milestone", "") or "")))
    return out


def plan_facts(plan: RectificationPlan, steps: list[StepFacts] | None = None) -> PlanFacts:
    if steps is None:
        steps = [StepFacts(s.month, s.action, s.floor_area_m2, s.investment_wan, s.milestone)
                 for s in plan.steps.all()]
    return PlanFacts(route=plan.route, measures=plan.measures, approach=plan.approach, start=plan.start,
                     deadline=plan.deadline, steps=steps,
                     benefits={f: getattr(plan, f) for f in BENEFIT_FIELDS},
                     entries=plan.plan_entries.count() if plan.pk else 0, exception_reason=plan.exception_reason)


def plan_problems_for(plan: RectificationPlan) -> dict[str, str]:
    c = plan.campaign
    return plan_problems(plan_facts(plan), start_deadline=c.rectification_start_deadline,
                         duration_months=c.rectification_months)


def _apply_content(plan: RectificationPlan, data: dict[str, Any]) -> None:
    unknown = set(data) - set(CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for k, v in data.items():
        if k in BENEFIT_FIELDS and k != "jobs":
            v = _decimal(v, k)
        if k == "jobs" and v not in (None, ""):
            try:
                v = int(v)
            except (TypeError, ValueError):
                raise ValidationError({"jobs": f"“{v}”不是整数"}) from None
            if v < 0:
                raise ValidationError({"jobs": "新增就业人数不能为负"})
        if k == "jobs" and v == "":
            v = None
        if k in ("start", "deadline") and isinstance(v, str):
            try:
                v = date.fromisoformat(v) if v else None
            except ValueError:
                raise ValidationError({k: f"日期“{v}”格式错误，应为 YYYY-MM-DD"}) from None
        if isinstance(v, str):
            v = v.strip()
        setattr(plan, k, v)


def _replace_steps(plan: RectificationPlan, steps: list[StepFacts]) -> None:
    """Set the plan's monthly steps: months kept are updated in place (their progress stays attached),
    new months added, dropped months deleted — unless progress was already reported against them."""
    existing = {s.month: s for s in plan.steps.all()}
    wanted = {s.month: s for s in steps}
    reported = set(ProgressItem.objects.filter(step__plan=plan).values_list("step__month", flat=True))
    dropped = [m for m in existing if m not in wanted]
    blocked = sorted(m for m in dropped if m in reported)
    if blocked:
        months = "、".join(f"{m:%Y年%m月}" for m in blocked)
        raise ValidationError({"steps": f"{months}已报送进展，不能删除该月的实施步骤"})
    PlanStep.objects.filter(plan=plan, month__in=dropped).delete()
    changed = []
    for m, s in wanted.items():
        step = existing.get(m)
        if step is None:
            continue
        step.action, step.milestone = s.action[:300], s.milestone
        step.floor_area_m2, step.investment_wan = s.floor_area_m2, s.investment_wan
        changed.append(step)
    PlanStep.objects.bulk_update(changed, ["action", "milestone", "floor_area_m2", "investment_wan"])
    PlanStep.objects.bulk_create([PlanStep(plan=plan, month=s.month, action=s.action[:300], milestone=s.milestone,
                                           floor_area_m2=s.floor_area_m2, investment_wan=s.investment_wan)
                                  for m, s in wanted.items() if m not in existing])


@transaction.atomic
def plan_create(*, user: Any, entries: list[Any], data: dict[str, Any], steps: list[dict[str, Any]] | None = None,
                campaign: Any = None) -> RectificationPlan:
    """A draft plan for inventory entries held by one enterprise in one township. The enterprise
    writes it, or the township enters it on the enterprise's behalf."""
    from pandi.land.models import Holding
    from pandi.supervision.models import Campaign

    if not entries:
        raise ValidationError({"entries": "请选择整改方案所针对的清单地块"})
    townships = {e.township_id for e in entries}
    if len(townships) != 1 or None in townships:
        raise ValidationError({"entries": "一个整改方案只能针对同一乡镇（街道）的清单地块"})
    for e in entries:
        if not e.number or not e.included:
            raise ValidationError({"entries": f"“{e.label}”不是已确认清单中的地块"})
    parcel_ids = {p for e in entries for p in e.parcels.values_list("pk", flat=True)}
    holders = set(Holding.objects.filter(parcel_id__in=parcel_ids, is_current=True)
                  .values_list("enterprise_id", flat=True))
    enterprise_id = data.pop("enterprise_id", None) or (next(iter(holders)) if len(holders) == 1 else None)
    if enterprise_id is None or enterprise_id not in holders:
        raise ValidationError({"entries": "请指明整改企业：所选地块须由该企业持有"})
    actor = actor_for(user, township_id=next(iter(townships)), enterprise_id=enterprise_id)
    campaign = campaign or entries[0].inventory_list.campaign or Campaign.objects.filter(is_current=True).first()
    plan = RectificationPlan(campaign=campaign, enterprise_id=enterprise_id, township_id=next(iter(townships)),
                             created_by=_audit_user(user))
    _apply_content(plan, data)
    clean = _clean_steps(steps or [])
    plan.full_clean()
    plan.save()
    try:
        with transaction.atomic():
            PlanEntry.objects.bulk_create([PlanEntry(plan=plan, entry=e) for e in entries])
    except IntegrityError:
        raise ValidationError({"entries": "所选清单地块已有未办结的整改方案，请在原方案上修改或申请变更"}) from None
    _replace_steps(plan, clean)
    record_change(obj=plan, user=_audit_user(user), before=None,
                  comment="乡镇代企业填报" if actor is Actor.TOWNSHIP else "")
    _event(plan, user, "create", "新建整改方案" + ("（乡镇代填）" if actor is Actor.TOWNSHIP else ""), "")
    _after(plan)
    return plan


@transaction.atomic
def plan_update(*, user: Any, plan: RectificationPlan, data: dict[str, Any],
                steps: list[dict[str, Any]] | None = None, lock_version: int | None = None) -> RectificationPlan:
    actor = actor_for(user, plan)
    if actor is Actor.DISTRICT and not isinstance(user, LinkUser):
        raise PermissionDenied("整改方案由企业填写，乡镇可代为填报")
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
        raise ValidationError(f"整改方案状态为“{plan.get_status_display()}”，不能修改；如需调整请申请变更")
    before = snapshot(plan)
    _apply_content(plan, data)
    plan.full_clean()
    _locked_save(plan, lock_version, list(CONTENT_FIELDS))
    if steps is not None:
        _replace_steps(plan, _clean_steps(steps))
    record_change(obj=plan, user=_audit_user(user), before=before, comment="修改整改方案")
    return plan


def _set_open(plan: RectificationPlan) -> None:
    PlanEntry.objects.filter(plan=plan).update(open=plan.status in OPEN_STATUSES)


def plan_content(plan: RectificationPlan) -> dict[str, Any]:
    """The plan's content as JSON (kept as a version when it is amended)."""
    from pandi.audit.services import _json_value

    return {**{f: _json_value(getattr(plan, f)) for f in CONTENT_FIELDS},
            "steps": [{"month": s.month.isoformat(), "action": s.action, "milestone": s.milestone,
                       "floor_area_m2": str(s.floor_area_m2), "investment_wan": str(s.investment_wan)}
                      for s in plan.steps.all()]}


@transaction.atomic
def plan_transition(*, user: Any, plan: RectificationPlan, action: str, comment: str = "",
                    lock_version: int | None = None, now: datetime | None = None) -> RectificationPlan:
    """Move a plan along its workflow (domain.rectification.TRANSITIONS): permission by who acts,
    completeness checked before submission and filing, audited, on the timeline."""
    actor = Actor.SYSTEM if user is None else actor_for(user, plan)
    if action in ("submit", "file"):
        problems = plan_problems_for(plan)
        if problems:
            raise ValidationError(problems)
    try:
        target = check_transition(plan.status, action, actor, comment)
    except TransitionError as e:
        if "不能" in str(e) and "状态" not in str(e):
            raise PermissionDenied(str(e)) from None
        raise ValidationError(str(e)) from None
    now = now or timezone.now()
    before_status = plan.status
    before = snapshot(plan)
    fields = ["status", "last_comment"]
    plan.status = target.value
    plan.last_comment = comment.strip()
    stamp = {"submit": "submitted_at", "approve": "approved_at", "file": "filed_at", "start": "started_at"}
    if action in stamp:
        setattr(plan, stamp[action], now)
        fields.append(stamp[action])
    if target in (PlanStatus.COMPLETED, PlanStatus.REFUSED, PlanStatus.WITHDRAWN):
        plan.closed_at = now
        fields.append("closed_at")
    if action == "amend":
        PlanVersion.objects.create(plan=plan, version=plan.version, content=plan_content(plan),
                                   filed_at=plan.filed_at)
        plan.version += 1
        plan.filed_at = plan.approved_at = plan.submitted_at = None
        fields += ["version", "filed_at", "approved_at", "submitted_at"]
    _locked_save(plan, lock_version, fields)
    _set_open(plan)
    from .choices import PlanStatusChoices

    label = dict(PlanStatusChoices.choices)[target.value]
    record_change(obj=plan, user=_audit_user(user), before=before, comment=comment.strip() or label)
    from pandi.domain.rectification import TRANSITIONS

    _event(plan, user, action, TRANSITIONS[action].label, before_status, comment.strip(), at=now)
    if user is not None:
        _after(plan)
    return plan


def is_enforcement_case(plan: RectificationPlan) -> bool:
    """Overdue or refused: the facts the enforcement module acts on (R13)."""
    return PlanStatus(plan.status) in ENFORCEMENT_STATUSES


# --- monthly progress -----------------------------------------------------------------------------

@dataclass
class Upload:
    kind: str
    name: str
    content: bytes
    content_type: str = ""


def _exif(content: bytes) -> tuple[datetime | None, float | None, float | None]:
    """EXIF DateTimeOriginal and GPS of a JPEG/PNG, read with Pillow."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(content))
        exif = img.getexif()
    except Exception:
        return None, None, None
    taken = None
    raw = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal, else DateTime
    if raw:
        try:
            taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken = None
    gps = exif.get_ifd(0x8825)
    lon = lat = None
    try:
        if gps and 2 in gps and 4 in gps:
            def deg(v: Any) -> float:
                d, m, s = (float(x) for x in v)
                return d + m / 60 + s / 3600

            lat = deg(gps[2]) * (-1 if gps.get(1) == "S" else 1)
            lon = deg(gps[4]) * (-1 if gps.get(3) == "W" else 1)
    except (TypeError, ValueError, ZeroDivisionError):
        lon = lat = None
    return taken, lon, lat


def check_upload(u: Upload) -> str:
    """The upload's content type if it may be stored (kind, size, extension, magic bytes); else ValidationError."""
    import os

    from .choices import EvidenceKind

    if u.kind not in EvidenceKind.values:
        raise ValidationError({"evidence": f"文件“{u.name}”：材料类型“{u.kind}”无效"})
    if not u.content:
        raise ValidationError({"evidence": f"文件“{u.name}”为空"})
    if len(u.content) > MAX_EVIDENCE_BYTES:
        raise ValidationError({"evidence": f"文件“{u.name}”大小 {len(u.content) / 1048576:.1f} MB，超过 20 MB 上限"})
    suffix = os.path.splitext(u.name)[1].lower()
    kind = next((t for t, suffixes in EVIDENCE_TYPES.items() if suffix in suffixes), None)
    if kind is None:
        raise ValidationError({"evidence": f"文件“{u.name}”类型不支持（可上传 JPG、PNG、PDF、Word）"})
    head = u.content[:8]
    magic_ok = {"image/jpeg": head.startswith(b"\xff\xd8"), "image/png": head.startswith(b"\x89PNG"),
                "application/pdf": head.startswith(b"%PDF"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": head.startswith(b"PK"),
                "application/msword": head.startswith(b"\xd0\xcf\x11\xe0")}[kind]
    if not magic_ok:
        raise ValidationError({"evidence": f"文件“{u.name}”的内容与扩展名不符"})
    if u.kind == "photo" and not kind.startswith("image/"):
        raise ValidationError({"evidence": f"文件“{u.name}”不是照片（JPG 或 PNG）"})
    return kind


def _photo_place(plan: RectificationPlan, lon: float, lat: float) -> tuple[bool | None, float | None]:
    """Is (lon, lat) on one of the plan's parcels, and how far away (m) if not."""
    from shapely.geometry import Point, shape

    from pandi.domain.geo import to_ground

    geoms = [shape(p.geometry) for e in plan.entries.all() for p in e.parcels.all() if p.geometry]
    if not geoms:
        return None, None
    pt = Point(lon, lat)
    if any(g.buffer(0.0002).contains(pt) for g in geoms):  # ~20 m of GPS slack
        return True, None
    gp = to_ground(pt)
    return False, min(to_ground(g).distance(gp) for g in geoms)


@transaction.atomic
def report_submit(*, user: Any, plan: RectificationPlan, month: date, narrative: str,
                  items: list[dict[str, Any]], uploads: list[Upload] | None = None) -> ProgressReport:
    """The enterprise's (or the township's, on its behalf) report for a month, with evidence. A filed
    plan starts with its first report."""
    actor = actor_for(user, plan)
    if actor is Actor.DISTRICT:
        raise PermissionDenied("整改进展由企业报送，乡镇可代为报送")
    month = month_start(month)
    if plan.status == PlanStatus.FILED:
        plan_transition(user=user, plan=plan, action="start", comment="")
        plan.refresh_from_db()
    if plan.status not in (PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE):
        raise ValidationError(f"整改方案状态为“{plan.get_status_display()}”，不能报送进展")
    if plan.start and month < month_start(plan.start):
        raise ValidationError({"month": f"{month:%Y年%m月}早于整改开始月份"})
    if plan.deadline and month > month_start(plan.deadline):
        raise ValidationError({"month": f"{month:%Y年%m月}晚于整改期限（{plan.deadline:%Y-%m-%d}）"})
    if month > month_start(timezone.localdate()):
        raise ValidationError({"month": "不能报送未来月份的进展"})
    if not narrative.strip():
        raise ValidationError({"narrative": "请填写本月进展情况"})
    existing = ProgressReport.objects.filter(plan=plan, month=month).first()
    if existing is not None and existing.status != "queried":
        raise ValidationError({"month": f"{month:%Y年%m月}进展已报送"})
    steps = {s.pk: s for s in plan.steps.all()}
    cleaned = []
    for i, it in enumerate(items, 1):
        step = steps.get(int(it.get("step_id") or 0))
        if step is None:
            raise ValidationError({"items": f"第 {i} 行：不是本方案的实施步骤"})
        cleaned.append(ProgressItem(step=step, floor_area_m2=_decimal(it.get("floor_area_m2"), "items") or 0,
                                    investment_wan=_decimal(it.get("investment_wan"), "items") or 0,
                                    milestone_reached=bool(it.get("milestone_reached")),
                                    note=str(it.get("note", ""))[:300]))
    if existing is not None:  # a queried report is answered by reporting again
        before = snapshot(existing)
        existing.narrative, existing.status = narrative.strip(), "submitted"
        existing.save(update_fields=["narrative", "status"])
        existing.items.all().delete()
        report = existing
        record_change(obj=report, user=_audit_user(user), before=before, comment="补充报送")
    else:
        report = ProgressReport.objects.create(plan=plan, month=month, narrative=narrative.strip(),
                                               submitted_by=_audit_user(user))
        record_change(obj=report, user=_audit_user(user), before=None)
    for item in cleaned:
        item.report = report
    ProgressItem.objects.bulk_create(cleaned)
    for u in uploads or []:
        evidence_add(user=user, report=report, upload=u)
    _event(plan, user, "report", f"报送{month:%Y年%m月}进展", plan.status)
    _after(plan)
    return report


@transaction.atomic
def evidence_add(*, user: Any, report: ProgressReport, upload: Upload) -> Evidence:
    actor_for(user, report.plan)
    if report.status == "confirmed":
        raise ValidationError({"evidence": f"{report.month:%Y年%m月}进展已确认，不能再补充材料"})
    content_type = check_upload(upload)
    sha = hashlib.sha256(upload.content).hexdigest()
    taken = lon = lat = None
    warnings: list[str] = []
    if content_type.startswith("image/"):
        taken, lon, lat = _exif(upload.content)
        inside, distance = (None, None)
        if lon is not None and lat is not None:
            inside, distance = _photo_place(report.plan, lon, lat)
        if upload.kind == "photo":
            warnings = photo_warnings(taken=taken.date() if taken else None, lon=lon, lat=lat, month=report.month,
                                      inside_parcel=inside, distance_m=distance)
    ev = Evidence(report=report, kind=upload.kind, original_name=upload.name[:200], size=len(upload.content),
                  content_type=content_type, sha256=sha, lon=lon, lat=lat, warnings=warnings,
                  taken_at=timezone.make_aware(taken) if taken else None, uploaded_by=_audit_user(user))
    ev.file.save(upload.name, ContentFile(upload.content), save=False)
    ev.save()
    record_change(obj=ev, user=_audit_user(user), before=None, comment="上传佐证材料")
    _after(report.plan)
    return ev


@transaction.atomic
def report_review(*, user: Any, report: ProgressReport, confirm: bool, comment: str = "") -> ProgressReport:
    """The township confirms a monthly report, or queries it (with a comment)."""
    actor = actor_for(user, report.plan)
    if actor is not Actor.TOWNSHIP and actor is not Actor.DISTRICT:
        raise PermissionDenied("整改进展由乡镇（街道）确认")
    if report.status != "submitted":
        raise ValidationError(f"该进展状态为“{report.get_status_display()}”，不能再次审核")
    if not confirm and not comment.strip():
        raise ValidationError({"comment": "提出疑问时请填写意见"})
    before = snapshot(report)
    report.status = "confirmed" if confirm else "queried"
    report.reviewed_by, report.reviewed_at, report.review_comment = user, timezone.now(), comment.strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    record_change(obj=report, user=user, before=before, comment="确认" if confirm else "提出疑问")
    _event(report.plan, user, "report_review", f"{'确认' if confirm else '质询'}{report.month:%Y年%m月}进展",
           report.plan.status, comment.strip())
    _after(report.plan)
    return report


# --- the queue (pandi tick) -----------------------------------------------------------------------

def queue_facts(plan: RectificationPlan, today: date) -> QueueFacts:
    from .selectors import plan_progress

    reports = list(plan.reports.all())
    with_evidence = set(Evidence.objects.filter(report__plan=plan).values_list("report__month", flat=True))
    prog = plan_progress(plan, today=today)
    return QueueFacts(
        status=PlanStatus(plan.status), start=plan.start, deadline=plan.deadline,
        start_deadline=plan.campaign.rectification_start_deadline,
        submitted_on=timezone.localdate(plan.submitted_at) if plan.submitted_at else None,
        approved_on=timezone.localdate(plan.approved_at) if plan.approved_at else None,
        reported_months=frozenset(r.month for r in reports if r.status != "queried"),
        unconfirmed_months=frozenset(r.month for r in reports if r.status == "submitted"),
        months_without_evidence=frozenset(r.month for r in reports if r.month not in with_evidence),
        behind=prog.behind,
    )


def queue_refresh_plan(plan: RectificationPlan, today: date | None = None,
                      counts: dict[str, int] | None = None) -> None:
    """Bring one plan's queue up to date (called after every action on the plan, and by the tick)."""
    today = today or timezone.localdate()
    counts = counts if counts is not None else {"opened": 0, "resolved": 0}
    open_plan = PlanStatus(plan.status) in OPEN_STATUSES
    wanted = ({f"{i.reason.value}|{i.month or ''}": i for i in queue_items(queue_facts(plan, today), today)}
              if open_plan else {})
    current = {q.key: q for q in QueueEntry.objects.filter(plan=plan, resolved_at=None)}
    for key, q in current.items():
        if key not in wanted:
            q.resolved_at = timezone.now()
            q.save(update_fields=["resolved_at"])
            counts["resolved"] = counts.get("resolved", 0) + 1
        elif (q.due, q.detail) != (wanted[key].due, wanted[key].detail[:300]):
            q.due, q.detail = wanted[key].due, wanted[key].detail[:300]
            q.save(update_fields=["due", "detail"])
    for key, item in wanted.items():
        if key not in current:
            entry = QueueEntry.objects.create(plan=plan, reason=item.reason.value, key=key, who=item.who.value,
                                              month=item.month, due=item.due, detail=item.detail[:300],
                                              township_id=plan.township_id, enterprise_id=plan.enterprise_id)
            counts["opened"] = counts.get("opened", 0) + 1
            _remind_by_email(entry)


def reminder_recipients(entry: QueueEntry) -> list[str]:
    """E-mail addresses of the active users who must act on a queue item."""
    from pandi.accounts.models import Membership

    members = Membership.objects.filter(is_active=True, user__is_active=True).exclude(user__email="")
    if entry.who == Actor.ENTERPRISE:
        members = members.filter(role=Role.ENTERPRISE, enterprise_id=entry.enterprise_id)
    elif entry.who == Actor.TOWNSHIP:
        members = members.filter(role=Role.TOWNSHIP, org_unit_id=entry.township_id)
    else:
        members = members.filter(role=Role.DISTRICT_LEAD)
    return sorted(set(members.values_list("user__email", flat=True)))


def _remind_by_email(entry: QueueEntry) -> None:
    """With PANDI_REMINDER_EMAIL on, a new queue item is e-mailed once (when it opens) to who must act."""
    import logging

    from django.conf import settings
    from django.core.mail import send_mail

    if not getattr(settings, "PANDI_REMINDER_EMAIL", False):
        return
    to = reminder_recipients(entry)
    if not to:
        return
    plan = entry.plan
    url = settings.PANDI_SITE_URL.rstrip("/") + plan.get_absolute_url()
    body = (f"{plan.enterprise.name}（{plan.township.name}）整改方案：{entry.get_reason_display()}\n"
            f"期限：{entry.due:%Y-%m-%d}\n{entry.detail}\n\n请登录盘地系统办理：{url}\n")
    try:
        send_mail(f"【盘地】待办：{entry.get_reason_display()}（期限 {entry.due:%Y-%m-%d}）", body,
                  settings.DEFAULT_FROM_EMAIL, to)
    except Exception:  # the in-app queue is the record; a mail server outage must not stop the tick
        logging.getLogger(__name__).exception("reminder e-mail for queue item %s failed", entry.pk)


def _after(plan: RectificationPlan) -> None:
    """Once the action commits, the plan's queue reflects it (not only at the next tick)."""
    pk = plan.pk

    def refresh() -> None:
        fresh = RectificationPlan.objects.select_related("campaign").filter(pk=pk).first()
        if fresh is not None:
            queue_refresh_plan(fresh)

    transaction.on_commit(refresh)


def queue_refresh(*, today: date | None = None) -> dict[str, int]:
    """Bring every open plan's queue up to date; move filed plans whose start has come to 整改中 and plans
    past their deadline to 逾期. Idempotent: run it every hour."""
    today = today or timezone.localdate()
    counts = {"opened": 0, "resolved": 0, "started": 0, "overdue": 0}
    plans = (RectificationPlan.objects.filter(status__in=[s.value for s in OPEN_STATUSES])
             .select_related("campaign"))
    for plan in plans.iterator(chunk_size=500):
        with transaction.atomic():
            if plan.status == PlanStatus.FILED and plan.start and plan.start <= today:
                plan_transition(user=None, plan=plan, action="start")
                counts["started"] += 1
            if plan.status in (PlanStatus.FILED, PlanStatus.IN_PROGRESS) and plan.deadline and today > plan.deadline:
                plan_transition(user=None, plan=plan, action="mark_overdue", comment="整改期限已过，尚未完成")
                counts["overdue"] += 1
            queue_refresh_plan(plan, today, counts)
    # plans that closed: their open items are done
    closed = QueueEntry.objects.filter(resolved_at=None).exclude(plan__status__in=[s.value for s in OPEN_STATUSES])
    counts["resolved"] += closed.update(resolved_at=timezone.now())
    return counts


# --- signed links -----------------------------------------------------------------------------------

LINK_DAYS = 14


@transaction.atomic
def link_create(*, user: Any, plan: RectificationPlan, purpose: str, days: int = LINK_DAYS) -> tuple[AccessLink, str]:
    """A township sends the enterprise a link: returns the record and the raw token (shown once)."""
    actor = actor_for(user, plan)
    if actor is Actor.ENTERPRISE:
        raise PermissionDenied("填报链接由乡镇（街道）发送")
    if not 1 <= int(days) <= 60:
        raise ValidationError({"days": "有效期应为 1–60 天"})
    token = secrets.token_urlsafe(32)
    link = AccessLink.objects.create(plan=plan, purpose=purpose, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                     expires_at=timezone.now() + timedelta(days=int(days)), created_by=user)
    record_change(obj=link, user=user, before=None, comment="发送填报链接")
    return link, token


def link_resolve(token: str, *, purpose: str | None = None) -> AccessLink | None:
    """The link for a token if it is valid now (not expired, revoked or used up); counts the use."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    link = AccessLink.objects.select_related("plan", "plan__enterprise").filter(token_hash=digest).first()
    if link is None or link.revoked or link.expires_at <= timezone.now() or link.uses >= link.max_uses:
        return None
    if purpose is not None and link.purpose != purpose:
        return None
    AccessLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    link.uses += 1
    record_event(obj=link, user=None, event="link_used", comment=f"使用填报链接（第 {link.uses} 次）")
    return link


@transaction.atomic
def link_revoke(*, user: Any, link: AccessLink) -> AccessLink:
    actor_for(user, link.plan)
    before = snapshot(link)
    link.revoked = True
    link.save(update_fields=["revoked"])
    record_change(obj=link, user=user, before=before, comment="作废填报链接")
    return link

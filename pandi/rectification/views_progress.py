"""Pages of the monthly progress (R10) and the action queue: the enterprise's report for a month with
evidence, one report with the township's confirmation, the evidence files, and each user's queue of
what is due, overdue or missing. Thin: parse → selector or service → render.

An enterprise without an account reports through the township's signed link: the link landing page
puts the AccessLink's id in the session (`pandi_link`); for that plan the pages act as
`services.LinkUser(link)` without a login."""

from __future__ import annotations

import mimetypes
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pandi.core.forms import apply_validation_error
from pandi.domain.rectification import ACTOR_LABELS, REASON_LABELS, Actor, PlanStatus, Reason, month_start

from . import selectors, services
from .context_processors import acts_on_plans
from .forms_progress import EvidenceForm, ReportForm, ReportReviewForm, StepRow, month_value, parse_month
from .models import AccessLink, Evidence, ProgressItem, ProgressReport, QueueEntry, RectificationPlan

REPORTABLE = (PlanStatus.FILED, PlanStatus.IN_PROGRESS, PlanStatus.OVERDUE)
SESSION_LINK = "pandi_link"

# what each reason code means and what to do (shown under the queue)
REASON_HELP = {
    Reason.PLAN_NOT_SUBMITTED: "整改方案仍为草稿或被退回，企业（或乡镇代填）须在整改启动截止日期前完善并提交。",
    Reason.REVIEW_PENDING: "企业已提交整改方案，乡镇（街道）须在提交后 10 日内审核（通过或退回修改）。",
    Reason.FILING_PENDING: "乡镇（街道）已审核通过，区经商局须在 10 日内备案（或退回）。",
    Reason.NOT_STARTED_BY_DEADLINE: "已过行动规定的整改启动截止日期，方案仍未备案实施（R11），乡镇（街道）须督促。",
    Reason.PROGRESS_REPORT_DUE: "本月进展应于次月 5 日前报送，企业可从每月 25 日起报送。",
    Reason.PROGRESS_OVERDUE: "某月进展在次月 5 日前未报送（或乡镇提出疑问后未补充报送）。",
    Reason.BEHIND_SCHEDULE: "按已报送的数量计算，实际进度低于计划进度的 90%，乡镇（街道）须督促。",
    Reason.EVIDENCE_MISSING: "该月进展未附任何佐证材料（现场照片、许可证照、发票、合同等），企业须补充。",
    Reason.COMPLETION_OVERDUE: "整改期限已过，方案尚未确认完成，方案转为“逾期未完成”，作为后续处置（R13）的依据。",
    Reason.PROGRESS_CONFIRM_PENDING: "企业已报送进展，乡镇（街道）须在次月 15 日前确认或提出疑问。",
}
# where the action of a queue item is taken
REPORT_REASONS = {Reason.PROGRESS_OVERDUE.value, Reason.PROGRESS_REPORT_DUE.value}
REPORT_DETAIL_REASONS = {Reason.PROGRESS_CONFIRM_PENDING.value, Reason.EVIDENCE_MISSING.value}
WARNING_TYPES = ("image/jpeg", "image/png")



def _link(request: HttpRequest, plan_id: int | None = None) -> AccessLink | None:
    """The progress link held in the session, if it is still valid (and for `plan_id`, when given)."""
    link_id = request.session.get(SESSION_LINK)
    if not link_id:
        return None
    qs = AccessLink.objects.select_related("plan", "plan__enterprise").filter(
        pk=link_id, purpose="progress", revoked=False, expires_at__gt=timezone.now())
    if plan_id is not None:
        qs = qs.filter(plan_id=plan_id)
    return qs.first()


def _acting_user(request: HttpRequest, plan_id: int | None = None) -> Any:
    """The signed-in user; or, without a login, the enterprise of a valid progress link; else None."""
    if request.user.is_authenticated:
        return request.user
    link = _link(request, plan_id)
    return services.LinkUser(link) if link is not None else None


def _plan_for(user: Any, pk: int) -> RectificationPlan:
    if isinstance(user, services.LinkUser):
        if user.link.plan_id != pk:
            raise Http404("未找到该记录或无权查看")
        return (RectificationPlan.objects.select_related("enterprise", "township", "campaign")
                .prefetch_related("steps").get(pk=pk))
    return selectors.plan_get(user=user, pk=pk)


def _report_for(user: Any, pk: int) -> ProgressReport:
    if isinstance(user, services.LinkUser):
        report = (ProgressReport.objects.select_related("plan", "plan__enterprise", "plan__township")
                  .prefetch_related("items__step", "evidence").filter(pk=pk, plan_id=user.link.plan_id).first())
        if report is None:
            raise Http404("未找到该记录或无权查看")
        return report
    return selectors.report_get(user=user, pk=pk)


def _actor(user: Any, plan: RectificationPlan) -> Actor | None:
    try:
        return services.actor_for(user, plan)
    except PermissionDenied:
        return None


def _crumbs(plan: RectificationPlan, *items: tuple[str, str | None], link: bool = False) -> list:
    if link:
        return []
    crumbs: list[tuple[str, str | None]] = [("首页", reverse("core:home"))]
    plans_url = reverse("rectification:plan_list")
    if plans_url:
        crumbs.append(("整改方案", plans_url))
    crumbs.append((f"{plan.enterprise.name}整改方案", reverse("rectification:plan_detail", args=[plan.pk])))
    return [*crumbs, *items]


# --- the report form ------------------------------------------------------------------------------

def reportable_months(plan: RectificationPlan, today: date) -> list[date]:
    """The plan's months up to the current one with no report yet, or whose report was queried."""
    taken = set(ProgressReport.objects.filter(plan=plan).exclude(status="queried").values_list("month", flat=True))
    first = month_start(plan.start) if plan.start else None
    return [s.month for s in plan.steps.all()
            if s.month <= month_start(today) and s.month not in taken and (first is None or s.month >= first)]


def step_rows(plan: RectificationPlan, month: date) -> list[StepRow]:
    """The step of `month` and the earlier steps not yet finished by the reports so far (other months'
    reports, not queried ones)."""
    done: dict[int, list[Any]] = {}
    items = (ProgressItem.objects.filter(report__plan=plan).exclude(report__status="queried")
             .exclude(report__month=month).values_list("step_id", "floor_area_m2", "investment_wan",
                                                        "milestone_reached"))
    for step_id, area, inv, reached in items:
        acc = done.setdefault(step_id, [Decimal(0), Decimal(0), False])
        acc[0] += area
        acc[1] += inv
        acc[2] = acc[2] or reached
    rows = []
    for s in plan.steps.all():
        if s.month > month:
            continue
        area, inv, reached = done.get(s.pk, [Decimal(0), Decimal(0), False])
        finished = area >= s.floor_area_m2 and inv >= s.investment_wan and (reached or not s.milestone)
        if s.month == month or not finished:
            rows.append(StepRow(step=s, done_area=area, done_inv=inv, done_milestone=reached,
                                current=s.month == month))
    return rows


def _render_create(request: HttpRequest, plan: RectificationPlan, user: Any, *, form: ReportForm | None,
                   months: list[date], month: date | None, status: int = 200) -> HttpResponse:
    link = isinstance(user, services.LinkUser)
    queried = (ProgressReport.objects.filter(plan=plan, month=month, status="queried").first()
               if month is not None else None)
    ctx = {
        "plan": plan, "form": form, "months": months, "month": month, "queried": queried,
        "reportable": plan.status in REPORTABLE, "link_user": user if link else None,
        "starts_plan": plan.status == PlanStatus.FILED,
        "max_mb": services.MAX_EVIDENCE_BYTES // (1024 * 1024),
        "breadcrumbs": _crumbs(plan, ("报送进展", None), link=link),
    }
    if request.htmx and request.htmx.target == "report-items":
        return render(request, "rectification/partials/_report_items.html", ctx, status=status)
    return render(request, "rectification/report_form.html", ctx, status=status)


def report_create(request: HttpRequest, plan_pk: int) -> HttpResponse:
    user = _acting_user(request, plan_pk)
    if user is None:
        return redirect_to_login(request.get_full_path())
    plan = _plan_for(user, plan_pk)
    actor = services.actor_for(user, plan)  # PermissionDenied → 403
    if actor is Actor.DISTRICT:
        raise PermissionDenied("整改进展由企业报送，乡镇（街道）可代为报送")
    today = timezone.localdate()
    months = reportable_months(plan, today) if plan.status in REPORTABLE else []
    source = request.POST if request.method == "POST" else request.GET
    month = parse_month(source.get("month"))
    if month not in months:  # a GET falls back to the earliest month still to report
        month = months[0] if months and request.method != "POST" else None
    rows = step_rows(plan, month) if month else []
    if request.method != "POST":
        form = ReportForm(initial={"month": month_value(month)} if month else None, months=months, rows=rows)
        return _render_create(request, plan, user, form=form if months else None, months=months, month=month)
    if plan.status not in REPORTABLE:
        raise PermissionDenied(f"整改方案状态为“{plan.get_status_display()}”，不能报送进展")
    form = ReportForm(request.POST, request.FILES, months=months, rows=rows)
    if form.is_valid():
        try:
            report = services.report_submit(user=user, plan=plan, month=month, narrative=form.cleaned_data["narrative"],
                                            items=form.items(), uploads=form.uploads)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            warned = sum(1 for ev in report.evidence.all() if ev.warnings)
            text = f"{report.month:%Y年%m月}进展已报送，等待乡镇（街道）确认。"
            if warned:
                text += f"有 {warned} 张照片的拍摄时间或位置需要核实，请查看提示。"
            (messages.warning if warned else messages.success)(request, text)
            return redirect(report.get_absolute_url())
    plan.refresh_from_db()
    return _render_create(request, plan, user, form=form, months=months, month=month, status=400)


# --- one report -------------------------------------------------------------------------------------

def _decorate_evidence(ev: Evidence) -> Evidence:
    ev.is_image = ev.content_type in WARNING_TYPES
    return ev


def _render_detail(request: HttpRequest, report: ProgressReport, user: Any, *,
                   review_form: ReportReviewForm | None = None, evidence_form: EvidenceForm | None = None,
                   status: int = 200) -> HttpResponse:
    plan = report.plan
    actor = _actor(user, plan)
    link = isinstance(user, services.LinkUser)
    items = sorted(report.items.all(), key=lambda i: i.step.month)
    evidence = [_decorate_evidence(ev) for ev in report.evidence.all()]
    progress = selectors.plan_progress(plan)
    can_review = report.status == "submitted" and actor in (Actor.TOWNSHIP, Actor.DISTRICT)
    ctx = {
        "report": report, "plan": plan, "items": items, "evidence": evidence, "progress": progress,
        "warned": sum(1 for ev in evidence if ev.warnings),
        "can_review": can_review, "review_form": review_form or ReportReviewForm(),
        "can_add_evidence": actor in (Actor.ENTERPRISE, Actor.TOWNSHIP),
        "can_report_again": report.status == "queried" and actor in (Actor.ENTERPRISE, Actor.TOWNSHIP),
        "evidence_form": evidence_form or EvidenceForm(),
        "link_user": user if link else None,
        "plan_url": None if link else reverse("rectification:plan_detail", args=[plan.pk]),
        "breadcrumbs": _crumbs(plan, (f"{report.month:%Y年%m月}进展", None), link=link),
    }
    return render(request, "rectification/report_detail.html", ctx, status=status)


def _report_user(request: HttpRequest, pk: int) -> tuple[Any, ProgressReport] | None:
    if request.user.is_authenticated:
        return request.user, selectors.report_get(user=request.user, pk=pk)
    link = _link(request)
    if link is None:
        return None
    user = services.LinkUser(link)
    return user, _report_for(user, pk)


def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = _report_user(request, pk)
    if found is None:
        return redirect_to_login(request.get_full_path())
    user, report = found
    return _render_detail(request, report, user)


@login_required
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(user=request.user, pk=pk)
    if _actor(request.user, report.plan) not in (Actor.TOWNSHIP, Actor.DISTRICT):
        raise PermissionDenied("整改进展由乡镇（街道）确认")
    form = ReportReviewForm(request.POST)
    if form.is_valid():
        try:
            services.report_review(user=request.user, report=report, confirm=form.confirm,
                                   comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if form.confirm:
                messages.success(request, f"已确认{report.month:%Y年%m月}进展。")
            else:
                messages.warning(request, f"已对{report.month:%Y年%m月}进展提出疑问，等待企业补充报送。")
            return redirect(report.get_absolute_url())
    return _render_detail(request, selectors.report_get(user=request.user, pk=pk), request.user,
                          review_form=form, status=400)


@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    found = _report_user(request, pk)
    if found is None:
        return redirect_to_login(reverse("rectification:report_detail", args=[pk]))
    user, report = found
    if _actor(user, report.plan) not in (Actor.ENTERPRISE, Actor.TOWNSHIP):
        raise PermissionDenied("佐证材料由企业（或乡镇代为）上传")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            for upload in form.uploads:
                services.evidence_add(user=user, report=report, upload=upload)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"已上传 {len(form.uploads)} 个佐证材料。")
            return redirect(report.get_absolute_url())
    return _render_detail(request, _report_for(user, pk), user, evidence_form=form, status=400)


def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, only to whoever may see the report; images and PDF inline, the rest as a download."""
    if request.user.is_authenticated:
        ev = Evidence.objects.visible_to(request.user).filter(pk=pk).first()
    else:
        link = _link(request)
        if link is None:
            return redirect_to_login(request.get_full_path())
        ev = Evidence.objects.filter(pk=pk, report__plan_id=link.plan_id).first()
    if ev is None:
        raise Http404("未找到该记录或无权查看")
    inline = ev.content_type.startswith("image/") or ev.content_type == "application/pdf"
    try:
        handle = ev.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件不存在") from None
    response = FileResponse(handle, as_attachment=not inline, filename=ev.original_name,
                            content_type=ev.content_type or mimetypes.guess_type(ev.original_name)[0]
                            or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the queue --------------------------------------------------------------------------------------

def _can_refresh(user: Any) -> bool:
    from pandi.core.scope import access_for
    from pandi.domain.access import Role

    return bool(access_for(user).roles & {Role.ADMIN, Role.DISTRICT_LEAD})


def _action_urls(entries: list[Any], user: Any) -> None:
    """Where each item is acted on: the report form, the month's report, or the plan."""
    pairs = {(q.plan_id, q.month) for q in entries if q.reason in REPORT_DETAIL_REASONS and q.month}
    reports = {}
    if pairs:
        plan_ids = {p for p, _ in pairs}
        months = {m for _, m in pairs}
        reports = {(r.plan_id, r.month): r.pk for r in ProgressReport.objects.filter(
            plan_id__in=plan_ids, month__in=months).only("id", "plan_id", "month")}
    for q in entries:
        q.plan_url = reverse("rectification:plan_detail", args=[q.plan_id])
        q.action_url = None
        if q.reason in REPORT_REASONS and q.month and _actor(user, q.plan) in (Actor.ENTERPRISE, Actor.TOWNSHIP):
            q.action_url = (reverse("rectification:report_create", args=[q.plan_id])
                            + "?" + urlencode({"month": month_value(q.month)}))
            q.action_label = "报送进展"
        elif q.reason in REPORT_DETAIL_REASONS and (q.plan_id, q.month) in reports:
            q.action_url = reverse("rectification:report_detail", args=[reports[(q.plan_id, q.month)]])
            q.action_label = "确认进展" if q.reason == Reason.PROGRESS_CONFIRM_PENDING.value else "补充材料"


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    reason = request.GET.get("reason", "")
    if reason not in {r.value for r in Reason}:
        reason = ""
    qs = selectors.queue_for(user=user) if acts_on_plans(user) else QueueEntry.objects.none()
    all_entries = list(qs)
    counts: dict[str, int] = {}
    for q in all_entries:
        counts[q.reason] = counts.get(q.reason, 0) + 1
    user._pandi_queue_count = len(all_entries)  # the nav badge agrees with the page, without counting again
    entries = [q for q in all_entries if not reason or q.reason == reason]
    for q in entries:
        q.late = q.due < today
        q.who_label = ACTOR_LABELS.get(q.who, q.who)
    _action_urls(entries, user)
    groups = [
        ("已逾期", "danger", [q for q in entries if q.late]),
        ("7 日内到期", "warning", [q for q in entries if not q.late and (q.due - today).days <= 7]),
        ("其他待办", "secondary", [q for q in entries if not q.late and (q.due - today).days > 7]),
    ]
    ctx = {
        "entries": entries, "groups": [g for g in groups if g[2]], "today": today, "reason": reason,
        "filters": [(r.value, REASON_LABELS[r], counts.get(r.value, 0)) for r in Reason if counts.get(r.value)],
        "total": len(all_entries), "late_total": sum(1 for q in all_entries if q.due < today),
        "help": [(REASON_LABELS[r], REASON_HELP[r]) for r in Reason],
        "can_refresh": _can_refresh(user),
        "breadcrumbs": [("首页", reverse("core:home")), ("待办事项", None)],
    }
    if request.htmx and request.htmx.target == "queue-table":
        return render(request, "rectification/partials/_queue_table.html", ctx)
    return render(request, "rectification/queue.html", ctx)


@login_required
@require_POST
def queue_refresh(request: HttpRequest) -> HttpResponse:
    if not _can_refresh(request.user):
        raise PermissionDenied("只有区经商局可以手动更新待办事项")
    counts = services.queue_refresh()
    messages.success(request, f"待办事项已更新：新增 {counts['opened']} 项，办结 {counts['resolved']} 项；"
                              f"转为整改中 {counts['started']} 个方案，转为逾期 {counts['overdue']} 个方案。")
    return redirect("rectification:queue")

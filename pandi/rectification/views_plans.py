"""Pages of the rectification plans (R9–R11): the list, a new plan, one plan with its workflow, the
edit form, and the signed links a township sends to an enterprise without an account (the link opens
a session in which only that plan's form is reachable). Thin: parse → selector or service → render.
Out of scope → 404 (selectors.plan_get), not allowed → 403."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pandi.core.forms import apply_validation_error
from pandi.core.middleware import client_ip
from pandi.core.scope import access_for
from pandi.domain.access import Role
from pandi.domain.rectification import (
    BENEFIT_LABELS,
    MILESTONES,
    TRANSITIONS,
    Actor,
    PlanStatus,
    allowed_actions,
)

from . import selectors, selectors_plans, services
from .choices import PlanStatusChoices
from .forms_plans import (
    LinkForm,
    PlanCreateForm,
    PlanForm,
    StepRow,
    TransitionForm,
    parse_steps,
    rows_for_period,
    rows_from_plan,
)
from .models import AccessLink, PlanEntry, RectificationPlan

PAGE_SIZE = 50
ID_SENTINEL = 987654321
EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)
SESSION_KEY = "pandi_link"
FIELD_LABELS = {"entries": "清单地块", "route": "整改路径", "measures": "整改措施", "approach": "具体做法",
                "start": "整改开始日期", "deadline": "整改期限", "benefits": "预期效益", "steps": "按月实施步骤",
                "exception_reason": "延期理由", **BENEFIT_LABELS}
CONFLICT = "该整改方案已被他人修改，请刷新页面后重试"


# --- small helpers ------------------------------------------------------------------------------


def _url_template(name: str) -> str | None:
    url = reverse(name, args=[ID_SENTINEL])
    return url.replace(str(ID_SENTINEL), "{id}") if url else None


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), ("整改方案", reverse("rectification:plan_list")), *items]


def _actor(user: Any, plan: RectificationPlan) -> Actor | None:
    try:
        return services.actor_for(user, plan)
    except PermissionDenied:
        return None


def _require_editor(user: Any, plan: RectificationPlan) -> Actor:
    """The enterprise writes its plan; the township may write it on the enterprise's behalf."""
    actor = services.actor_for(user, plan)
    if actor is Actor.DISTRICT:
        raise PermissionDenied("整改方案由企业填写，乡镇可代为填报")
    return actor


def can_create_plans(user: Any) -> bool:
    roles = access_for(user).roles
    return bool(roles & {Role.ENTERPRISE, Role.TOWNSHIP})


def problem_list(problems: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, message) pairs of a service ValidationError's dict, for the error summary."""
    out = []
    for key, msgs in problems.items():
        for m in msgs if isinstance(msgs, list) else [msgs]:
            out.append((FIELD_LABELS.get(key, "" if key == "__all__" else key), str(m)))
    return out


def _errors_of(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return problem_list(exc.message_dict)
    return [("", m) for m in exc.messages]


# --- the list -----------------------------------------------------------------------------------

@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    from pandi.accounts.selectors import township_list
    from pandi.land.selectors import page_of

    user = request.user
    townships = list(township_list(user=user).only("id", "name", "code"))
    params = {k: request.GET.get(k, "").strip() for k in ("status", "township", "q")}
    if params["status"] not in PlanStatusChoices.values:
        params["status"] = ""
    if params["township"] and not any(str(t.pk) == params["township"] for t in townships):
        params["township"] = ""
    qs = selectors.plan_list(user=user, status=params["status"] or None, township=params["township"] or None,
                             q=params["q"][:50] or None).order_by("-updated_at", "-id")
    page = page_of(qs, number=request.GET.get("page"), size=PAGE_SIZE)
    plans = page.object_list
    progress = selectors_plans.progress_for_plans(plans)
    numbers: dict[int, list[str]] = {}
    for pid, number in (PlanEntry.objects.filter(plan_id__in=[p.pk for p in plans]).order_by("entry__number")
                        .values_list("plan_id", "entry__number")):
        numbers.setdefault(pid, []).append(number)
    for p in plans:
        p.progress = progress[p.pk]
        p.tone = selectors_plans.STATUS_TONES.get(p.status, "secondary")
        p.numbers = numbers.get(p.pk, [])
    query = urlencode({k: v for k, v in params.items() if v})
    ctx = {
        "page": page, "params": params, "townships": townships, "statuses": PlanStatusChoices.choices,
        "query_prefix": f"{query}&" if query else "",
        "can_create": can_create_plans(user),
        "xlsx_url": reverse("rectification:plans_xlsx"),
        "breadcrumbs": [("首页", reverse("core:home")), ("整改方案", None)],
    }
    if request.htmx and request.htmx.target == "plan-table":
        return render(request, "rectification/partials/_plan_table.html", ctx)
    return render(request, "rectification/plan_list.html", ctx)


# --- a new plan ---------------------------------------------------------------------------------

def _form_context(*, form: PlanForm, rows: list[StepRow], step_errors: list[str] | None = None,
                  problems: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    if not rows:
        rows = [StepRow()]
    return {"form": form, "rows": rows, "milestones": list(MILESTONES.items()), "step_errors": step_errors or [],
            "problems": problems or []}


def _generate(form: PlanForm, rows: list[StepRow]) -> list[StepRow]:
    """“按起止日期生成月份” without JavaScript: one row per month from start to deadline."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return rows_for_period(data.get("start"), data.get("deadline"), rows)


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_create_plans(user):
        raise PermissionDenied("整改方案由企业填写，或由乡镇（街道）代为填报")
    candidates = list(selectors_plans.candidate_entries(user=user))
    by_id = {str(e.pk): e for e in candidates}
    open_plans = selectors_plans.open_plans_of(candidates)
    for e in candidates:
        e.open_plan = open_plans.get(e.pk)
    wanted = request.POST.getlist("entries") if request.method == "POST" else request.GET.getlist("entry")
    if any(w not in by_id for w in wanted):
        raise Http404("未找到该清单地块或无权为其新建整改方案")
    holders = selectors_plans.entry_holders(user=user, entries=candidates)
    is_township = Role.TOWNSHIP in access_for(user).roles
    status = 200
    if request.method == "POST":
        form = PlanCreateForm(request.POST, entries=candidates, holders=holders)
        rows, steps, step_bad = parse_steps(request.POST)
        if "generate" in request.POST:
            rows = _generate(form, rows)
            return _render_form(request, "create", form=form, rows=rows, candidates=candidates,
                                open_plans=open_plans, holders=holders, is_township=is_township, quiet=True)
        if form.is_valid() and not step_bad:
            data = form.content()
            entries = form.chosen_entries()
            own = access_for(user).scope.enterprise_ids
            if form.cleaned_data.get("enterprise"):
                data["enterprise_id"] = int(form.cleaned_data["enterprise"])
            elif not is_township and len(own) == 1:  # an enterprise user plans for its own enterprise
                data["enterprise_id"] = next(iter(own))
            data.pop("entries", None)
            data.pop("enterprise", None)
            try:
                plan = services.plan_create(user=user, entries=entries, data=data, steps=steps)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "整改方案草稿已保存。请完善后提交乡镇（街道）审核。")
                return redirect(plan.get_absolute_url())
        status = 400
    else:
        initial = {"entries": wanted or ([str(candidates[0].pk)] if len(candidates) == 1 else [])}
        if len(holders) == 1:
            initial["enterprise"] = str(holders[0].pk)
        form = PlanCreateForm(initial=initial, entries=candidates, holders=holders)
        rows = []
    return _render_form(request, "create", form=form, rows=rows, candidates=candidates, open_plans=open_plans,
                        holders=holders, is_township=is_township, status=status)


def _render_form(request: HttpRequest, mode: str, *, form: PlanForm, rows: list[StepRow], plan: Any = None,
                 status: int = 200, quiet: bool = False, link: Any = None, **extra: Any) -> HttpResponse:
    step_errors = [str(m) for m in form.errors.get("steps", [])] if form.is_bound and not quiet else []
    ctx = _form_context(form=form, rows=rows, step_errors=step_errors)
    if quiet:  # the months were generated: nothing was saved, nothing to complain about
        form._errors = {}
        for r in rows:
            r.errors = []
    ctx.update(extra)
    ctx.update({"mode": mode, "plan": plan, "link": link})
    if plan is not None:
        ctx["campaign"] = plan.campaign
        ctx["tone"] = selectors_plans.STATUS_TONES.get(plan.status, "secondary")
    else:
        from pandi.screening.selectors import current_campaign

        ctx["campaign"] = current_campaign()
    if plan is not None and plan.pk:
        ctx["completeness"] = problem_list(services.plan_problems_for(plan))
    if mode == "create":
        ctx["breadcrumbs"] = _crumbs(("新建整改方案", None))
        ctx["action_url"] = reverse("rectification:plan_create")
    elif mode == "edit":
        ctx["breadcrumbs"] = _crumbs((str(plan), plan.get_absolute_url()), ("修改", None))
        ctx["action_url"] = reverse("rectification:plan_edit", args=[plan.pk])
    else:
        ctx["action_url"] = reverse("rectification:link_plan")
    template = "rectification/link_plan.html" if mode == "link" else "rectification/plan_form.html"
    return render(request, template, ctx, status=status)


# --- one plan -----------------------------------------------------------------------------------

def _action_buttons(plan: RectificationPlan, actor: Actor | None) -> list[dict[str, Any]]:
    if actor is None:
        return []
    tones = {"approve": "success", "file": "success", "return": "warning", "refuse": "danger",
             "withdraw": "outline-secondary", "submit": "primary", "start": "primary", "complete": "success",
             "amend": "outline-primary"}
    return [{"action": a, "label": TRANSITIONS[a].label, "needs_comment": TRANSITIONS[a].needs_comment,
             "tone": tones.get(a, "outline-secondary")} for a in allowed_actions(plan.status, actor)]


def _render_detail(request: HttpRequest, plan: RectificationPlan, *, errors: list[tuple[str, str]] | None = None,
                   posted: dict[str, str] | None = None, link_form: LinkForm | None = None,
                   status: int = 200) -> HttpResponse:
    from pandi.land.selectors import visible_parcels
    from pandi.screening.selectors import is_internal

    user = request.user
    actor = _actor(user, plan)
    progress = selectors_plans.progress_for_plans([plan])[plan.pk]
    entries = [pe.entry for pe in plan.plan_entries.all()]
    parcels = list(visible_parcels(user).filter(inventory_entries__in=[e.pk for e in entries])
                   .distinct().only("id", "code", "name").order_by("code"))
    editable = plan.status in EDITABLE
    report_url = _url_template("rectification:report_detail")
    reports = list(plan.reports.all())
    for r in reports:
        r.url = report_url.replace("{id}", str(r.pk)) if report_url else None
    ctx = {
        "plan": plan, "tone": selectors_plans.STATUS_TONES.get(plan.status, "secondary"),
        "progress": progress, "steps": selectors_plans.step_rows(plan), "entries": entries, "parcels": parcels,
        "entry_links": is_internal(user),
        # the documents (限期整改告知书, the plan as .docx/PDF) are for internal users
        "documents": [(label, url) for label, url in (
            ("限期整改告知书", reverse("rectification:plan_notice", kwargs={"pk": plan.pk, "fmt": "docx"})),
            ("方案 Word", reverse("rectification:plan_document", kwargs={"pk": plan.pk, "fmt": "docx"})),
            ("方案 PDF", reverse("rectification:plan_document", kwargs={"pk": plan.pk, "fmt": "pdf"})),
        ) if url] if is_internal(user) else [],
        "completeness": problem_list(services.plan_problems_for(plan)) if editable else [],
        "events": list(plan.events.select_related(None).all()),
        "versions": list(plan.versions.all()),
        "queue": list(plan.queue_entries.filter(resolved_at=None).order_by("due", "id")),
        "actions": _action_buttons(plan, actor), "actor": actor,
        "can_edit": editable and actor in (Actor.ENTERPRISE, Actor.TOWNSHIP),
        "can_link": actor in (Actor.TOWNSHIP, Actor.DISTRICT),
        "links": list(plan.access_links.all()) if actor in (Actor.TOWNSHIP, Actor.DISTRICT) else [],
        "link_form": link_form or LinkForm(),
        "reports": reports,
        "report_create_url": (reverse("rectification:report_create", args=[plan.pk])
                              if plan.status in ("filed", "in_progress", "overdue")
                              and actor in (Actor.ENTERPRISE, Actor.TOWNSHIP) else None),
        "errors": errors or [], "posted": posted or {},
        "benefits": [(label, getattr(plan, key)) for key, label in BENEFIT_LABELS.items()],
        "milestones": MILESTONES,
        "breadcrumbs": _crumbs((str(plan), None)),
    }
    return render(request, "rectification/plan_detail.html", ctx, status=status)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.plan_get(user=request.user, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    _require_editor(request.user, plan)
    if plan.status not in EDITABLE:
        messages.warning(request, f"整改方案状态为“{plan.get_status_display()}”，不能修改；如需调整请申请变更。")
        return redirect(plan.get_absolute_url())
    return _plan_form_page(request, plan, user=request.user, mode="edit")


def _plan_form_page(request: HttpRequest, plan: RectificationPlan, *, user: Any, mode: str,
                    link: AccessLink | None = None) -> HttpResponse:
    """The edit form of a draft or returned plan (signed-in editor or a link session): save, or save
    and submit it for review."""
    if request.method != "POST":
        initial = {f: getattr(plan, f) for f in services.CONTENT_FIELDS}
        initial["lock_version"] = plan.lock_version
        return _render_form(request, mode, form=PlanForm(initial=initial), rows=rows_from_plan(plan), plan=plan,
                            link=link)
    form = PlanForm(request.POST)
    rows, steps, step_bad = parse_steps(request.POST)
    if "generate" in request.POST:
        rows = _generate(form, rows)
        return _render_form(request, mode, form=PlanForm(request.POST), rows=rows, plan=plan, link=link, quiet=True)
    if form.is_valid() and not step_bad:
        try:
            plan = services.plan_update(user=user, plan=plan, data=form.content(), steps=steps,
                                        lock_version=form.cleaned_data.get("lock_version"))
        except ValidationError as exc:
            apply_validation_error(form, exc)
            plan = RectificationPlan.objects.select_related("campaign", "enterprise", "township").get(pk=plan.pk)
        else:
            if "submit" not in request.POST:
                messages.success(request, "整改方案已保存。")
                return redirect(plan.get_absolute_url() if mode == "edit" else reverse("rectification:link_plan"))
            try:
                services.plan_transition(user=user, plan=plan, action="submit", lock_version=plan.lock_version)
            except ValidationError as exc:
                plan = RectificationPlan.objects.select_related("campaign", "enterprise", "township").get(pk=plan.pk)
                fresh = PlanForm(request.POST)
                fresh.is_valid()
                data = dict(fresh.data.items())
                data["lock_version"] = str(plan.lock_version)
                fresh = PlanForm(data)
                fresh.is_valid()
                messages.warning(request, "整改方案已保存，但尚不能提交审核：")
                return _render_form(request, mode, form=fresh, rows=rows, plan=plan, link=link,
                                    submit_errors=_errors_of(exc), status=400)
            messages.success(request, "整改方案已保存并提交乡镇（街道）审核。")
            return redirect(plan.get_absolute_url() if mode == "edit" else reverse("rectification:link_plan"))
    return _render_form(request, mode, form=form, rows=rows, plan=plan, link=link, status=400)


@login_required
@require_POST
def plan_transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    form = TransitionForm(request.POST)
    actor = services.actor_for(user, plan)
    action = request.POST.get("action", "")
    t = TRANSITIONS.get(action)
    if t is not None and actor not in t.actors:
        raise PermissionDenied(f"您不能对此整改方案执行“{t.label}”")
    if not form.is_valid() or t is None or actor is Actor.SYSTEM:
        errors = [("", m) for msgs in form.errors.values() for m in msgs] or [("", "未知操作")]
        return _render_detail(request, plan, errors=errors, posted=request.POST.dict(), status=400)
    try:
        services.plan_transition(user=user, plan=plan, action=action, comment=form.cleaned_data["comment"],
                                 lock_version=form.cleaned_data.get("lock_version"))
    except ValidationError as exc:
        plan = selectors.plan_get(user=user, pk=pk)
        return _render_detail(request, plan, errors=_errors_of(exc), posted=request.POST.dict(), status=400)
    messages.success(request, f"已{t.label}。")
    return redirect(plan.get_absolute_url())


# --- signed links -------------------------------------------------------------------------------

@login_required
@require_POST
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    if services.actor_for(user, plan) is Actor.ENTERPRISE:
        raise PermissionDenied("填报链接由乡镇（街道）发送")
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link, token = services.link_create(user=user, plan=plan, purpose=form.cleaned_data["purpose"],
                                               days=form.cleaned_data["days"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            url = request.build_absolute_uri(reverse("rectification:link_open", args=[token]))
            response = render(request, "rectification/link_created.html", {
                "plan": plan, "link": link, "url": url,
                "breadcrumbs": _crumbs((str(plan), plan.get_absolute_url()), ("填报链接", None)),
            })
            response["Cache-Control"] = "no-store"
            return response
    errors = [("", m) for msgs in form.errors.values() for m in msgs]
    return _render_detail(request, plan, errors=errors, link_form=form, status=400)


def _rate_limited(request: HttpRequest) -> bool:
    """Fixed window per client address: at most PANDI_LINK_RATE requests per PANDI_LINK_RATE_WINDOW s."""
    limit = getattr(settings, "PANDI_LINK_RATE", 30)
    window = getattr(settings, "PANDI_LINK_RATE_WINDOW", 600)
    key = f"pandi:link-rate:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > limit


def _link_problem(request: HttpRequest, *, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "rectification/link_invalid.html", {"title": title, "text": text}, status=status)


@never_cache
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """A township's signed link: check it (rate-limited, every use logged by link_resolve), open a link
    session for its plan and say what the visitor can do."""
    if _rate_limited(request):
        response = _link_problem(request, status=429, title="访问过于频繁",
                                 text="您的访问过于频繁，请 10 分钟后再试。")
        response["Retry-After"] = str(getattr(settings, "PANDI_LINK_RATE_WINDOW", 600))
        return response
    link = services.link_resolve(token)
    if link is None:
        import hashlib

        known = len(token) <= 100 and AccessLink.objects.filter(
            token_hash=hashlib.sha256(token.encode()).hexdigest()).exists()
        request.session.pop(SESSION_KEY, None)
        if known:
            return _link_problem(request, status=410, title="链接已失效",
                                 text="此填报链接已过期、已作废或使用次数已满。请联系乡镇（街道）重新发送。")
        return _link_problem(request, status=404, title="链接无效",
                             text="此填报链接无效，请核对链接是否完整，或联系乡镇（街道）重新发送。")
    request.session.cycle_key()  # a fresh session id for the link session (no fixation)
    request.session[SESSION_KEY] = link.pk
    if link.purpose == "plan":
        target = reverse("rectification:link_plan")
    else:
        target = reverse("rectification:report_create", args=[link.plan_id])
    return render(request, "rectification/link_welcome.html", {"link": link, "plan": link.plan, "target": target})


def _session_link(request: HttpRequest) -> AccessLink | bool | None:
    """The link of this session if it is still valid; False when the session had one that is no longer
    valid; None when there is none."""
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    link = (AccessLink.objects.select_related("plan", "plan__enterprise", "plan__township", "plan__campaign")
            .filter(pk=pk).first())
    if link is None or link.revoked or link.expires_at <= timezone.now():
        request.session.pop(SESSION_KEY, None)
        return False
    return link


@never_cache
@require_http_methods(["GET", "POST"])
def link_plan(request: HttpRequest) -> HttpResponse:
    """The plan form in a link session: the enterprise fills in its draft and submits it. Nothing else
    is reachable with the link."""
    link = _session_link(request)
    if link is False:
        return _link_problem(request, status=410, title="链接已失效",
                             text="此填报链接已过期或已作废。请联系乡镇（街道）重新发送。")
    if link is None or link.purpose != "plan":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404("请通过乡镇（街道）发送的填报链接打开此页面")
    # the link fixes the plan: no user scope to read it through
    plan = (RectificationPlan.objects.select_related("enterprise", "township", "campaign")
            .prefetch_related("steps", "plan_entries__entry").get(pk=link.plan_id))
    luser = services.LinkUser(link)
    if plan.status not in EDITABLE:
        if request.method == "POST":
            messages.warning(request, f"整改方案状态为“{plan.get_status_display()}”，不能修改。")
        return render(request, "rectification/link_plan.html", {
            "plan": plan, "link": link, "readonly": True,
            "tone": selectors_plans.STATUS_TONES.get(plan.status, "secondary")})
    return _plan_form_page(request, plan, user=luser, mode="link", link=link)

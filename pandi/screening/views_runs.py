"""Pages of the screening runs (R6, R7): the saved runs, starting a run, a run's page with its
status counts, per-township table and result tabs, generating the lists from a run, comparing two
runs and downloading a run as JSON. Thin: parse → selector or service → render.

Enterprise users never see any of it (404); township officers see every run but only their
township's results, blocks and counts."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pandi.core.forms import apply_validation_error
from pandi.core.permissions import has_perm, require
from pandi.domain.access import Perm

from . import selectors, selectors_runs, services
from .choices import STATUS_SHORT, ListKind, ScreeningStatus
from .forms_runs import RunForm
from .models import ScreeningRun

PAGE_SIZE = 50
RUNS_PAGE_SIZE = 20
COMPARE_LIMIT = 500
TABS = (("district", "区级清单"), ("all", "全部宗地"), ("blocks", "连片空闲地块"))
PARAM_LABELS = (("district_min_mu", "区级清单门槛", "亩"), ("township_min_mu", "乡镇连片门槛", "亩"),
                ("contiguity_tolerance_m", "连片容差", "米"), ("include_stalled", "区级清单含中止开发（待核定）", ""),
                ("min_width_m", "最小可建宽度", "米"))


# --- helpers ----------------------------------------------------------------------------------



def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), ("排摸筛查", reverse("screening:run_list")), *items]


def _run_label(run: ScreeningRun) -> str:
    return f"#{run.pk} 截至 {run.as_of:%Y-%m-%d}"


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parameter_rows(parameters: dict[str, Any]) -> list[tuple[str, str]]:
    """A run's parameters as (label, value) for the page."""
    rows = []
    for key, label, unit in PARAM_LABELS:
        value = parameters.get(key)
        if key == "include_stalled":
            shown = "是" if value else "否"
        elif value in (None, "", 0):
            shown = "不限" if key == "min_width_m" else "—"
        else:
            shown = f"{_plain(value)} {unit}".strip()
        rows.append((label, shown))
    return rows


def _decorate(rows: Any) -> Any:
    """Short label and badge colour of each result's status, for the table."""
    for r in rows:
        r.status_short = STATUS_SHORT.get(r.status, r.status)
        r.status_tone = selectors_runs.STATUS_TONES.get(r.status, "secondary")
    return rows


def _status_label(value: str) -> dict[str, str]:
    try:
        full = str(ScreeningStatus(value).label)
    except ValueError:
        full = value
    return {"value": value, "short": STATUS_SHORT.get(value, value), "label": full,
            "tone": selectors_runs.STATUS_TONES.get(value, "secondary")}


# --- the list of runs ----------------------------------------------------------------------------

@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    a, b = request.GET.get("a", "").strip(), request.GET.get("b", "").strip()
    if a or b:
        target = _compare_target(request, a, b)
        if target:
            return redirect(target)
    page = Paginator(selectors.run_list(user=request.user), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"run": r, "counts": selectors.run_counts_for(user=request.user, run=r)} for r in page]
    return render(request, "screening/run_list.html", {
        "page": page, "rows": rows, "query_prefix": "",
        "can_run": has_perm(request.user, Perm.RUN_SCREENING),
        "choices": selectors_runs.run_choices(user=request.user) if page.paginator.count > 1 else [],
        "picked": {"a": a, "b": b},
        "breadcrumbs": [("首页", reverse("core:home")), ("排摸筛查", None)],
    })


def _compare_target(request: HttpRequest, a: str, b: str) -> str | None:
    """The compare page for two runs picked on the list (the earlier 判断日期 first), or None with a
    message saying what is wrong."""
    if not (a.isdigit() and b.isdigit()):
        messages.error(request, "请选择要比较的两次筛查")
        return None
    if a == b:
        messages.error(request, "请选择两次不同的筛查进行比较")
        return None
    runs = {r.pk: r for r in selectors.run_list(user=request.user).filter(pk__in=[int(a), int(b)])
            .select_related(None).only("pk", "as_of", "created_at")}
    if len(runs) != 2:
        messages.error(request, "找不到所选的筛查，请重新选择")
        return None
    first, second = sorted(runs.values(), key=lambda r: (r.as_of, r.created_at, r.pk))
    return reverse("screening:run_compare", args=[first.pk]) + "?" + urlencode({"with": second.pk})


# --- starting a run ------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def run_create(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    require(request.user, Perm.RUN_SCREENING)
    campaign = selectors.current_campaign()
    form = RunForm(request.POST or None, campaign=campaign, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            _outcome, run = services.run_execute(user=request.user, as_of=form.cleaned_data["as_of"],
                                                values=form.values(), save=True, source="web",
                                                note=form.cleaned_data["note"].strip())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            assert run is not None
            c = run.counts
            messages.success(request, (
                f"筛查完成：截至 {run.as_of:%Y-%m-%d} 共判断 {c.get('parcels', 0)} 宗地，"
                f"区级清单 {c.get('district_list', 0)} 宗，"
                f"连片空闲地块 {c.get('blocks', 0)} 处，用时 {run.duration_s:.2f} 秒。"))
            return redirect(run.get_absolute_url())
    return render(request, "screening/run_create.html", {
        "form": form, "campaign": campaign,
        "breadcrumbs": _crumbs(("发起筛查", None)),
    }, status=400 if form.is_bound and form.errors else 200)


# --- a run's page --------------------------------------------------------------------------------

def _tab_context(request: HttpRequest, run: ScreeningRun) -> dict[str, Any]:
    tab = request.GET.get("tab", "district")
    if tab not in dict(TABS):
        tab = "district"
    ctx: dict[str, Any] = {"tab": tab, "tabs": TABS}
    base = reverse("screening:run_detail", args=[run.pk])
    ctx["tab_urls"] = [(key, label, f"{base}?tab={key}") for key, label in TABS]
    if tab == "blocks":
        qs = selectors_runs.run_block_rows(user=request.user, run=run)
        ctx["page"] = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        ctx["query_prefix"] = "tab=blocks&"
        return ctx
    params = {"tab": tab}
    if tab == "all":
        params.update({k: request.GET.get(k, "").strip() for k in ("status", "township", "q")})
        if params["status"] not in ScreeningStatus.values:
            params["status"] = ""
        if not params["township"].isdigit():
            params["township"] = ""
        qs = selectors_runs.run_result_rows(user=request.user, run=run, status=params["status"] or None,
                                            township=params["township"] or None, q=params["q"] or None)
    else:
        qs = selectors_runs.run_result_rows(user=request.user, run=run, district_list=True)
    page = selectors_runs.result_page(qs, number=request.GET.get("page"), size=PAGE_SIZE)
    _decorate(page.object_list)
    query = urlencode({k: v for k, v in params.items() if v})
    ctx.update({"page": page, "params": params, "query_prefix": f"{query}&"})
    return ctx


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.internal_or_404(request.user)
    run = selectors.run_get(user=request.user, pk=pk)
    ctx = _tab_context(request, run)
    ctx["run"] = run
    if request.htmx:
        if ctx["tab"] == "all":
            ctx["townships"] = selectors_runs.run_townships(user=request.user, run=run)
        ctx["statuses"] = selectors_runs.status_meta()
        return render(request, "screening/partials/_run_tab.html", ctx)
    counts = selectors.run_counts_for(user=request.user, run=run)
    by_status = counts.get("by_status") or {}
    statuses = [{**s, "count": by_status.get(s["value"], 0)} for s in selectors_runs.status_meta()]
    townships = selectors_runs.run_townships(user=request.user, run=run, counts=counts)
    ctx.update({
        "counts": counts, "statuses": statuses, "townships": townships,
        "township_total": {
            "parcels": counts.get("parcels", 0),
            "overdue": by_status.get("overdue_not_started", 0), "idle": by_status.get("idle_not_started", 0),
            "stalled": by_status.get("stalled_candidate", 0),
            "district_list": counts.get("district_list", 0), "district_list_m2": counts.get("district_list_m2", 0),
            "blocks": counts.get("blocks", 0), "blocks_m2": counts.get("blocks_m2", 0)},
        "district_wide": selectors.sees_district(request.user),
        "parameters": parameter_rows(run.parameters or {}),
        "can_propose": has_perm(request.user, Perm.REVIEW_LISTS),
        "list_index_url": reverse("screening:list_index"),
        "breadcrumbs": _crumbs((f"筛查 {_run_label(run)}", None)),
    })
    return render(request, "screening/run_detail.html", ctx)


@login_required
@require_POST
def run_propose(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.internal_or_404(request.user)
    run = selectors.run_get(user=request.user, pk=pk)
    require(request.user, Perm.REVIEW_LISTS)
    try:
        lists = services.lists_propose(run=run, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        district = sum(1 for lst in lists if lst.kind == ListKind.DISTRICT)
        townships = len(lists) - district
        if lists:
            messages.success(request, (
                f"已由筛查 {_run_label(run)} 生成或更新 {len(lists)} 份清单"
                f"（区级清单 {district} 份，乡镇清单 {townships} 份）。"
                "已报送或已确认的清单保持不变；乡镇补充和剔除的条目予以保留。"))
        else:
            messages.info(request, "所有清单均已报送或已确认，没有清单被更新。")
    return redirect(run.get_absolute_url())


# --- comparing two runs --------------------------------------------------------------------------

@login_required
@require_GET
def run_compare(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.internal_or_404(request.user)
    run = selectors.run_get(user=request.user, pk=pk)
    raw = request.GET.get("with", "").strip()
    other, problem = None, ""
    if raw:
        other = selectors.run_list(user=request.user).filter(pk=int(raw)).first() if raw.isdigit() else None
        if other is None:
            problem = f"找不到筛查“{raw}”，请重新选择"
        elif other.pk == run.pk:
            other, problem = None, "请选择另一次筛查进行比较"
    crumbs = _crumbs((f"筛查 {_run_label(run)}", run.get_absolute_url()), ("比较", None))
    if other is None:
        choices = [r for r in selectors_runs.run_choices(user=request.user) if r.pk != run.pk]
        return render(request, "screening/run_compare.html", {
            "run": run, "other": None, "problem": problem, "choices": choices, "breadcrumbs": crumbs,
        })
    diff = selectors.run_diff(user=request.user, run=run, other=other, limit=COMPARE_LIMIT)
    for row in diff["status_changed"]:
        row["from_status"], row["to_status"] = _status_label(row["from"]), _status_label(row["to"])
    parcel_urls = _parcel_links(request.user, run, other, diff)
    for key in ("district_added", "district_removed", "status_changed"):
        for row in diff[key]:
            row["url"] = parcel_urls.get(row["parcel_code"])
    return render(request, "screening/run_compare.html", {
        "run": run, "other": other, "diff": diff, "limit": COMPARE_LIMIT,
        "swap_url": reverse("screening:run_compare", args=[other.pk]) + "?" + urlencode({"with": run.pk}),
        "parameters": list(zip(parameter_rows(run.parameters or {}), parameter_rows(other.parameters or {}),
                               strict=True)),
        "breadcrumbs": crumbs,
    })


def _parcel_links(user: Any, run: ScreeningRun, other: ScreeningRun, diff: dict[str, Any]) -> dict[str, str]:
    """Parcel page links for the codes shown (one query)."""
    from .models import ScreeningResult

    codes = {row["parcel_code"] for key in ("district_added", "district_removed", "status_changed")
             for row in diff[key]}
    if not codes:
        return {}
    pairs = (ScreeningResult.objects.visible_to(user).filter(run__in=[run, other], parcel_code__in=sorted(codes))
             .values_list("parcel_code", "parcel_id").distinct())
    return {code: reverse("land:parcel_detail", args=[pid]) for code, pid in pairs}


# --- the download --------------------------------------------------------------------------------

@login_required
@require_GET
def run_json(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.internal_or_404(request.user)
    run = selectors.run_get(user=request.user, pk=pk)
    data = selectors_runs.run_json(user=request.user, run=run)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _json_name(run.as_of, run.pk))
    return response


def _json_name(as_of: date, pk: int) -> str:
    return f"筛查-{as_of:%Y-%m-%d}-{pk}.json"

"""Pages of the lists (R6, R7): the campaign's lists with where each stands, one list with its
entries (剔除, 恢复列入, 备注, 补充宗地, 补充地块, 报送, 确认/退回), one entry, and the official
inventory (清单). Thin: parse → selector or service → render. Enterprise users get 404 everywhere."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pandi.core.forms import apply_validation_error
from pandi.core.permissions import has_perm
from pandi.core.scope import access_for
from pandi.domain.access import Perm
from pandi.domain.lists import ACCEPTED, DRAFT, RETURNED, SUBMITTED

from . import selectors, services
from .choices import STATUS_SHORT, EntryKind, ExclusionReason, ListKind
from .forms_lists import AddBlockForm, AddParcelForm, ExcludeForm, RemarksForm, ReviewForm, SubmitForm
from .models import InventoryEntry, InventoryList, WorkPlanItem

ENTRY_PAGE_SIZE = 100
INVENTORY_PAGE_SIZE = 50
ID_SENTINEL = 987654321
LIST_TONES = {DRAFT: "secondary", SUBMITTED: "primary", RETURNED: "warning", ACCEPTED: "success"}


# --- small helpers ------------------------------------------------------------------------------



def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), ("清单", reverse("screening:list_index")), *items]


def can_edit_list(user: Any, lst: InventoryList) -> bool:
    """Who may change the entries of a list (while it is editable): the district lead, or the
    officer of the list's own township."""
    if has_perm(user, Perm.REVIEW_LISTS):
        return True
    return (lst.kind == ListKind.TOWNSHIP and has_perm(user, Perm.SUBMIT_LIST)
            and access_for(user).scope.covers_township(lst.township_id))


def can_submit_list(user: Any, lst: InventoryList) -> bool:
    return lst.kind == ListKind.TOWNSHIP and can_edit_list(user, lst)


def _require_edit(user: Any, lst: InventoryList) -> None:
    if not can_edit_list(user, lst):
        raise PermissionDenied("您没有修改此清单的权限")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def _decorate_list(lst: InventoryList) -> InventoryList:
    lst.tone = LIST_TONES.get(lst.status, "secondary")
    return lst


def _decorate_entry(entry: InventoryEntry) -> InventoryEntry:
    entry.status_short = STATUS_SHORT.get(entry.status, "")
    return entry


def _entry_url_template() -> str:
    return reverse("screening:entry_detail", args=[ID_SENTINEL]).replace(str(ID_SENTINEL), "{id}")


def _simplified(geometry: Any) -> Any:
    from pandi.domain.geo import rounded, simplified

    try:
        return rounded(simplified(geometry, 5e-5), 6)
    except Exception:  # a malformed boundary is drawn as stored
        return geometry


def _boundaries(user: Any, lst: InventoryList) -> dict[str, Any]:
    """The township boundary of a township list; every visible township's for the district list."""
    if lst.kind == ListKind.TOWNSHIP:
        t = lst.township
        features = [{"type": "Feature", "geometry": _simplified(t.boundary_geojson),
                     "properties": {"name": t.name}}] if t and t.boundary_geojson else []
        return {"type": "FeatureCollection", "features": features}
    from pandi.land.selectors import map_townships

    return map_townships(user=user)


def _entry_feature(e: dict[str, Any]) -> dict[str, Any]:
    from pandi.domain.units import m2_to_mu, round2

    return {"type": "Feature", "geometry": e["geometry"], "properties": {
        "id": e["id"], "label": e["label"], "number": e["number"], "included": e["included"],
        "source": e["source"], "area_mu": float(round2(m2_to_mu(e["area_m2"]))) if e["area_m2"] is not None else None,
    }}


def _map_config(*, user: Any, lst: InventoryList, entries: list[dict[str, Any]], draw: bool) -> dict[str, Any]:
    from pandi.land.views_pages import basemap_config

    return {
        "basemap": basemap_config(),
        "boundary": _boundaries(user, lst),
        "entries": {"type": "FeatureCollection", "features": [_entry_feature(e) for e in entries if e["geometry"]]},
        "entryUrl": _entry_url_template(),
        "draw": {"input": "id_geometry", "area": "drawblock-area"} if draw else None,
    }


# --- the campaign's lists -----------------------------------------------------------------------

@login_required
def list_index(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    campaign = selectors.current_campaign()
    lists = [_decorate_list(lst) for lst in selectors.list_overview(user=request.user, campaign=campaign)]
    district = [lst for lst in lists if lst.kind == ListKind.DISTRICT]
    townships = [lst for lst in lists if lst.kind == ListKind.TOWNSHIP]
    totals = {
        "lists": len(townships),
        "entries": sum(lst.n_entries for lst in townships),
        "area": sum((lst.area or 0) for lst in townships),
        "excluded": sum(lst.n_excluded for lst in townships),
        "added": sum(lst.n_added for lst in townships),
        "submitted": sum(1 for lst in townships if lst.status in (SUBMITTED, ACCEPTED)),
        "accepted": sum(1 for lst in townships if lst.status == ACCEPTED),
        "returned": sum(1 for lst in townships if lst.status == RETURNED),
        "late": sum(1 for lst in townships if lst.late),
    }
    return render(request, "screening/list_index.html", {
        "campaign": campaign, "district_lists": district, "township_lists": townships, "totals": totals,
        "sees_district": selectors.sees_district(request.user),
        "can_review": has_perm(request.user, Perm.REVIEW_LISTS),
        "runs_url": reverse("screening:run_list"),
        "inventory_url": reverse("screening:inventory"),
        "breadcrumbs": [("首页", reverse("core:home")), ("清单", None)],
    })


# --- one list -----------------------------------------------------------------------------------

def _list_totals(lst: InventoryList) -> dict[str, Any]:
    totals = InventoryEntry.objects.filter(inventory_list=lst).aggregate(
        entries=Count("id", filter=Q(included=True)), excluded=Count("id", filter=Q(included=False)),
        added=Count("id", filter=Q(source="added")), area=Sum("area_m2", filter=Q(included=True)),
        numbered=Count("id", filter=~Q(number="")))
    totals["area"] = totals["area"] or 0
    return totals


def _render_list(request: HttpRequest, lst: InventoryList, *, forms: dict[str, Any] | None = None,
                 status: int = 200) -> HttpResponse:
    from pandi.land.selectors import page_of

    user = request.user
    _decorate_list(lst)
    editable = lst.editable and can_edit_list(user, lst)
    qs = selectors.list_entries(user=user, inventory_list=lst)
    totals = _list_totals(lst)
    page = page_of(qs, number=request.GET.get("page"), size=ENTRY_PAGE_SIZE,
                   count=(totals["entries"] or 0) + (totals["excluded"] or 0))
    for e in page.object_list:
        _decorate_entry(e)
    features = list(InventoryEntry.objects.filter(inventory_list=lst).order_by()
                    .values("id", "label", "number", "included", "source", "area_m2", "geometry"))
    can_review = has_perm(user, Perm.REVIEW_LISTS)
    forms = forms or {}
    today = timezone.localdate()
    ctx = {
        "lst": lst, "page": page, "totals": totals, "editable": editable,
        "can_submit": lst.editable and can_submit_list(user, lst),
        "can_review": can_review and lst.kind == ListKind.TOWNSHIP and lst.status == SUBMITTED,
        "can_adopt": can_review and lst.kind == ListKind.DISTRICT and lst.status in (DRAFT, RETURNED),
        "add_parcel_form": forms.get("add_parcel") or AddParcelForm(),
        "add_block_form": forms.get("add_block") or AddBlockForm(),
        "submit_form": forms.get("submit") or SubmitForm(),
        "review_form": forms.get("review") or ReviewForm(),
        "open_form": next(iter(forms), ""),
        "form_errors": [str(m) for f in forms.values() for errors in f.errors.values() for m in errors],
        "reasons": ExclusionReason.choices,
        "history": selectors.list_history(lst),
        "days_to_deadline": (lst.deadline - today).days if lst.deadline else None,
        "days_late": max((today - lst.deadline).days, 0) if lst.deadline else 0,
        "map_config": _map_config(user=user, lst=lst, entries=features,
                                  draw=editable and lst.kind == ListKind.TOWNSHIP),
        "back": request.get_full_path() if request.method == "GET" else lst.get_absolute_url(),
        "run_url": reverse("screening:run_detail", args=[lst.run_id]) if lst.run_id else None,
        "query_prefix": "",
        "breadcrumbs": _crumbs((str(lst), None)),
    }
    return render(request, "screening/list_detail.html", ctx, status=status)


@login_required
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.internal_or_404(request.user)
    return _render_list(request, selectors.list_get(user=request.user, pk=pk))


def _list_for_post(request: HttpRequest, pk: int) -> InventoryList:
    selectors.internal_or_404(request.user)
    return selectors.list_get(user=request.user, pk=pk)


@login_required
@require_POST
def list_submit(request: HttpRequest, pk: int) -> HttpResponse:
    lst = _list_for_post(request, pk)
    if not can_submit_list(request.user, lst) and lst.kind == ListKind.TOWNSHIP:
        raise PermissionDenied("您没有报送此清单的权限")
    form = SubmitForm(request.POST)
    if form.is_valid():
        try:
            services.list_submit(user=request.user, inventory_list=lst, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{lst}已报送区经商局。")
            return redirect(lst.get_absolute_url())
    return _render_list(request, selectors.list_get(user=request.user, pk=pk), forms={"submit": form}, status=400)


@login_required
@require_POST
def list_review(request: HttpRequest, pk: int) -> HttpResponse:
    lst = _list_for_post(request, pk)
    if not has_perm(request.user, Perm.REVIEW_LISTS):
        raise PermissionDenied("只有区经商局可以审核清单")
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.list_review(user=request.user, inventory_list=lst, accept=form.accept,
                                 comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if form.accept:
                verb = "已确认采用" if lst.kind == ListKind.DISTRICT else "已确认"
                messages.success(request, f"{lst}{verb}，条目已编清单编号。")
            else:
                messages.warning(request, f"{lst}已退回乡镇（街道）修改。")
            return redirect(lst.get_absolute_url())
    return _render_list(request, selectors.list_get(user=request.user, pk=pk), forms={"review": form}, status=400)


def _find_parcel(user: Any, key: str) -> Any:
    """A visible parcel by 宗地编号 or 电子监管号."""
    from pandi.land.selectors import visible_parcels

    key = key.strip()
    matches = list(visible_parcels(user).filter(Q(code=key) | Q(supervision_no=key)).select_related("township")[:2])
    if not matches:
        raise ValidationError({"key": f"没有找到宗地编号或电子监管号为“{key}”的宗地（只能补充您可查看的宗地）"})
    if len(matches) > 1:
        raise ValidationError({"key": f"“{key}”对应多宗土地，请改用宗地编号"})
    return matches[0]


@login_required
@require_POST
def list_add_parcel(request: HttpRequest, pk: int) -> HttpResponse:
    lst = _list_for_post(request, pk)
    _require_edit(request.user, lst)
    form = AddParcelForm(request.POST)
    if form.is_valid():
        try:
            parcel = _find_parcel(request.user, form.cleaned_data["key"])
            entry = services.entry_add_parcel(user=request.user, inventory_list=lst, parcel=parcel,
                                              reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"已补充宗地 {entry.label}。")
            return redirect(f"{lst.get_absolute_url()}#entry-{entry.pk}")
    return _render_list(request, selectors.list_get(user=request.user, pk=pk), forms={"add_parcel": form},
                        status=400)


@login_required
@require_POST
def list_add_block(request: HttpRequest, pk: int) -> HttpResponse:
    lst = _list_for_post(request, pk)
    _require_edit(request.user, lst)
    form = AddBlockForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.entry_add_block(user=request.user, inventory_list=lst, geometry=data["geojson"],
                                             label=data["label"], reason=data["reason"], holders=data["holders"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            from pandi.domain.units import m2_to_mu, round2

            messages.success(request, f"已补充地块“{entry.label}”，实地面积 {round2(m2_to_mu(entry.area_m2))} 亩。")
            return redirect(f"{lst.get_absolute_url()}#entry-{entry.pk}")
    return _render_list(request, selectors.list_get(user=request.user, pk=pk), forms={"add_block": form},
                        status=400)


# --- one entry ----------------------------------------------------------------------------------

def _entry_for_post(request: HttpRequest, pk: int) -> InventoryEntry:
    selectors.internal_or_404(request.user)
    entry = selectors.entry_get(user=request.user, pk=pk)
    _require_edit(request.user, entry.inventory_list)
    return entry


def _entry_done(request: HttpRequest, entry: InventoryEntry, *, error: str = "", message: str = "") -> HttpResponse:
    """HTMX: the entry's row again (with the error, if any); otherwise back to where the user was."""
    back = _safe_next(request, f"{entry.inventory_list.get_absolute_url()}#entry-{entry.pk}")
    if request.htmx:
        entry = selectors.entry_get(user=request.user, pk=entry.pk)
        lst = entry.inventory_list
        response = render(request, "screening/partials/_entry_row.html", {
            "e": _decorate_entry(entry), "lst": lst, "editable": lst.editable and can_edit_list(request.user, lst),
            "reasons": ExclusionReason.choices, "back": back, "error": error, "flash": message,
            "posted": request.POST if error else {},
            "oob": not error and request.htmx.target == f"entry-{entry.pk}", "totals": _list_totals(lst),
        })
        # the list map recolours the entry (see frontend/src/drawblock.js)
        response["HX-Trigger"] = json.dumps({"pd-entry-changed": {"id": entry.pk, "included": entry.included}})
        return response
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect(back)


def _form_error(form: Any) -> str:
    return "；".join(str(m) for errors in form.errors.values() for m in errors)


@login_required
@require_POST
def entry_exclude(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_post(request, pk)
    form = ExcludeForm(request.POST)
    if not form.is_valid():
        return _entry_done(request, entry, error=_form_error(form))
    try:
        services.entry_exclude(user=request.user, entry=entry, reason=form.cleaned_data["reason"],
                               note=form.cleaned_data["note"])
    except ValidationError as exc:
        return _entry_done(request, entry, error="；".join(exc.messages))
    return _entry_done(request, entry, message=f"已剔除“{entry.label}”。")


@login_required
@require_POST
def entry_include(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_post(request, pk)
    try:
        services.entry_include(user=request.user, entry=entry)
    except ValidationError as exc:
        return _entry_done(request, entry, error="；".join(exc.messages))
    return _entry_done(request, entry, message=f"已恢复列入“{entry.label}”。")


@login_required
@require_POST
def entry_remarks(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for_post(request, pk)
    form = RemarksForm(request.POST)
    if not form.is_valid():
        return _entry_done(request, entry, error=_form_error(form))
    try:
        services.entry_set_remarks(user=request.user, entry=entry, remarks=form.cleaned_data["remarks"])
    except ValidationError as exc:
        return _entry_done(request, entry, error="；".join(exc.messages))
    return _entry_done(request, entry, message="备注已保存。")


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from pandi.land.selectors import visible_parcels

    selectors.internal_or_404(request.user)
    user = request.user
    entry = _decorate_entry(selectors.entry_get(user=user, pk=pk))
    lst = _decorate_list(entry.inventory_list)
    list_visible = InventoryList.objects.visible_to(user).filter(pk=lst.pk).exists()
    parcels = list(visible_parcels(user).filter(pk__in=entry.parcels.values("pk")).select_related("township")
                   .order_by("code", "supervision_no"))
    plan_item = (WorkPlanItem.objects.visible_to(user).filter(entry=entry)
                 .select_related("responsible_township", "responsible_department").first())
    feature = {"id": entry.pk, "label": entry.label, "number": entry.number, "included": entry.included,
               "source": entry.source, "area_m2": entry.area_m2, "geometry": entry.geometry}
    config = _map_config(user=user, lst=lst, entries=[feature], draw=False)
    config["focus"] = True
    crumbs = [("首页", reverse("core:home")), ("清单", reverse("screening:list_index"))]
    if list_visible:
        crumbs.append((str(lst), lst.get_absolute_url()))
    crumbs.append((entry.number or entry.label, None))
    return render(request, "screening/entry_detail.html", {
        "e": entry, "lst": lst, "list_visible": list_visible, "parcels": parcels, "plan_item": plan_item,
        "editable": lst.editable and can_edit_list(user, lst), "reasons": ExclusionReason.choices,
        "back": entry.get_absolute_url(), "map_config": config,
        "breadcrumbs": crumbs,
    })


# --- the official inventory ---------------------------------------------------------------------

def _with_query(url: str | None, query: str) -> str | None:
    if not url:
        return None
    return f"{url}?{query}" if query else url


@login_required
def inventory(request: HttpRequest) -> HttpResponse:
    from pandi.accounts.selectors import township_list
    from pandi.land.selectors import page_of

    selectors.internal_or_404(request.user)
    user = request.user
    townships = list(township_list(user=user).only("id", "name", "code"))
    params = {k: request.GET.get(k, "").strip() for k in ("township", "kind")}
    if params["township"] and not any(str(t.pk) == params["township"] for t in townships):
        params["township"] = ""
    if params["kind"] not in EntryKind.values:
        params["kind"] = ""
    campaign = selectors.current_campaign()
    qs = selectors.inventory(user=user, campaign=campaign, township=params["township"] or None,
                             kind=params["kind"] or None)
    by_township = list(qs.order_by().values("township_id", "township__name", "township__code", "township__sort_order")
                       .annotate(n=Count("id"), area=Sum("area_m2"))
                       .order_by("township__sort_order", "township__code"))
    overall = {"n": sum(r["n"] for r in by_township), "area": sum((r["area"] or 0) for r in by_township)}
    page = page_of(qs, number=request.GET.get("page"), size=INVENTORY_PAGE_SIZE, count=overall["n"])
    for e in page.object_list:
        _decorate_entry(e)
    query = urlencode({k: v for k, v in params.items() if v})
    ctx = {
        "campaign": campaign, "page": page, "params": params, "townships": townships,
        "kinds": EntryKind.choices, "by_township": by_township, "overall": overall,
        "query_prefix": f"{query}&" if query else "",
        "xlsx_url": _with_query(reverse("screening:inventory_xlsx"), query),
        "map_url": _with_query(reverse("screening:distribution_map"), query),
        "print_url": _with_query(reverse("screening:distribution_print", args=["pdf"]), query),
        "breadcrumbs": _crumbs(("正式清单", None)),
    }
    if request.htmx and request.htmx.target == "inventory-table":
        return render(request, "screening/partials/_list_inventory_table.html", ctx)
    return render(request, "screening/inventory.html", ctx)

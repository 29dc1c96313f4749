"""The annual work plan (R8), the inventory's exports and the distribution map (地块分布图, R7).

- `workplan_view` — every entry of the current campaign's inventory with its plan item (year, route,
  responsible township and department), per-township totals by year against the targets, and for
  Perm.EDIT_WORK_PLAN a bulk edit saved in one transaction (one bad row → nothing saved).
- `targets_view` — the townships' targets per year.
- The exports: the work plan and the inventory as .xlsx, the inventory as GeoJSON and GeoPackage.
- `distribution_map_view` — the inventory drawn as an inline SVG (the Leaflet island shows parcels
  from the map API and cannot show blocks of vacant land), with the table and links to the print.
- `distribution_print_view` — the printable A3 map (PNG or PDF) from `mapprint`.

Enterprise users get a 404 everywhere; township officers see only their township, read-only.
Thin: parse → selector or service → render.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from pandi.accounts.models import OrgUnit
from pandi.core.permissions import has_perm, require
from pandi.core.svg import svg_paths
from pandi.domain.access import OrgKind, Perm
from pandi.domain.dates import add_months
from pandi.domain.units import m2_to_mu
from pandi.supervision.models import Campaign

from . import exporters, selectors, services
from .choices import EntryKind, ListKind, Route
from .forms_plan import PLAN_PREFIX, PlanFormSet, TargetsForm, plan_row_initial
from .models import InventoryEntry, InventoryList
from .selectors_plan import PlanFilters, overlapping_blocks, percent, plan_entries, plan_targets, plan_totals

PAGE_SIZE = 50
MAX_CAMPAIGN_YEARS = 6          # services.workplan_assign allows start … start + 5
DISTRICT_UNIT = "区经商局"
WEB_MAP_W = 900
PRINT_FORMATS = {"png": "image/png", "pdf": "application/pdf"}
ROUTE_LABELS = dict(Route.choices)
ENTRY_SENTINEL = 987654321


# --- helpers -------------------------------------------------------------------------------------


def _campaign_or_404() -> Campaign:
    campaign = selectors.current_campaign()
    if campaign is None:
        raise Http404("没有当前行动")
    return campaign


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), *items]



def _entry_url_template() -> str | None:
    url = reverse("screening:entry_detail", args=[ENTRY_SENTINEL])
    return url.replace(str(ENTRY_SENTINEL), "{id}") if url else None


def _download(export: exporters.Export, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, export.file_name)
    response["Content-Length"] = str(len(export.content))
    response["Cache-Control"] = "no-store"
    return response


def campaign_years(campaign: Campaign) -> list[int]:
    """The calendar years the campaign runs in (start … the day before start + horizon)."""
    last = add_months(campaign.start, campaign.horizon_months) - timedelta(days=1)
    years = list(range(campaign.start.year, max(last.year, campaign.start.year) + 1))
    return years[:MAX_CAMPAIGN_YEARS]


def years_text(years: list[int]) -> str:
    if not years:
        return ""
    return f"{years[0]}年" if len(years) == 1 else f"{years[0]}—{years[-1]}年"


def inventory_as_of(*, user: Any, campaign: Campaign) -> date:
    """The 截至 date of the inventory: the latest as-of date of the runs the accepted lists came from
    (the survey deadline when none)."""
    latest = (InventoryList.objects.visible_to(user).filter(campaign=campaign, status="accepted")
              .aggregate(d=Max("run__as_of"))["d"])
    return latest or campaign.survey_deadline


def _visible_townships(user: Any) -> list[OrgUnit]:
    return list(OrgUnit.objects.visible_to(user).townships().order_by("sort_order", "code"))


def _digits(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _township_param(request: HttpRequest, townships: list[OrgUnit], *, strict: bool = False) -> OrgUnit | None:
    """The township asked for with ?township=<id>, if the user may see it. `strict`: asking for a
    township the user cannot see is a 404 (an export or a print of someone else's area)."""
    raw = request.GET.get("township", "").strip()
    if not raw:
        return None
    pk = _digits(raw)
    found = next((t for t in townships if t.pk == pk), None)
    if found is None and strict:
        raise Http404("未找到该乡镇（街道）或无权查看")
    return found


def _unit_of(user: Any, townships: list[OrgUnit]) -> str:
    if selectors.sees_district(user):
        return DISTRICT_UNIT
    return "、".join(t.name for t in townships) or DISTRICT_UNIT


def _plan_filters(request: HttpRequest, townships: list[OrgUnit], years: list[int]) -> PlanFilters:
    year = _digits(request.GET.get("year", "").strip())
    route = request.GET.get("route", "").strip()
    kind = request.GET.get("kind", "").strip()
    return PlanFilters(township=_township_param(request, townships), year=year if year in years else None,
                       route=route if route in Route.values else "",
                       unassigned=request.GET.get("unassigned", "") == "1",
                       kind=kind if kind in EntryKind.values else "")


def _departments() -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(kind__in=(OrgKind.DEPARTMENT, OrgKind.STATE_COMPANY), is_active=True)
                .order_by("kind", "sort_order", "code"))


def _org_choice(org: OrgUnit) -> tuple[int, str]:
    return (org.pk, org.short_name or org.name)


# --- the work plan page ------------------------------------------------------------------------------

class _Rollback(Exception):
    """Raised inside the bulk save's transaction when a row failed: nothing is kept."""


def _row_label(n: Any, number: str) -> str:
    return f"第 {n} 行（清单编号 {number or '—'}）"


def _save_plan(request: HttpRequest, formset: Any, *, campaign: Campaign, townships: dict[int, OrgUnit],
               departments: dict[int, OrgUnit]) -> tuple[int, list[str], dict[int, str]]:
    """Check every row, then save the changed ones through services.workplan_assign in one transaction.
    Returns (saved, errors, {form index: message}); when there are errors nothing was saved."""
    errors: list[str] = []
    row_errors: dict[int, str] = {}
    if not formset.is_valid() and formset.non_form_errors():
        return 0, ["提交的表格不完整，请刷新页面后重试：" + "；".join(formset.non_form_errors())], {}
    ids = [_digits(str(f["entry"].value() or "")) for f in formset.forms]
    entries = {e.pk: e for e in plan_entries(user=request.user, campaign=campaign).filter(
        pk__in=[i for i in ids if i])}
    todo = []
    for i, (form, pk) in enumerate(zip(formset.forms, ids, strict=True)):
        n = _digits(str(form["row"].value() or "")) or i + 1
        entry = entries.get(pk)
        if entry is None:
            row_errors[i] = "清单条目不存在，或不在当前行动已确认的清单中"
            errors.append(f"第 {n} 行：{row_errors[i]}")
            continue
        if not form.is_valid():
            row_errors[i] = form.first_error()
            errors.append(f"{_row_label(n, entry.number)}：{row_errors[i]}")
            continue
        d = form.cleaned_data
        item = exporters.plan_of(entry)
        if not form.assigned:
            if item is not None:
                row_errors[i] = "已列入年度工作方案，不能清空处置年度和处置路径"
                errors.append(f"{_row_label(n, entry.number)}：{row_errors[i]}")
            continue
        wanted = (d["year"], d["route"], d["responsible_township"] or entry.township_id,
                  d["responsible_department"], (d["note"] or "").strip())
        if item is not None and wanted == (item.year, item.route, item.responsible_township_id,
                                           item.responsible_department_id, item.note):
            continue
        todo.append((i, n, entry, d))
    if errors:
        return 0, errors, row_errors
    saved = 0
    try:
        with transaction.atomic():
            for i, n, entry, d in todo:
                try:
                    services.workplan_assign(
                        user=request.user, entry=entry, year=d["year"], route=d["route"],
                        responsible_township=townships.get(d["responsible_township"]),
                        responsible_department=departments.get(d["responsible_department"]), note=d["note"] or "")
                    saved += 1
                except ValidationError as exc:
                    row_errors[i] = "；".join(exc.messages)
                    errors.append(f"{_row_label(n, entry.number)}：{row_errors[i]}")
            if errors:
                raise _Rollback
    except _Rollback:
        return 0, errors, row_errors
    return saved, [], {}


@login_required
@require_http_methods(["GET", "POST"])
def workplan_view(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    if request.method == "POST":
        require(request.user, Perm.EDIT_WORK_PLAN)
    campaign = selectors.current_campaign()
    if campaign is None:
        return render(request, "screening/plan_none.html", {"breadcrumbs": _crumbs(("年度工作方案", None))})
    user = request.user
    years = campaign_years(campaign)
    townships = _visible_townships(user)
    filters = _plan_filters(request, townships, years)
    can_edit = has_perm(user, Perm.EDIT_WORK_PLAN)
    departments = _departments() if can_edit else []
    form_kwargs = {"years": years, "townships": [_org_choice(t) for t in townships],
                   "departments": [_org_choice(d) for d in departments]}

    errors: list[str] = []
    row_errors: dict[int, str] = {}
    bound = None
    if request.method == "POST":
        bound = PlanFormSet(request.POST, prefix=PLAN_PREFIX, form_kwargs=form_kwargs)
        saved, errors, row_errors = _save_plan(request, bound, campaign=campaign,
                                               townships={t.pk: t for t in townships},
                                               departments={d.pk: d for d in departments})
        if not errors:
            if saved:
                messages.success(request, f"年度工作方案已保存：{saved} 条。")
            else:
                messages.info(request, "没有需要保存的修改。")
            return redirect(request.get_full_path())

    qs = plan_entries(user=user, campaign=campaign, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    start = page.start_index()
    base = plan_entries(user=user, campaign=campaign, filters=PlanFilters(township=filters.township))
    overlaps = overlapping_blocks(base)
    targets = plan_targets(user=user, campaign=campaign)
    shown = [filters.township] if filters.township else townships
    totals = plan_totals(base=base, townships=shown, years=years, targets=targets)
    if bound is not None:
        formset = bound
    elif can_edit:
        formset = PlanFormSet(initial=[plan_row_initial(e, exporters.plan_of(e), start + i)
                                       for i, e in enumerate(entries)], prefix=PLAN_PREFIX, form_kwargs=form_kwargs)
    else:
        formset = None
    forms_by_entry = {}
    if formset is not None:
        for i, f in enumerate(formset.forms):
            pk = _digits(str(f["entry"].value() or ""))
            forms_by_entry[pk] = (f, row_errors.get(i))
    entry_url = _entry_url_template()
    rows = []
    for i, e in enumerate(entries):
        form, error = forms_by_entry.get(e.pk, (None, None))
        rows.append({"n": start + i, "e": e, "item": exporters.plan_of(e), "form": form, "error": error,
                     "overlap": e.pk in overlaps, "status": exporters.status_label(e),
                     "url": entry_url.replace("{id}", str(e.pk)) if entry_url else None})
    today = timezone.localdate()
    query = filters.query()
    assigned_pct = percent(totals["assigned_mu"], float(campaign.target_reclaimed_mu or 0))
    ctx = {
        "campaign": campaign, "years": years, "townships": townships, "filters": filters, "routes": Route.choices,
        "kinds": EntryKind.choices, "page": page, "rows": rows, "formset": formset, "can_edit": can_edit,
        "errors": errors, "totals": totals, "sees_district": selectors.sees_district(user),
        "overlap_count": len(overlaps),
        "goal_mu": float(campaign.target_reclaimed_mu or 0), "goal_m2": float(campaign.target_floor_area_m2 or 0),
        "assigned_pct": assigned_pct, "assigned_bar": min(assigned_pct or 0, 100),
        "target_mu_pct": percent(totals["target_mu"], float(campaign.target_reclaimed_mu or 0)),
        "target_m2_pct": percent(totals["target_m2"], float(campaign.target_floor_area_m2 or 0)),
        "deadline_days": (campaign.work_plan_deadline - today).days,
        "query_prefix": f"{query}&" if query else "", "query": query,
        "xlsx_url": reverse("screening:workplan_xlsx") + (f"?{query}" if query else ""),
        "breadcrumbs": _crumbs(("年度工作方案", None)),
    }
    status = 400 if errors else 200
    if request.htmx and request.method == "GET":
        return render(request, "screening/partials/_plan_table.html", ctx)
    return render(request, "screening/plan_workplan.html", ctx, status=status)


# --- targets -----------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def targets_view(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    if request.method == "POST":
        require(request.user, Perm.EDIT_WORK_PLAN)
    campaign = selectors.current_campaign()
    if campaign is None:
        return render(request, "screening/plan_none.html", {"breadcrumbs": _crumbs(("年度目标", None))})
    user = request.user
    years = campaign_years(campaign)
    townships = _visible_townships(user)
    targets = plan_targets(user=user, campaign=campaign)
    can_edit = has_perm(user, Perm.EDIT_WORK_PLAN)
    form = TargetsForm(request.POST or None, townships=townships, years=years, targets=targets)
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            changes = form.changes()
            try:
                with transaction.atomic():
                    for c in changes:
                        try:
                            services.workplan_target_set(user=user, campaign=campaign, township=c["township"],
                                                         year=c["year"], target_mu=c["target_mu"],
                                                         target_m2=c["target_m2"])
                        except ValidationError as exc:
                            errors.append(f"{c['township'].name} {c['year']}年：{'；'.join(exc.messages)}")
                    if errors:
                        raise _Rollback
            except _Rollback:
                pass
            else:
                if changes:
                    messages.success(request, f"年度目标已保存：{len(changes)} 项。")
                else:
                    messages.info(request, "没有需要保存的修改。")
                return redirect(reverse("screening:workplan_targets"))
        else:
            for name, errs in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                errors.extend(f"{label}：{e}" if label else str(e) for e in errs)
    rows = form.rows()
    sums = []
    for y in years:
        vals = [targets[(t.pk, y)] for t in townships if (t.pk, y) in targets]
        sums.append({"year": y, "mu": sum(float(v.target_mu) for v in vals),
                     "m2": sum(float(v.target_m2) for v in vals)})
    total_mu = sum(s["mu"] for s in sums)
    total_m2 = sum(s["m2"] for s in sums)
    return render(request, "screening/plan_targets.html", {
        "campaign": campaign, "years": years, "form": form, "rows": rows, "can_edit": can_edit, "errors": errors,
        "sums": sums, "total_mu": total_mu, "colspan": 1 + 2 * len(years), "total_m2": total_m2,
        "goal_mu": float(campaign.target_reclaimed_mu or 0), "goal_m2": float(campaign.target_floor_area_m2 or 0),
        "mu_pct": percent(total_mu, float(campaign.target_reclaimed_mu or 0)),
        "m2_pct": percent(total_m2, float(campaign.target_floor_area_m2 or 0)),
        "sees_district": selectors.sees_district(user),
        "breadcrumbs": _crumbs(("年度工作方案", reverse("screening:workplan")), ("年度目标", None)),
    }, status=400 if errors else 200)


# --- exports -------------------------------------------------------------------------------------------

@login_required
@require_GET
def workplan_xlsx_view(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    campaign = _campaign_or_404()
    user = request.user
    years = campaign_years(campaign)
    townships = _visible_townships(user)
    filters = _plan_filters(request, townships, years)
    if request.GET.get("township", "").strip() and filters.township is None:
        raise Http404("未找到该乡镇（街道）或无权查看")
    entries = list(plan_entries(user=user, campaign=campaign, filters=filters))
    base = plan_entries(user=user, campaign=campaign, filters=PlanFilters(township=filters.township))
    targets = plan_targets(user=user, campaign=campaign)
    shown = [filters.township] if filters.township else townships
    totals = plan_totals(base=base, townships=shown, years=years, targets=targets)
    target_rows = []
    for row in totals["rows"]:
        for cell in row.cells:
            if cell["target_mu"] is not None or cell["mu"]:
                target_rows.append(exporters.TargetRow(
                    row.name, cell["year"], Decimal(str(cell["target_mu"] or 0)), Decimal(str(cell["target_m2"] or 0)),
                    cell["mu"]))
    title = f"{campaign.name} 年度工作方案（{years_text([filters.year] if filters.year else years)}）"
    unit = _unit_of(user, townships)
    subtitle = exporters.export_subtitle(user=user, unit=unit, count_text=f"共 {len(entries)} 处",
                                         filters=filters.text())
    content = exporters.workplan_xlsx(entries, title=title, subtitle=subtitle, targets=target_rows, campaign=campaign)
    return _download(exporters.download(content, exporters.XLSX, "年度工作方案", "xlsx"))


@login_required
@require_GET
def inventory_xlsx_view(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    user = request.user
    list_pk = request.GET.get("list", "").strip()
    townships = _visible_townships(user)
    if list_pk:
        lst = selectors.list_get(user=user, pk=_digits(list_pk) or 0)
        rows = list(selectors.list_entries(user=user, inventory_list=lst).select_related(None).select_related(
            "township").defer("geometry"))
        entries = [e for e in rows if e.included]
        excluded = [e for e in rows if not e.included]
        as_of = lst.run.as_of if lst.run_id else lst.campaign.survey_deadline
        owner = lst.township.name if lst.township_id else lst.campaign.district_name
        kind = "闲置工业用地区级清单" if lst.kind == ListKind.DISTRICT else "连片空闲地块清单"
        title = f"{owner}{kind}（截至 {exporters.cn_date(as_of)}）"
        status = f"清单状态：{lst.get_status_display()}"
        unit = lst.township.name if lst.township_id else DISTRICT_UNIT
        subtitle = exporters.export_subtitle(user=user, unit=unit, count_text=f"{status}　列入 {len(entries)} 处")
        content = exporters.inventory_xlsx(entries, title=title, subtitle=subtitle, excluded=excluded)
        return _download(exporters.download(content, exporters.XLSX, f"{owner}清单", "xlsx"))
    campaign = _campaign_or_404()
    township = _township_param(request, townships, strict=True)
    kind = request.GET.get("kind", "").strip()
    kind = kind if kind in EntryKind.values else ""
    entries = list(plan_entries(user=user, campaign=campaign, filters=PlanFilters(township=township, kind=kind)))
    as_of = inventory_as_of(user=user, campaign=campaign)
    own = township or (townships[0] if not selectors.sees_district(user) and len(townships) == 1 else None)
    owner = own.name if own else campaign.district_name
    title = f"{owner}闲置工业用地盘活清单（截至 {exporters.cn_date(as_of)}）"
    filters = "，".join(p for p in (township.name if township else "",
                                    exporters.KIND_LABELS.get(kind, "") if kind else "") if p)
    subtitle = exporters.export_subtitle(user=user, unit=_unit_of(user, townships),
                                         count_text=f"共 {len(entries)} 处", filters=filters)
    content = exporters.inventory_xlsx(entries, title=title, subtitle=subtitle)
    return _download(exporters.download(content, exporters.XLSX, f"{owner}闲置工业用地清单", "xlsx"))


def _geo_entries(request: HttpRequest) -> list[InventoryEntry]:
    selectors.internal_or_404(request.user)
    campaign = _campaign_or_404()
    townships = _visible_townships(request.user)
    township = _township_param(request, townships, strict=True)
    kind = request.GET.get("kind", "").strip()
    return list(plan_entries(user=request.user, campaign=campaign, geometry=True,
                             filters=PlanFilters(township=township, kind=kind if kind in EntryKind.values else "")))


@login_required
@require_GET
def inventory_geojson_view(request: HttpRequest) -> HttpResponse:
    content = exporters.inventory_geojson(_geo_entries(request))
    return _download(exporters.download(content, exporters.GEOJSON, "闲置工业用地清单", "geojson"))


@login_required
@require_GET
def inventory_gpkg_view(request: HttpRequest) -> HttpResponse:
    content = exporters.inventory_gpkg(_geo_entries(request))
    return _download(exporters.download(content, exporters.GPKG, "闲置工业用地清单", "gpkg"))


# --- the distribution map ----------------------------------------------------------------------------

def _polygonal(geom: Any) -> Any:
    """Only the polygons of a geometry (clipping can leave lines and points behind)."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else None


def _label_fits(box: tuple[float, float, float, float], placed: list[tuple[float, float, float, float]]) -> bool:
    return not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed)


def web_map(*, boundaries: list[tuple[str, dict | None]], entries: list[InventoryEntry], entry_url: str | None,
            zoom_to_entries: bool = False, width: int = WEB_MAP_W) -> dict[str, Any]:
    """The inventory as SVG paths (pandi.core.svg): township boundaries, the entries with their short
    numbers where there is room (largest first; the rest show theirs on hover), township names.
    A township's map is framed on its entries, the boundary clipped to the frame."""
    import math

    import shapely
    from shapely.geometry import box, mapping, shape

    shapes_e = [(e, shape(e.geometry)) for e in entries if e.geometry]
    towns = [(name, shape(gj)) for name, gj in boundaries if gj]
    bounds = [g.bounds for _e, g in shapes_e] if zoom_to_entries and shapes_e else \
        [g.bounds for _n, g in towns] + [g.bounds for _e, g in shapes_e]
    if not bounds:
        return {"width": width, "height": 0, "shapes": []}
    x0, y0 = min(b[0] for b in bounds), min(b[1] for b in bounds)
    x1, y1 = max(b[2] for b in bounds), max(b[3] for b in bounds)
    if zoom_to_entries and shapes_e:
        span = max(x1 - x0, y1 - y0, 0.006)
        margin = span * 0.12
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half_w, half_h = max(x1 - x0, 0.006) / 2 + margin, max(y1 - y0, 0.006) / 2 + margin
        x0, y0, x1, y1 = cx - half_w, cy - half_h, cx + half_w, cy + half_h
        towns = [(n, c) for n, g in towns if (c := _polygonal(shapely.clip_by_rect(g, x0, y0, x1, y1))) is not None]
    kx = math.cos(math.radians((y0 + y1) / 2))
    height = int(min(max(width * (y1 - y0) / max((x1 - x0) * kx, 1e-9), 360), 900))
    shapes: list[dict[str, Any]] = [{"geometry": mapping(box(x0, y0, x1, y1)), "kind": "frame"}]
    for name, g in towns:
        shapes.append({"geometry": mapping(g), "kind": "township", "label": name})
        p = g.representative_point()
        shapes.append({"geometry": mapping(p.buffer(1e-6, 4)), "kind": "township_name", "label": name})
    for e, _g in shapes_e:
        shapes.append({"geometry": e.geometry, "kind": e.kind, "label": _short_number(e.number), "area": e.area_m2,
                       "title": f"{e.number} {e.label}（{exporters.entry_mu(e):.2f} 亩，{exporters.status_label(e)}）",
                       "url": entry_url.replace("{id}", str(e.pk)) if entry_url else None})
    svg = svg_paths(shapes, width=width, height=height, pad=10)
    placed: list[tuple[float, float, float, float]] = []
    for s in svg["shapes"]:
        if s["kind"] == "township_name":
            w = len(s["label"]) * 13.0
            placed.append((s["label_x"] - w / 2, s["label_y"] - 13, s["label_x"] + w / 2, s["label_y"] + 3))
    omitted = 0
    for s in sorted((s for s in svg["shapes"] if s["kind"] in EntryKind.values), key=lambda s: -(s["area"] or 0)):
        w = len(s["label"]) * 5.6 + 2
        b = (s["label_x"] - w / 2, s["label_y"] - 9, s["label_x"] + w / 2, s["label_y"] + 2)
        s["show_label"] = _label_fits(b, placed)
        if s["show_label"]:
            placed.append(b)
        else:
            omitted += 1
    svg["omitted"] = omitted
    svg["clipped"] = bool(zoom_to_entries and shapes_e)   # township edges along the frame are not boundaries
    return svg


def _short_number(number: str) -> str:
    """2021-QJ-007 → QJ-007 (the year is the same for the whole map)."""
    head, sep, rest = number.partition("-")
    return rest if sep and head.isdigit() else number


@login_required
@require_GET
def distribution_map_view(request: HttpRequest) -> HttpResponse:
    selectors.internal_or_404(request.user)
    campaign = selectors.current_campaign()
    if campaign is None:
        return render(request, "screening/plan_none.html", {"breadcrumbs": _crumbs(("地块分布图", None))})
    user = request.user
    townships = _visible_townships(user)
    township = _township_param(request, townships)
    if township is None and not selectors.sees_district(user) and townships:
        township = townships[0]     # a township officer's map is their township's
    entries = list(plan_entries(user=user, campaign=campaign, geometry=True,
                                filters=PlanFilters(township=township)))
    entry_url = _entry_url_template()
    boundaries = [(t.name, t.boundary_geojson) for t in ([township] if township else townships)]
    svg = web_map(boundaries=boundaries, entries=entries, entry_url=entry_url, zoom_to_entries=township is not None)
    total_m2 = sum((e.area_m2 or Decimal(0) for e in entries), Decimal(0))
    prints = []
    if selectors.sees_district(user):
        prints.append({"label": f"{campaign.district_name}（全区）", "township": None})
    prints += [{"label": t.name, "township": t.pk} for t in townships]
    for p in prints:
        q = f"?township={p['township']}" if p["township"] else ""
        p["pdf"] = reverse("screening:distribution_print", args=["pdf"]) + q
        p["png"] = reverse("screening:distribution_print", args=["png"]) + q
    return render(request, "screening/distribution_map.html", {
        "campaign": campaign, "townships": townships, "township": township, "svg": svg,
        "rows": [{"n": i, "e": e, "status": exporters.status_label(e), "short": _short_number(e.number),
                  "url": entry_url.replace("{id}", str(e.pk)) if entry_url else None}
                 for i, e in enumerate(entries, start=1)],
        "total_m2": total_m2, "as_of": inventory_as_of(user=user, campaign=campaign), "prints": prints,
        "sees_district": selectors.sees_district(user),
        "breadcrumbs": _crumbs(("地块分布图", None)),
    })


def _dpi(request: HttpRequest, default: int = 150) -> int:
    value = _digits(request.GET.get("dpi", "").strip())
    return value if value is not None and 50 <= value <= 300 else default


def print_title(*, campaign: Campaign, township: OrgUnit | None) -> str:
    return f"{township.name if township else campaign.district_name}闲置工业用地地块分布图"


def print_subtitle(*, campaign: Campaign, township: OrgUnit | None, as_of: date) -> str:
    unit = township.name if township else DISTRICT_UNIT
    return f"{campaign.name}\n截至 {exporters.cn_date(as_of)}　制图单位：{unit}"


@login_required
@require_GET
def distribution_print_view(request: HttpRequest, fmt: str) -> HttpResponse:
    from .mapprint import MapEntry, MapFontMissing, render_distribution_map

    selectors.internal_or_404(request.user)
    if fmt not in PRINT_FORMATS:
        raise Http404("不支持的格式")
    campaign = _campaign_or_404()
    user = request.user
    townships = _visible_townships(user)
    township = _township_param(request, townships, strict=True)
    if township is None and not selectors.sees_district(user):
        if not townships:
            raise Http404("未找到该乡镇（街道）或无权查看")
        township = townships[0]     # a township officer's map is their township's
    entries = list(plan_entries(user=user, campaign=campaign, geometry=True,
                                filters=PlanFilters(township=township)))
    map_entries = [MapEntry(number=e.number, township=e.township.name if e.township_id else None, label=e.label,
                            holder=e.holders, area_mu=exporters.entry_mu(e), status_label=exporters.status_label(e),
                            kind=e.kind, geometry=e.geometry) for e in entries]
    boundaries = [(t.name, t.boundary_geojson) for t in townships if t.boundary_geojson]
    focus = township.name if township and any(n == township.name for n, _ in boundaries) else None
    as_of = inventory_as_of(user=user, campaign=campaign)
    total_mu = float(m2_to_mu(sum((e.area_m2 or Decimal(0) for e in entries), Decimal(0))))
    footer = (f"共 {len(entries)} 处，合计 {total_mu:,.2f} 亩　制图日期：{exporters.cn_date(timezone.localdate())}"
              "　数据来源：盘地系统")
    started = time.perf_counter()
    try:
        content = render_distribution_map(
            title=print_title(campaign=campaign, township=township),
            subtitle=print_subtitle(campaign=campaign, township=township, as_of=as_of),
            townships=boundaries, entries=map_entries, focus_township=focus, fmt=fmt, dpi=_dpi(request),
            footer=footer)
    except MapFontMissing as exc:
        return render(request, "screening/distribution_unavailable.html", {
            "message": str(exc), "breadcrumbs": _crumbs(("地块分布图", reverse("screening:distribution_map")),
                                                        ("打印", None))}, status=503)
    stem = f"{township.name if township else campaign.district_name}地块分布图"
    response = _download(exporters.download(content, PRINT_FORMATS[fmt], stem, fmt), inline=True)
    response["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.0f}"
    return response

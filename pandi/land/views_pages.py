"""Pages of the land registry: parcel list and page, enterprise list and page, the edit forms and
the full map. Thin: parse → selector or service → render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from pandi.core.forms import apply_validation_error
from pandi.core.permissions import require, require_township
from pandi.core.scope import access_for, get_visible_or_404
from pandi.domain.access import Perm

from . import services
from .choices import ParcelState
from .forms import (
    CONTRACT_FORM_FIELDS,
    ConstructionForm,
    ContractForm,
    EnterpriseForm,
    HoldingAddForm,
    HoldingEndForm,
    ParcelForm,
    StandardForm,
)
from .models import ConstructionFacts, Enterprise, Holding, Parcel, StandardLandConditions, SupplyContract
from .selectors import (
    PARCEL_SORTS,
    STATES,
    building_features,
    enterprise_detail,
    enterprise_get,
    enterprise_list,
    latest_run,
    map_extent,
    map_focus,
    page_of,
    parcel_detail,
    parcel_filter_choices,
    parcel_get,
    parcel_list,
    parcel_map_feature,
    parcel_totals,
    plain_number,
    rectification_states,
    screening_states,
)
from .services import CONSTRUCTION_FIELDS, STANDARD_FIELDS

PAGE_SIZE = 50
PARCEL_FILTERS = ("q", "township", "state", "area_min", "area_max", "holder", "land_use", "supply_year",
                  "enterprise")
EXPORT_FORMATS = (("xlsx", "Excel"), ("geojson", "GeoJSON"), ("gpkg", "GeoPackage"), ("shp", "Shapefile"))
PARCEL_ID_SENTINEL = 987654321


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), *items]


def _parcels_crumb() -> tuple[str, str]:
    return ("宗地", reverse("land:parcel_list"))


def _enterprises_crumb() -> tuple[str, str]:
    return ("企业", reverse("land:enterprise_list"))


def _reverse_or_none(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


# --- basemap and map island configuration --------------------------------------------------

TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER=%(layer)s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                "&TILECOL={x}&tk=%(key)s")


def basemap_config() -> dict[str, Any]:
    """The basemap the settings ask for. 天地图 `_w` tiles are Web Mercator, like Leaflet's default;
    parcels are CGCS2000 lon/lat, which matches WGS84 on screen."""
    kind = (getattr(settings, "PANDI_BASEMAP", "none") or "none").strip().lower()
    if kind == "tianditu":
        key = (getattr(settings, "PANDI_TIANDITU_KEY", "") or "").strip()
        if not key:
            return {"kind": "none", "layers": [], "note": "未配置天地图密钥（PANDI_TIANDITU_KEY），不显示底图"}
        key = quote(key, safe="")
        return {"kind": "tianditu", "layers": [
            {"url": TIANDITU_URL % {"layer": "vec", "key": key}, "subdomains": "01234567",
             "attribution": "© 天地图 国家地理信息公共服务平台", "maxZoom": 18},
            {"url": TIANDITU_URL % {"layer": "cva", "key": key}, "subdomains": "01234567", "attribution": "",
             "maxZoom": 18},
        ]}
    if kind == "osm":
        return {"kind": "osm", "layers": [{"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": "",
                                           "attribution": "© OpenStreetMap 贡献者", "maxZoom": 19}]}
    if kind == "custom":
        url = (getattr(settings, "PANDI_TILE_URL", "") or "").strip()
        if url:
            return {"kind": "custom", "layers": [{
                "url": url, "subdomains": "abc",
                "attribution": getattr(settings, "PANDI_TILE_ATTRIBUTION", "") or "", "maxZoom": 20}]}
        return {"kind": "none", "layers": [], "note": "未配置瓦片地址（PANDI_TILE_URL），不显示底图"}
    return {"kind": "none", "layers": []}


def _parcel_url_template() -> str:
    return reverse("land:parcel_detail", args=[PARCEL_ID_SENTINEL]).replace(str(PARCEL_ID_SENTINEL), "{id}")


def map_config(*, user: Any, mode: str, **extra: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "basemap": basemap_config(),
        "states": STATES,
        "api": {"parcels": reverse("api:map_parcels"), "townships": reverse("api:map_townships"),
                "search": reverse("api:map_search")},
        "parcelUrl": _parcel_url_template(),
        **extra,
    }


# --- record facts for the pages -----------------------------------------------------------------

def _display(obj: Any, name: str) -> str:
    """A field's value as shown on a page: choices by label, dates as YYYY-MM-DD, numbers without
    trailing zeros, 是/否 for booleans, "—" when empty."""
    from datetime import date as date_type
    from decimal import Decimal

    f = obj._meta.get_field(name)
    value = getattr(obj, name)
    if value in (None, ""):
        return "—"
    if f.choices:
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date_type):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_number(value)
    return str(value)


UNITS = {"area_ha": "公顷", "price_wan": "万元", "term_years": "年"}


def record_facts(obj: Any, names: tuple[str, ...]) -> list[dict[str, str]]:
    from pandi.domain.units import round2

    facts = []
    for name in names:
        f = obj._meta.get_field(name)
        value = _display(obj, name)
        if value != "—" and name in UNITS:
            value = f"{value} {UNITS[name]}"
        if name == "area_ha" and obj.area_ha is not None:
            value += f"（{round2(obj.area_ha * 15):,} 亩）"
        facts.append({"name": name, "label": str(f.verbose_name), "value": value})
    return facts


# --- parcels -----------------------------------------------------------------------------------

def _filter_params(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip() for k in PARCEL_FILTERS}


def _query(params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v})


PARCEL_COLUMNS = (("code", "宗地编号", ""), (None, "地块名称", ""), ("township", "乡镇（街道）", ""),
                  ("holder", "权利人", ""), ("area", "面积（亩）", "text-end"), (None, "土地用途", ""),
                  ("supply_year", "供地年份", ""), ("state", "状态", ""))


def _columns(params: dict[str, str], sort: str) -> list[dict[str, Any]]:
    """Table headers; sortable ones link to the list sorted by them (again: reversed)."""
    columns = []
    for key, label, css in PARCEL_COLUMNS:
        column: dict[str, Any] = {"label": label, "css": css, "url": None, "direction": None}
        if key in PARCEL_SORTS:
            direction = "asc" if sort == key else "desc" if sort == f"-{key}" else None
            column["url"] = "?" + _query(params, sort=f"-{key}" if direction == "asc" else key)
            column["direction"] = direction
        columns.append(column)
    return columns


def _export_links(params: dict[str, str], name: str, **kwargs: Any) -> list[dict[str, str]]:
    query = _query(params)
    links = []
    for fmt, label in EXPORT_FORMATS:
        url = _reverse_or_none(name, fmt=fmt, **kwargs)
        if url:
            links.append({"label": label, "url": f"{url}?{query}" if query else url})
    return links


@login_required
def parcel_list_view(request: HttpRequest) -> HttpResponse:
    params = _filter_params(request)
    sort = request.GET.get("sort", "").strip()
    qs = parcel_list(user=request.user, township=params["township"] or None, state=params["state"] or None,
                     area_min_mu=params["area_min"] or None, area_max_mu=params["area_max"] or None,
                     holder=params["holder"] or None, land_use=params["land_use"] or None,
                     supply_year=params["supply_year"] or None, q=params["q"] or None,
                     enterprise=params["enterprise"] or None, sort=sort or None)
    totals = parcel_totals(qs)
    page = page_of(qs, number=request.GET.get("page"), size=PAGE_SIZE, count=totals["count"])
    query = _query(params, sort=sort)
    ctx = {
        "page": page, "params": params, "sort": sort, "totals": totals,
        "query_prefix": f"{query}&" if query else "",
        "columns": _columns(params, sort),
        "states": ParcelState.choices,
        "exports": _export_links({k: v for k, v in params.items() if k in ("township", "state", "q")},
                                 "land:parcel_export"),
        "breadcrumbs": _crumbs(("宗地", None)),
    }
    if request.htmx:
        return render(request, "land/partials/_parcel_table.html", ctx)
    ctx.update(parcel_filter_choices(user=request.user))
    map_query = _query({k: params[k] for k in ("township", "state")})
    ctx["map_url"] = reverse("land:map") + (f"?{map_query}" if map_query else "")
    eid = params["enterprise"]
    ctx["enterprise_filter"] = enterprise_list(user=request.user).filter(pk=eid).first() if eid.isdigit() else None
    return render(request, "land/parcel_list.html", ctx)


@login_required
def parcel_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    data = parcel_detail(user=request.user, pk=pk)
    parcel = data.parcel
    config = map_config(user=request.user, mode="parcel", parcel=parcel_map_feature(parcel),
                        buildings=building_features(data.buildings))
    return render(request, "land/parcel_detail.html", {
        "d": data, "parcel": parcel, "map_config": config,
        "contracts": [{"contract": c, "facts": record_facts(c, CONTRACT_FORM_FIELDS)} for c in data.contracts],
        "construction_facts": record_facts(data.construction, CONSTRUCTION_FIELDS) if data.construction else [],
        "standard_facts": record_facts(data.standard, STANDARD_FIELDS) if data.standard else [],
        "breadcrumbs": _crumbs(_parcels_crumb(), (parcel.key, None)),
    })


def _parcel_for_edit(request: HttpRequest, pk: int) -> Parcel:
    """The parcel if the user can see it (else 404) and may edit land in its township (else 403)."""
    parcel = parcel_get(user=request.user, pk=pk)
    require(request.user, Perm.EDIT_LAND)
    require_township(request.user, parcel.township_id)
    return parcel


def _form_page(request: HttpRequest, *, form: Any, save: Callable[[], Any], done: str | Callable[[Any], str],
               title: str, crumbs: list[tuple[str, str | None]], message: str, submit_label: str = "保存"
               ) -> HttpResponse:
    """Validate, call the service, turn its ValidationError into form errors; redirect when saved
    (to `done`, or to `done(saved object)`)."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, message)
            return redirect(done(saved) if callable(done) else done)
    return render(request, "form_page.html", {
        "form": form, "title": title, "submit_label": submit_label, "breadcrumbs": _crumbs(*crumbs, (title, None)),
    }, status=400 if form.is_bound and form.errors else 200)


def _parcel_crumbs(parcel: Parcel) -> list[tuple[str, str | None]]:
    return [_parcels_crumb(), (parcel.key, parcel.get_absolute_url())]


@login_required
def parcel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    form = ParcelForm(request.POST or None, user=request.user, instance=parcel)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(), title=f"编辑宗地：{parcel.key}",
        crumbs=_parcel_crumbs(parcel), message="宗地基本信息已保存。",
        save=lambda: services.parcel_update(user=request.user, parcel=Parcel.objects.get(pk=parcel.pk),
                                            data=form.changed_data_for_service()),
    )


@login_required
def holding_add(request: HttpRequest, pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    form = HoldingAddForm(request.POST or None, user=request.user, parcel=parcel)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(), title=f"添加权利人：{parcel.key}",
        crumbs=_parcel_crumbs(parcel), message="权利人已添加。", submit_label="添加",
        save=lambda: services.holding_add(user=request.user, parcel=parcel, enterprise=form.cleaned_data["enterprise"],
                                          role=form.cleaned_data["role"], data=form.data_for_service()),
    )


@login_required
def holding_end(request: HttpRequest, pk: int, holding_pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    holding = get_visible_or_404(Holding.objects.filter(parcel=parcel).select_related("enterprise", "parcel"),
                                 request.user, pk=holding_pk)
    if not holding.is_current:
        messages.info(request, f"“{holding.enterprise}”的{holding.get_role_display()}记录已于 "
                               f"{holding.end:%Y-%m-%d} 终止。" if holding.end else "该权利人记录已终止。")
        return redirect(parcel.get_absolute_url())
    form = HoldingEndForm(request.POST or None, holding=holding)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(),
        title=f"终止权利人：{holding.enterprise}（{holding.get_role_display()}）",
        crumbs=_parcel_crumbs(parcel), message="权利人记录已终止。", submit_label="终止",
        save=lambda: services.holding_end(user=request.user, holding=holding, end=form.cleaned_data["end"]),
    )


@login_required
def contract_add(request: HttpRequest, pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    initial = {"supervision_no": parcel.supervision_no, "holder_name": parcel.holder_names,
               "land_use": parcel.land_use, "project_location": parcel.location}
    form = ContractForm(request.POST or None, user=request.user, initial=initial)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(), title=f"新增供地记录：{parcel.key}",
        crumbs=_parcel_crumbs(parcel), message="供地记录已添加。",
        save=lambda: services.contract_create(user=request.user, parcel=parcel, data=form.data_for_service()),
    )


@login_required
def contract_edit(request: HttpRequest, pk: int, contract_pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    contract = get_visible_or_404(SupplyContract.objects.filter(parcel=parcel).select_related("parcel"),
                                  request.user, pk=contract_pk)
    form = ContractForm(request.POST or None, user=request.user, instance=contract)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(),
        title=f"编辑供地记录：{contract.supervision_no or parcel.key}",
        crumbs=_parcel_crumbs(parcel), message="供地记录已保存。",
        save=lambda: services.contract_update(user=request.user, contract=contract, data=form.data_for_service()),
    )


@login_required
def construction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    facts = ConstructionFacts.objects.filter(parcel=parcel).first()
    form = ConstructionForm(request.POST or None, user=request.user, instance=facts)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(), title=f"施工情况：{parcel.key}",
        crumbs=_parcel_crumbs(parcel), message="施工情况已保存。",
        save=lambda: services.construction_update(user=request.user, parcel=parcel, data=form.data_for_service()),
    )


@login_required
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    parcel = _parcel_for_edit(request, pk)
    conditions = StandardLandConditions.objects.filter(parcel=parcel).first()
    form = StandardForm(request.POST or None, user=request.user, instance=conditions)
    return _form_page(
        request, form=form, done=parcel.get_absolute_url(), title=f"标准地条件：{parcel.key}",
        crumbs=_parcel_crumbs(parcel), message="标准地条件已保存。",
        save=lambda: services.standard_conditions_update(user=request.user, parcel=parcel,
                                                         data=form.data_for_service()),
    )


# --- enterprises -------------------------------------------------------------------------------

def _enterprise_exports(query: str) -> list[dict[str, str]]:
    url = _reverse_or_none("land:enterprise_export") or _reverse_or_none("land:enterprise_export", fmt="xlsx")
    return [{"label": "Excel", "url": f"{url}?{query}" if query else url}] if url else []


@login_required
def enterprise_list_view(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("q", "township")}
    qs = enterprise_list(user=request.user, q=params["q"] or None, township=params["township"] or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query(params)
    access = access_for(request.user)
    ctx = {
        "page": page, "params": params, "query_prefix": f"{query}&" if query else "",
        "can_create": access.can(Perm.EDIT_LAND),
        "exports": _enterprise_exports(query),
        "breadcrumbs": _crumbs(("企业", None)),
    }
    if request.htmx:
        return render(request, "land/partials/_enterprise_table.html", ctx)
    from pandi.accounts.selectors import township_list

    ctx["townships"] = township_list(user=request.user)
    return render(request, "land/enterprise_list.html", ctx)


@login_required
def enterprise_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    data = enterprise_detail(user=request.user, pk=pk)
    return render(request, "land/enterprise_detail.html", {
        "d": data, "enterprise": data.enterprise,
        "breadcrumbs": _crumbs(_enterprises_crumb(), (data.enterprise.name, None)),
    })


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.EDIT_LAND)
    form = EnterpriseForm(request.POST or None, user=request.user)
    return _form_page(
        request, form=form, done=lambda e: e.get_absolute_url(), title="新建企业",
        crumbs=[_enterprises_crumb()], message="企业已创建。",
        save=lambda: services.enterprise_create(user=request.user, data=form.data_for_service()),
    )


@login_required
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_get(user=request.user, pk=pk)
    require(request.user, Perm.EDIT_LAND)
    require_township(request.user, enterprise.township_id)
    form = EnterpriseForm(request.POST or None, user=request.user, instance=enterprise)
    return _form_page(
        request, form=form, done=enterprise.get_absolute_url(), title=f"编辑企业：{enterprise.name}",
        crumbs=[_enterprises_crumb(), (enterprise.name, enterprise.get_absolute_url())], message="企业信息已保存。",
        save=lambda: services.enterprise_update(user=request.user, enterprise=Enterprise.objects.get(pk=enterprise.pk),
                                                data=form.changed_data_for_service()),
    )


# --- the map -------------------------------------------------------------------------------------

def _screening_map_config(user: Any) -> dict[str, Any]:
    """The screening layer (latest saved run) and the inventory overlay, for users who see them."""
    from pandi.screening.selectors import is_internal

    if not is_internal(user):
        return {}
    extra: dict[str, Any] = {
        "inventory_api": reverse("api:map_inventory"),
        "entryUrl": reverse("screening:entry_detail", args=[PARCEL_ID_SENTINEL]).replace(
            str(PARCEL_ID_SENTINEL), "{id}"),
    }
    run = latest_run(user)
    layers: dict[str, Any] = {}
    if run is not None:
        extra["screening"] = {"run": run.pk, "as_of": f"{run.as_of:%Y-%m-%d}", "states": screening_states()}
        layers["screening"] = {"label": f"按筛查状态着色（截至 {run.as_of:%Y-%m-%d}）",
                               "title": f"筛查状态（截至 {run.as_of:%Y-%m-%d}）", "states": screening_states()}
    from pandi.rectification.models import RectificationPlan

    if RectificationPlan.objects.visible_to(user).exists():
        layers["rectification"] = {"label": "按整改状态着色", "title": "整改方案状态", "states": rectification_states()}
    if layers:
        extra["layers"] = layers
    return extra


@login_required
def map_view(request: HttpRequest) -> HttpResponse:
    from pandi.accounts.selectors import township_list

    township = request.GET.get("township", "").strip()
    state = request.GET.get("state", "").strip()
    townships = list(township_list(user=request.user).values("id", "name"))
    if township and not any(str(t["id"]) == township for t in townships):
        township = ""
    focus = map_focus(user=request.user, pk=request.GET.get("parcel", "").strip())
    layer = request.GET.get("layer", "").strip()
    inventory = "1" if request.GET.get("inventory") == "1" else ""
    extra = _screening_map_config(request.user)
    layer = layer if layer in extra.get("layers", {}) else ""
    config = map_config(user=request.user, mode="full", townships=townships,
                        filters={"township": township, "state": state, "layer": layer, "inventory": inventory},
                        focus=focus, extent=map_extent(user=request.user, township=township or None), **extra)
    if config.get("inventory_api"):
        config["api"]["inventory"] = config.pop("inventory_api")
    return render(request, "land/map.html", {
        "map_config": config, "townships": townships,
        "states": extra["layers"][layer]["states"] if layer else STATES,
        "params": {"township": township, "state": state, "layer": layer, "inventory": inventory},
        "breadcrumbs": _crumbs(("地图", None)),
    })

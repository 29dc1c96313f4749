"""Downloads of the land registry: the parcel list (.xlsx, GeoJSON, GeoPackage, zipped Shapefile)
and the enterprise list (.xlsx). Every signed-in user may export what they can see: the rows come
from the same selectors as the list pages (`Parcel.objects.visible_to(user)` underneath), so a
township officer's export holds only their township."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from pandi.accounts.models import OrgUnit

from .choices import ParcelState
from .exporters import PARCEL_FORMATS, Export, enterprise_export, parcel_export
from .selectors import enterprise_list, parcel_list, visible_parcels

# the list page's filters (land:parcel_list), so an export holds what the list shows
PARCEL_FILTERS = ("township", "state", "q", "area_min", "area_max", "holder", "land_use", "supply_year",
                  "enterprise")


def _download(export: Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.file_name)
    response["Content-Length"] = str(len(export.content))
    response["Cache-Control"] = "no-store"
    return response


def _township_label(request: HttpRequest, value: str) -> str:
    township = OrgUnit.objects.visible_to(request.user).filter(kind="township", pk=value).first() \
        if value.isdigit() else None
    return township.name if township else value


def _filter_text(request: HttpRequest, params: dict[str, str]) -> str:
    """The filters in words, for the title area of a spreadsheet."""
    labels = dict(ParcelState.choices)
    parts = []
    if params.get("township"):
        parts.append(_township_label(request, params["township"]))
    if params.get("state"):
        parts.append("状态 " + "、".join(labels.get(s, s) for s in params["state"].split(",") if s))
    for key, label in (("q", "检索"), ("holder", "权利人"), ("land_use", "用途"), ("supply_year", "供地年份"),
                       ("area_min", "面积≥（亩）"), ("area_max", "面积≤（亩）")):
        if params.get(key):
            parts.append(f"{label} {params[key]}")
    return "，".join(parts)


@login_required
@require_GET
def parcel_export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in PARCEL_FORMATS:
        raise Http404("不支持的导出格式")
    params = {k: request.GET.get(k, "").strip() for k in PARCEL_FILTERS}
    qs = parcel_list(user=request.user, township=params["township"] or None, state=params["state"] or None,
                     area_min_mu=params["area_min"] or None, area_max_mu=params["area_max"] or None,
                     holder=params["holder"] or None, enterprise=params["enterprise"] or None,
                     land_use=params["land_use"] or None, supply_year=params["supply_year"] or None,
                     q=params["q"] or None)
    return _download(parcel_export(qs, fmt, user=request.user, filters=_filter_text(request, params)))


@login_required
@require_GET
def enterprise_export_view(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("q", "township")}
    qs = enterprise_list(user=request.user, q=params["q"] or None, township=params["township"] or None)
    text = "，".join(p for p in (_township_label(request, params["township"]) if params["township"] else "",
                                 f"检索 {params['q']}" if params["q"] else "") if p)
    return _download(enterprise_export(qs, user=request.user, visible_parcels=visible_parcels(request.user),
                                       filters=text))

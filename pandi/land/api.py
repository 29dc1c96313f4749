"""Land registry API (django-ninja): parcels, enterprises, supply contracts, construction facts,
imports. Reads go through the same selectors as the pages, so the API is scoped exactly like them
(an object out of scope answers 404) and its numbers agree with the pages'."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from pandi.core.scope import get_visible_or_404

from . import services
from .models import ConstructionFacts, ImportBatch, Parcel, SupplyContract
from .selectors import enterprise_list, parcel_list

router = Router(tags=["土地与企业"])
MAX_LIMIT = 500
GEOJSON_CAP = 2000


class Page(Schema):
    count: int
    limit: int
    offset: int


class ParcelOut(Schema):
    id: int
    code: str
    supervision_no: str
    name: str
    township_id: int | None
    township: str | None
    land_use: str
    area_m2: Decimal | None
    area_mu: Decimal | None
    state: str
    state_label: str
    supply_year: int | None
    holders: str
    buildings_surveyed: bool


class ParcelPage(Page):
    items: list[ParcelOut]


class HoldingOut(Schema):
    enterprise_id: int
    enterprise: str
    role: str
    share: Decimal | None
    start: date | None
    end: date | None
    is_current: bool


class ContractOut(Schema):
    id: int
    parcel_id: int
    supervision_no: str
    district_text: str
    project_name: str
    project_location: str
    area_ha: Decimal | None
    land_source: str
    land_use: str
    supply_method: str
    term_years: int | None
    industry: str
    land_grade: str
    price_wan: Decimal | None
    holder_name: str
    far_min: Decimal | None
    far_max: Decimal | None
    contract_date: date | None
    agreed_handover: date | None
    actual_handover: date | None
    agreed_start: date | None
    agreed_completion: date | None
    reported_start: date | None
    reported_completion: date | None
    approval_authority: str


class ConstructionOut(Schema):
    permit_no: str = ""
    permit_date: date | None = None
    actual_start: date | None = None
    actual_completion: date | None = None
    required_dev_area_m2: Decimal | None = None
    developed_area_m2: Decimal | None = None
    invested_wan: Decimal | None = None
    total_investment_wan: Decimal | None = None
    suspended_since: date | None = None
    idle_cause: str = "holder"
    government_cause_item: int | None = None


class ConstructionPatch(Schema):
    permit_no: str | None = None
    permit_date: date | None = None
    actual_start: date | None = None
    actual_completion: date | None = None
    required_dev_area_m2: Decimal | None = None
    developed_area_m2: Decimal | None = None
    invested_wan: Decimal | None = None
    total_investment_wan: Decimal | None = None
    suspended_since: date | None = None
    idle_cause: str | None = None
    government_cause_item: int | None = None


class ParcelDetailOut(ParcelOut):
    real_estate_unit_no: str
    location: str
    geometry: dict | None
    holdings: list[HoldingOut]
    contracts: list[ContractOut]
    construction: ConstructionOut | None
    buildings: int


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str
    legal_representative: str
    township_id: int | None
    industry_code: str
    industry_name: str
    above_scale: bool
    parcel_count: int


class EnterprisePage(Page):
    items: list[EnterpriseOut]


class ImportOut(Schema):
    id: int
    kind: str
    file_name: str
    file_sha256: str
    status: str
    started_at: Any
    finished_at: Any
    crs: str
    encoding: str
    counts: dict
    issues: list[dict]


def _parcel(p: Parcel) -> dict[str, Any]:
    return {
        "id": p.pk, "code": p.code, "supervision_no": p.supervision_no, "name": p.name,
        "township_id": p.township_id, "township": p.township.name if p.township_id else None,
        "land_use": p.land_use, "area_m2": p.area_m2,
        "area_mu": p.area_mu.quantize(Decimal("0.01")) if p.area_mu is not None else None,
        "state": p.state, "state_label": p.get_state_display(), "supply_year": p.supply_year,
        "holders": p.holder_names, "buildings_surveyed": p.buildings_surveyed,
    }


def _window(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)


@router.get("/parcels", response=ParcelPage, summary="宗地列表（筛选、分页；与网页同一查询）",
             url_name="land_parcels")
def parcels(request: HttpRequest, township: int | None = None, state: str | None = None,
            area_min_mu: Decimal | None = None, area_max_mu: Decimal | None = None, holder: str | None = None,
            land_use: str | None = None, supply_year: int | None = None, q: str | None = None,
            sort: str | None = None, limit: int = 100, offset: int = 0):
    qs = parcel_list(user=request.user, township=township, state=state, area_min_mu=area_min_mu,
                     area_max_mu=area_max_mu, holder=holder, land_use=land_use, supply_year=supply_year, q=q,
                     sort=sort)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": [_parcel(p) for p in qs[offset:offset + limit]]}


@router.get("/parcels.geojson", summary="宗地边界 GeoJSON（按范围 bbox，最多 2000 个要素）",
             url_name="land_parcels_geojson")
def parcels_geojson(request: HttpRequest, bbox: str, township: int | None = None, state: str | None = None):
    from ninja.errors import HttpError

    from .selectors import parse_bbox

    try:
        box = parse_bbox(bbox)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    if box is None:
        raise HttpError(422, "bbox 应为 最小经度,最小纬度,最大经度,最大纬度")
    min_lon, min_lat, max_lon, max_lat = box
    qs = (parcel_list(user=request.user, township=township, state=state)
          .filter(max_lon__gte=min_lon, min_lon__lte=max_lon, max_lat__gte=min_lat, min_lat__lte=max_lat)
          .exclude(geometry=None).order_by("id"))
    rows = list(qs.values("id", "code", "supervision_no", "name", "township__name", "state", "area_m2",
                          "holder_names", "geometry")[:GEOJSON_CAP + 1])
    features = [{
        "type": "Feature", "id": r["id"], "geometry": r["geometry"],
        "properties": {"code": r["code"], "supervision_no": r["supervision_no"], "name": r["name"],
                       "township": r["township__name"], "state": r["state"],
                       "area_m2": float(r["area_m2"]) if r["area_m2"] is not None else None,
                       "holders": r["holder_names"]},
    } for r in rows[:GEOJSON_CAP]]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > GEOJSON_CAP}


@router.get("/parcels/{parcel_id}", response=ParcelDetailOut, summary="宗地详情（权利人、供地、施工、边界）",
             url_name="land_parcel_detail")
def parcel_detail(request: HttpRequest, parcel_id: int):
    p = get_visible_or_404(Parcel.objects.select_related("township"), request.user, pk=parcel_id)
    construction = ConstructionFacts.objects.filter(parcel=p).first()
    return {
        **_parcel(p), "real_estate_unit_no": p.real_estate_unit_no, "location": p.location, "geometry": p.geometry,
        "holdings": [{"enterprise_id": h.enterprise_id, "enterprise": h.enterprise.name, "role": h.role,
                      "share": h.share, "start": h.start, "end": h.end, "is_current": h.is_current}
                     for h in p.holdings.select_related("enterprise")],
        "contracts": list(p.contracts.all()),
        "construction": construction,
        "buildings": p.buildings.count(),
    }


@router.patch("/parcels/{parcel_id}/construction", response=ConstructionOut,
              summary="更新施工情况（如住建局推送施工许可、开工、竣工）",
             url_name="land_parcel_construction_patch")
def parcel_construction_patch(request: HttpRequest, parcel_id: int, payload: ConstructionPatch):
    p = get_visible_or_404(Parcel.objects.all(), request.user, pk=parcel_id)
    data = payload.dict(exclude_unset=True)
    if data.get("permit_no") is None:
        data.pop("permit_no", None)
    if data.get("idle_cause") is None:
        data.pop("idle_cause", None)
    return services.construction_update(user=request.user, parcel=p, data=data)


@router.get("/contracts", response=list[ContractOut], summary="供地记录（按宗地或电子监管号）",
             url_name="land_contracts")
def contracts(request: HttpRequest, parcel: int | None = None, supervision_no: str | None = None,
              limit: int = 100, offset: int = 0):
    qs = SupplyContract.objects.visible_to(request.user).order_by("id")
    if parcel is not None:
        qs = qs.filter(parcel_id=parcel)
    if supervision_no:
        qs = qs.filter(supervision_no=supervision_no)
    limit, offset = _window(limit, offset)
    return list(qs[offset:offset + limit])


@router.get("/enterprises", response=EnterprisePage, summary="企业列表",
             url_name="land_enterprises")
def enterprises(request: HttpRequest, q: str | None = None, township: int | None = None, limit: int = 100,
                offset: int = 0):
    qs = enterprise_list(user=request.user, q=q, township=township)
    limit, offset = _window(limit, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs[offset:offset + limit])}


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut, summary="企业详情",
             url_name="land_enterprise_detail")
def enterprise_detail(request: HttpRequest, enterprise_id: int):
    return get_visible_or_404(enterprise_list(user=request.user), request.user, pk=enterprise_id)


@router.get("/imports", response=list[ImportOut], summary="导入批次",
             url_name="land_imports")
def imports(request: HttpRequest, limit: int = 50, offset: int = 0):
    limit, offset = _window(limit, offset)
    return list(ImportBatch.objects.visible_to(request.user).order_by("-started_at")[offset:offset + limit])


@router.get("/imports/{batch_id}", response=ImportOut, summary="导入批次详情（含问题清单）",
             url_name="land_import_detail")
def import_detail(request: HttpRequest, batch_id: int):
    return get_visible_or_404(ImportBatch.objects.all(), request.user, pk=batch_id)


@router.post("/imports", response=ImportOut, summary="导入文件（供地台账、宗地边界、建筑物轮廓）；默认试导入",
             url_name="land_import_create")
def import_create(request: HttpRequest, kind: Form[str], file: File[UploadedFile], dry_run: Form[bool] = True,
                  valid_only: Form[bool] = False):
    from ninja.errors import HttpError

    from .choices import ImportKind
    from .importers.common import run_import

    if kind not in ImportKind.values:
        raise HttpError(422, f"导入类型应为 {'、'.join(ImportKind.values)}")
    ctx = run_import(kind=kind, user=request.user, file_name=file.name, data=file.read(), dry_run=dry_run,
                     valid_only=valid_only)
    return ctx.batch

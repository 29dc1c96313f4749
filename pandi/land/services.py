"""Writes for the land registry. Pages, API, importers, commands and the demo all come here; every
write is validated, scope-checked (township officers write only in their township) and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pandi.audit.services import record_change, snapshot
from pandi.core.permissions import require, require_township
from pandi.core.services import model_create, model_update
from pandi.domain.access import Perm
from pandi.domain.construction import SupplyFacts, construction_state
from pandi.domain.geo import bbox, ground_area_m2, representative_point, rounded, simplified
from pandi.domain.geometry import boundary_problems, extract_geometry
from pandi.domain.uscc import normalise_uscc

from .choices import AreaSource, HoldingRole
from .models import (
    Building,
    ConstructionFacts,
    Enterprise,
    Holding,
    Parcel,
    StandardLandConditions,
    SupplyContract,
)

ENTERPRISE_FIELDS = ("name", "uscc", "legal_representative", "contact_person", "contact_phone", "address",
                     "industry_code", "industry_name", "above_scale", "township")
PARCEL_FIELDS = ("code", "supervision_no", "real_estate_unit_no", "name", "location", "township", "land_use",
                 "land_use_code", "area_m2", "area_source", "buildings_surveyed", "notes", "import_batch")
CONTRACT_FIELDS = tuple(
    f.name for f in SupplyContract._meta.concrete_fields
    if f.name not in {"id", "parcel", "created_at", "updated_at"}
)
CONSTRUCTION_FIELDS = tuple(
    f.name for f in ConstructionFacts._meta.concrete_fields if f.name not in {"id", "parcel", "updated_at"}
)
STANDARD_FIELDS = tuple(
    f.name for f in StandardLandConditions._meta.concrete_fields if f.name not in {"id", "parcel", "updated_at"}
)
HOLDING_FIELDS = ("enterprise", "role", "share", "start", "end", "is_current")


def _only(data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return data


def _check_edit(user: Any, township_id: int | None, check: bool, perm: Perm = Perm.EDIT_LAND) -> None:
    if check:
        require(user, perm)
        require_township(user, township_id)


# --- enterprises -----------------------------------------------------------------------------

def _clean_enterprise(data: dict[str, Any]) -> dict[str, Any]:
    _only(data, ENTERPRISE_FIELDS)
    if data.get("uscc"):
        data = {**data, "uscc": normalise_uscc(data["uscc"])}
    return data


@transaction.atomic
def enterprise_create(*, user: Any, data: dict[str, Any], check: bool = True) -> Enterprise:
    township = data.get("township")
    _check_edit(user, township.pk if township else None, check)
    return model_create(model=Enterprise, user=user, data=_clean_enterprise(data))


@transaction.atomic
def enterprise_update(*, user: Any, enterprise: Enterprise, data: dict[str, Any], check: bool = True) -> Enterprise:
    _check_edit(user, enterprise.township_id, check)
    if check and "township" in data:
        require_township(user, data["township"].pk if data["township"] else None)
    enterprise = model_update(obj=enterprise, user=user, data=_clean_enterprise(data))
    if "name" in data:
        for parcel in Parcel.objects.filter(holdings__enterprise=enterprise).distinct():
            parcel_refresh(parcel=parcel)
    return enterprise


def enterprise_find_or_create(*, user: Any, name: str, uscc: str = "", township: Any = None,
                              check: bool = True) -> tuple[Enterprise, bool]:
    """The enterprise with this USCC, else with exactly this name, else a new one."""
    name = name.strip()
    uscc = normalise_uscc(uscc) if uscc else ""
    found = None
    if uscc:
        found = Enterprise.objects.filter(uscc=uscc).first()
    if found is None:
        found = Enterprise.objects.filter(name=name).order_by("id").first()
    if found is not None:
        if uscc and not found.uscc:
            enterprise_update(user=user, enterprise=found, data={"uscc": uscc}, check=check)
        return found, False
    data: dict[str, Any] = {"name": name, "township": township}
    if uscc:
        data["uscc"] = uscc
    return enterprise_create(user=user, data=data, check=check), True


# --- parcels ---------------------------------------------------------------------------------

def geometry_fields(geometry: dict[str, Any]) -> dict[str, Any]:
    """Validated geometry and everything derived from it (bbox, centroid, simplified copy, area)."""
    geometry = extract_geometry(geometry)
    problems = boundary_problems(geometry)
    if problems:
        raise ValidationError({"geometry": problems})
    geometry = rounded(geometry)
    min_lon, min_lat, max_lon, max_lat = bbox(geometry)
    lon, lat = representative_point(geometry)
    return {
        "geometry": geometry, "geometry_simple": simplified(geometry), "min_lon": min_lon, "min_lat": min_lat,
        "max_lon": max_lon, "max_lat": max_lat, "centroid_lon": lon, "centroid_lat": lat,
        "area_m2": ground_area_m2(geometry), "area_source": AreaSource.GEOMETRY,
    }


def supply_facts(parcel: Parcel) -> SupplyFacts:
    from django.db.models import F

    # the latest contract; undated ones last on every database
    contract = parcel.contracts.order_by(F("contract_date").desc(nulls_last=True), "-id").first()
    construction = ConstructionFacts.objects.filter(parcel=parcel).first()
    return SupplyFacts(
        has_contract=contract is not None,
        agreed_start=contract.agreed_start if contract else None,
        agreed_handover=contract.agreed_handover if contract else None,
        actual_handover=contract.actual_handover if contract else None,
        actual_start=construction.actual_start if construction else None,
        actual_completion=construction.actual_completion if construction else None,
    )


def parcel_refresh(*, parcel: Parcel, today: date | None = None) -> Parcel:
    """Recompute the derived columns (state, supply year, holder names). Not audited: they follow
    from audited facts."""
    today = today or timezone.localdate()
    first = parcel.contracts.exclude(contract_date=None).order_by("contract_date").first()
    names = list(Enterprise.objects.filter(holdings__parcel=parcel, holdings__is_current=True)
                 .order_by("-holdings__role", "name").values_list("name", flat=True).distinct())  # 使用权人 first
    updates = {
        "state": construction_state(supply_facts(parcel), today).value,
        "state_as_of": today,
        "supply_year": first.contract_date.year if first else None,
        "holder_names": "、".join(names)[:500],
    }
    changed = [k for k, v in updates.items() if getattr(parcel, k) != v]
    if changed:
        for k in changed:
            setattr(parcel, k, updates[k])
        Parcel.objects.filter(pk=parcel.pk).update(**{k: updates[k] for k in changed})
    return parcel


def _locate_township(geometry: dict[str, Any]) -> Any:
    from pandi.accounts.models import OrgUnit
    from pandi.domain.geo import TownshipLocator

    locator = TownshipLocator((t, t.boundary_geojson) for t in OrgUnit.objects.townships())
    return locator.locate(geometry)


@transaction.atomic
def parcel_create(*, user: Any, data: dict[str, Any], geometry: dict[str, Any] | None = None,
                  check: bool = True) -> Parcel:
    data = dict(_only(data, PARCEL_FIELDS))
    if geometry is not None:
        data.update(geometry_fields(geometry))
        if data.get("township") is None:
            data["township"] = _locate_township(data["geometry"])
    township = data.get("township")
    _check_edit(user, township.pk if township else None, check)
    _check_unique_keys(data)
    parcel = model_create(model=Parcel, user=user, data=data)
    return parcel_refresh(parcel=parcel)


@transaction.atomic
def parcel_update(*, user: Any, parcel: Parcel, data: dict[str, Any], geometry: dict[str, Any] | None = None,
                  check: bool = True) -> Parcel:
    data = dict(_only(data, PARCEL_FIELDS))
    _check_edit(user, parcel.township_id, check)
    if geometry is not None:
        data.update(geometry_fields(geometry))
    if check and "township" in data:
        require_township(user, data["township"].pk if data["township"] else None)
    _check_unique_keys(data, exclude=parcel.pk)
    parcel = model_update(obj=parcel, user=user, data=data)
    return parcel_refresh(parcel=parcel)


def _check_unique_keys(data: dict[str, Any], exclude: int | None = None) -> None:
    errors = {}
    for field, label in (("code", "宗地编号"), ("supervision_no", "电子监管号")):
        value = data.get(field)
        if value and Parcel.objects.filter(**{field: value}).exclude(pk=exclude).exists():
            errors[field] = f"{label}“{value}”已存在"
    if errors:
        raise ValidationError(errors)


# --- holders, contracts, construction, buildings, 标准地 ------------------------------------------

@transaction.atomic
def holding_add(*, user: Any, parcel: Parcel, enterprise: Enterprise, role: str = HoldingRole.RIGHT_HOLDER,
                data: dict[str, Any] | None = None, check: bool = True) -> Holding:
    _check_edit(user, parcel.township_id, check)
    existing = Holding.objects.filter(parcel=parcel, enterprise=enterprise, role=role, is_current=True).first()
    if existing is not None:
        return existing
    holding = model_create(model=Holding, user=user, data={"parcel": parcel, "enterprise": enterprise, "role": role,
                                                            **_only(data or {}, HOLDING_FIELDS)})
    parcel_refresh(parcel=parcel)
    return holding


@transaction.atomic
def holding_end(*, user: Any, holding: Holding, end: date | None = None, check: bool = True) -> Holding:
    _check_edit(user, holding.parcel.township_id, check)
    model_update(obj=holding, user=user, data={"is_current": False, "end": end or timezone.localdate()})
    parcel_refresh(parcel=holding.parcel)
    return holding


@transaction.atomic
def contract_create(*, user: Any, parcel: Parcel, data: dict[str, Any], check: bool = True) -> SupplyContract:
    _check_edit(user, parcel.township_id, check)
    contract = model_create(model=SupplyContract, user=user, data={"parcel": parcel, **_only(data, CONTRACT_FIELDS)})
    parcel_refresh(parcel=parcel)
    return contract


@transaction.atomic
def contract_update(*, user: Any, contract: SupplyContract, data: dict[str, Any], check: bool = True
                    ) -> SupplyContract:
    _check_edit(user, contract.parcel.township_id, check)
    contract = model_update(obj=contract, user=user, data=_only(data, CONTRACT_FIELDS))
    parcel_refresh(parcel=contract.parcel)
    return contract


@transaction.atomic
def construction_update(*, user: Any, parcel: Parcel, data: dict[str, Any], check: bool = True
                        ) -> ConstructionFacts:
    """Create or change the parcel's construction facts."""
    _check_edit(user, parcel.township_id, check)
    data = _only(data, CONSTRUCTION_FIELDS)
    facts = ConstructionFacts.objects.filter(parcel=parcel).first()
    if facts is None:
        facts = model_create(model=ConstructionFacts, user=user, data={"parcel": parcel, **data})
    else:
        facts = model_update(obj=facts, user=user, data=data)
    parcel_refresh(parcel=parcel)
    return facts


@transaction.atomic
def standard_conditions_update(*, user: Any, parcel: Parcel, data: dict[str, Any], check: bool = True
                               ) -> StandardLandConditions:
    _check_edit(user, parcel.township_id, check)
    data = _only(data, STANDARD_FIELDS)
    conditions = StandardLandConditions.objects.filter(parcel=parcel).first()
    if conditions is None:
        return model_create(model=StandardLandConditions, user=user, data={"parcel": parcel, **data})
    return model_update(obj=conditions, user=user, data=data)


@transaction.atomic
def building_create(*, user: Any, parcel: Parcel | None, geometry: dict[str, Any], data: dict[str, Any] | None = None,
                    check: bool = True) -> Building:
    """A building footprint; recording one marks the parcel's buildings as surveyed."""
    _check_edit(user, parcel.township_id if parcel else None, check)
    fields = geometry_fields(geometry)
    building = model_create(model=Building, user=user, data={
        "parcel": parcel, "geometry": fields["geometry"], "footprint_m2": fields["area_m2"],
        "min_lon": fields["min_lon"], "min_lat": fields["min_lat"], "max_lon": fields["max_lon"],
        "max_lat": fields["max_lat"], **(data or {}),
    })
    if parcel is not None and not parcel.buildings_surveyed:
        before = snapshot(parcel)
        parcel.buildings_surveyed = True
        parcel.save(update_fields=["buildings_surveyed"])
        record_change(obj=parcel, user=user, before=before, comment="导入建筑物轮廓，标记为已做建筑物调查")
    return building


@transaction.atomic
def parcels_refresh_states(*, today: date | None = None) -> int:
    """Daily: states that depend on the date (an agreed start passing) move on. Returns how many changed."""
    from django.db.models import Q

    today = today or timezone.localdate()
    changed = 0
    # only the states that the passing of time can change: an agreed start or a recorded date ahead
    due = Parcel.objects.exclude(state_as_of=today).filter(
        Q(state="not_due") | Q(state_as_of__isnull=True)
        | Q(construction__actual_start__gt=today - timezone.timedelta(days=1)) & ~Q(state="under_construction")
        | Q(construction__actual_completion__isnull=False) & ~Q(state="completed")
    ).distinct()
    for parcel in due.iterator(chunk_size=2000):
        before = parcel.state
        parcel_refresh(parcel=parcel, today=today)
        changed += parcel.state != before
    return changed


# --- bulk writes for imports -------------------------------------------------------------------
# The same validation and audit as the single-record services, done a batch at a time so a file
# of 100,000 parcels imports in seconds rather than hours.

BULK = 1000


def _bulk_check_keys(new: list[dict[str, Any]], changed: list[tuple[Parcel, dict[str, Any]]]) -> None:
    for field, label in (("code", "宗地编号"), ("supervision_no", "电子监管号")):
        wanted = [d[field] for d in new if d.get(field)] + [d[field] for _, d in changed if d.get(field)]
        if len(wanted) != len(set(wanted)):
            dup = next(v for v in wanted if wanted.count(v) > 1)
            raise ValidationError({field: f"{label}“{dup}”重复"})
        own = {p.pk for p, _ in changed}
        for i in range(0, len(wanted), BULK):
            taken = Parcel.objects.filter(**{f"{field}__in": wanted[i:i + BULK]}).exclude(pk__in=own)
            first = taken.values_list(field, flat=True).first()
            if first:
                raise ValidationError({field: f"{label}“{first}”已存在"})


def _derive(datas: list[dict[str, Any]]) -> None:
    """Replace each data dict's raw "geometry" by the validated, derived geometry fields."""
    from pandi.domain.geo import derive_many

    with_geom = [d for d in datas if d.get("geometry") is not None]
    for d in with_geom:
        d["geometry"] = extract_geometry(d["geometry"])
        problems = boundary_problems(d["geometry"])
        if problems:
            raise ValidationError({"geometry": [f"{d.get('code') or d.get('supervision_no')}：{p}" for p in problems]})
    for d, derived in zip(with_geom, derive_many([d["geometry"] for d in with_geom]), strict=True):
        d.update(derived, area_source=AreaSource.GEOMETRY)


def _locate(datas: list[dict[str, Any]]) -> None:
    from pandi.accounts.models import OrgUnit
    from pandi.domain.geo import TownshipLocator, locate_many

    missing = [d for d in datas if d.get("township") is None and d.get("geometry") is not None]
    if not missing:
        return
    locator = TownshipLocator((t, t.boundary_geojson) for t in OrgUnit.objects.townships())
    for d, township in zip(missing, locate_many(locator, [d["geometry"] for d in missing]), strict=True):
        d["township"] = township


# Foreign keys are checked once per batch (_check_townships) instead of one SELECT per row, and the
# derived JSON geometry is produced by our own code; everything else is validated row by row.
BULK_CLEAN_EXCLUDE = ["township", "import_batch", "geometry", "geometry_simple"]


def _check_townships(datas: list[dict[str, Any]]) -> None:
    from pandi.accounts.models import OrgUnit

    ids = {d["township"].pk for d in datas if d.get("township") is not None}
    known = set(OrgUnit.objects.townships().filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    if ids - known:
        raise ValidationError({"township": f"乡镇（街道）编号 {sorted(ids - known)} 不存在或不是乡镇（街道）"})


def _check_parcel_constraints(p: Parcel) -> None:
    """The model's check constraint that bulk_create would otherwise only meet in the database."""
    if not p.code and not p.supervision_no:
        raise ValidationError({"code": "宗地编号和电子监管号至少填写一个"})


@transaction.atomic
def parcels_bulk_save(*, user: Any, new: list[dict[str, Any]], changed: list[tuple[Parcel, dict[str, Any]]],
                      check: bool = True) -> tuple[list[Parcel], list[Parcel]]:
    """Create the `new` parcels and apply `changed` (parcel, data) pairs. Data dicts take the fields
    of `parcel_create` plus "geometry" (GeoJSON lon/lat). Validated, township-located, audited."""
    allowed = (*PARCEL_FIELDS, "geometry")
    for d in [*new, *(d for _, d in changed)]:
        _only(d, allowed)
    _derive([*new, *(d for _, d in changed)])
    _locate(new)
    if check:
        for d in new:
            _check_edit(user, d["township"].pk if d.get("township") else None, check)
        for p, _data in changed:
            _check_edit(user, p.township_id, check)
    _bulk_check_keys(new, changed)
    today = timezone.localdate()
    created = [Parcel(**d, state_as_of=today) for d in new]
    _check_townships([*new, *(d for _, d in changed)])
    for p in created:
        p.full_clean(exclude=BULK_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
        _check_parcel_constraints(p)
    befores = []
    fields: set[str] = set()
    for p, d in changed:
        befores.append(snapshot(p))
        for k, v in d.items():
            setattr(p, k, v)
            fields.add(k)
        p.full_clean(exclude=BULK_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
        _check_parcel_constraints(p)
    Parcel.objects.bulk_create(created, batch_size=BULK)
    if changed:
        Parcel.objects.bulk_update([p for p, _ in changed], sorted(fields | {"updated_at"}), batch_size=BULK)
    from pandi.audit.services import record_changes_bulk

    record_changes_bulk(objs=created, user=user, befores=[None] * len(created))
    record_changes_bulk(objs=[p for p, _ in changed], user=user, befores=befores)
    return created, [p for p, _ in changed]


@transaction.atomic
def buildings_bulk_create(*, user: Any, rows: list[tuple[Parcel | None, dict[str, Any], dict[str, Any]]],
                          check: bool = True) -> list[Building]:
    """Create many footprints: rows of (parcel or None, GeoJSON geometry, other fields). Parcels
    that receive footprints are marked surveyed (audited)."""
    from pandi.audit.services import record_changes_bulk, record_field_change_bulk
    from pandi.domain.geo import derive_many

    geoms = []
    for parcel, geometry, _ in rows:
        if check:
            _check_edit(user, parcel.township_id if parcel else None, check)
        geometry = extract_geometry(geometry)
        problems = boundary_problems(geometry)
        if problems:
            raise ValidationError({"geometry": problems})
        geoms.append(geometry)
    buildings = []
    for (parcel, _, data), derived in zip(rows, derive_many(geoms), strict=True):
        b = Building(parcel=parcel, geometry=derived["geometry"], footprint_m2=derived["area_m2"],
                     min_lon=derived["min_lon"], min_lat=derived["min_lat"], max_lon=derived["max_lon"],
                     max_lat=derived["max_lat"], **data)
        b.full_clean(exclude=["parcel", "import_batch", "geometry"], validate_unique=False,
                     validate_constraints=False)  # the parcel comes from the database, the geometry from derive_many
        buildings.append(b)
    Building.objects.bulk_create(buildings, batch_size=BULK)
    record_changes_bulk(objs=buildings, user=user, befores=[None] * len(buildings))
    to_mark = {p.pk: p for p, _, _ in rows if p is not None and not p.buildings_surveyed}
    if to_mark:
        for p in to_mark.values():
            p.buildings_surveyed = True
        ids = list(to_mark)
        for i in range(0, len(ids), BULK):
            Parcel.objects.filter(pk__in=ids[i:i + BULK]).update(buildings_surveyed=True)
        record_field_change_bulk(objs=list(to_mark.values()), user=user, field="buildings_surveyed", old=False,
                                 new=True, comment="导入建筑物轮廓，标记为已做建筑物调查")
    return buildings

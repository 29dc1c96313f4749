"""The screening engine: load the registry's facts as of a date, decide every parcel's status,
find the vacant blocks and build the lists (screening.md). Reads only; `services.run_save`
stores the outcome.

Built for a district of a million parcels: facts are read with a few streaming queries
(`values_list`, no model instances), geometry is parsed by GEOS in bulk (`shapely.from_geojson`)
and only for the parcels the township comb looks at, and progress is reported per stage.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from django.db.models import F, TextField
from django.db.models.functions import Cast

from pandi.accounts.models import OrgUnit
from pandi.domain.geo import GROUND_CRS, LONLAT_CRS, transformer
from pandi.domain.idle import Cause, ParcelFacts, StatusResult, parcel_status
from pandi.domain.screening import (
    NEEDS_SURVEY_STATUSES,
    BlockOut,
    ParcelInput,
    ScreeningParams,
    at_least_mu,
    in_district_list,
    screening_json,
    vacant_eligible,
)
from pandi.domain.vacant import VacantParams, vacant_blocks
from pandi.land.models import Building, ConstructionFacts, Holding, Parcel, SupplyContract

Progress = Callable[[str, int, int], None]
CHUNK = 20000


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def is_industrial(land_use: str, land_use_code: str) -> bool:
    return "工业" in (land_use or "") or (land_use_code or "").startswith("06")


@dataclass
class Outcome:
    as_of: date
    params: ScreeningParams
    parcels: list[ParcelInput]
    pks: list[int]
    township_ids: list[int | None]
    results: list[StatusResult]
    blocks: list[BlockOut]
    block_geometries: list[dict[str, Any]]      # lon/lat GeoJSON of each block, same order as blocks
    block_parcel_pks: list[list[int]]
    unknown_vacant: list[str]
    vacant_m2: dict[int, float]
    township_names: dict[int, str]
    not_yet_supplied: int
    timings: dict[str, float] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        data = screening_json(as_of=self.as_of, params=self.params, parcels=self.parcels, results=self.results,
                              blocks=self.blocks, unknown_vacant=self.unknown_vacant,
                              townships=sorted(self.township_names.values()))
        data["counts"]["not_yet_supplied"] = self.not_yet_supplied
        return data

    def district_flags(self) -> list[bool]:
        return [in_district_list(p, r, self.params) for p, r in zip(self.parcels, self.results, strict=True)]


def _facts_maps(as_of: date, progress: Progress) -> tuple[dict[int, tuple], dict[int, tuple], dict[int, list[str]],
                                                          set[int], set[int]]:
    """Latest contract signed by `as_of` (or undated) per parcel, construction facts, current holders,
    parcels whose contracts all postdate `as_of`, parcels with footprints."""
    contracts: dict[int, tuple] = {}
    later: set[int] = set()
    first_date: dict[int, date] = {}
    qs = SupplyContract.objects.order_by("parcel_id", F("contract_date").asc(nulls_first=True), "id").values_list(
        "parcel_id", "contract_date", "agreed_handover", "actual_handover", "agreed_start", "price_wan")
    for row in qs.iterator(chunk_size=CHUNK):
        pid, cdate = row[0], row[1]
        if cdate is not None and cdate > as_of:
            later.add(pid)
            continue
        contracts[pid] = row  # ordered ascending: the last one kept is the latest signed by as_of
        if cdate is not None and (pid not in first_date or cdate < first_date[pid]):
            first_date[pid] = cdate
    # the earliest contract date says whether the land was supplied by as_of
    for pid, row in contracts.items():
        if pid in first_date:
            contracts[pid] = (*row, first_date[pid])
        else:
            contracts[pid] = (*row, None)
    later -= set(contracts)
    progress("读取供地记录", len(contracts), len(contracts))
    construction = {r[0]: r for r in ConstructionFacts.objects.values_list(
        "parcel_id", "actual_start", "actual_completion", "required_dev_area_m2", "developed_area_m2",
        "invested_wan", "total_investment_wan", "suspended_since", "idle_cause").iterator(chunk_size=CHUNK)}
    holders: dict[int, list[str]] = {}
    for pid, name in (Holding.objects.filter(is_current=True).order_by("parcel_id", "-role", "enterprise__name")
                      .values_list("parcel_id", "enterprise__name").iterator(chunk_size=CHUNK)):
        names = holders.setdefault(pid, [])
        if name not in names:
            names.append(name)
    with_footprints = set(Building.objects.exclude(parcel_id=None).values_list("parcel_id", flat=True).distinct())
    return contracts, construction, holders, later, with_footprints


def load_inputs(as_of: date, progress: Progress = _quiet) -> tuple[list[ParcelInput], list[int], list[int | None],
                                                                   dict[int, str], int]:
    township_names = dict(OrgUnit.objects.filter(kind="township").values_list("id", "name"))
    contracts, construction, holders, later, with_footprints = _facts_maps(as_of, progress)
    parcels: list[ParcelInput] = []
    pks: list[int] = []
    townships: list[int | None] = []
    qs = Parcel.objects.order_by("id").values_list(
        "id", "code", "supervision_no", "township_id", "area_m2", "land_use", "land_use_code", "buildings_surveyed")
    total = Parcel.objects.count()
    skipped = 0
    for i, (pk, code, sup, tid, area, land_use, luc, surveyed) in enumerate(qs.iterator(chunk_size=CHUNK), 1):
        if pk in later:
            skipped += 1  # supplied after as_of: not part of this screening
            continue
        c = contracts.get(pk)
        k = construction.get(pk)
        facts = ParcelFacts(
            agreed_start=c[4] if c else None, agreed_handover=c[2] if c else None,
            actual_handover=c[3] if c else None, contract_date=c[6] if c else None,
            contract_price_wan=c[5] if c else None,
            actual_start=k[1] if k else None, actual_completion=k[2] if k else None,
            area_m2=area, required_dev_area_m2=k[3] if k else None, developed_area_m2=k[4] if k else None,
            invested_wan=k[5] if k else None, total_investment_wan=k[6] if k else None,
            suspended_since=k[7] if k else None, cause=Cause(k[8]) if k and k[8] else Cause.HOLDER,
        )
        parcels.append(ParcelInput(
            pk=pk, code=code or sup, supervision_no=sup or None, township=township_names.get(tid),
            area_m2=area, facts=facts, industrial=is_industrial(land_use, luc), holders=tuple(holders.get(pk, ())),
            surveyed=bool(surveyed) or pk in with_footprints))
        pks.append(pk)
        townships.append(tid)
        if i % 100000 == 0:
            progress("读取宗地", i, total)
    progress("读取宗地", total, total)
    return parcels, pks, townships, township_names, skipped


def _to_ground(geoms: np.ndarray) -> np.ndarray:
    t = transformer(LONLAT_CRS, GROUND_CRS)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _to_lonlat(geoms: np.ndarray) -> np.ndarray:
    t = transformer(GROUND_CRS, LONLAT_CRS)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _geometry_texts(model: Any, ids: set[int], key: str) -> tuple[list[int], list[str]]:
    """(key id, GeoJSON text) of the rows whose `key` is in ids, streamed."""
    out_ids: list[int] = []
    texts: list[str] = []
    qs = (model.objects.exclude(**{f"{key}__isnull": True}).order_by("id")
          .values_list(key, Cast("geometry", TextField())))
    for k, text in qs.iterator(chunk_size=CHUNK):
        if k in ids and text:
            out_ids.append(k)
            texts.append(text)
    return out_ids, texts


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of small objects are made (rows, facts, results):
    each full collection walks all of them and a million-parcel screening would trigger dozens.
    Nothing here makes reference cycles; collection resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def screen(*, as_of: date, params: ScreeningParams, progress: Progress = _quiet) -> Outcome:
    """The whole screening as of a date. Reads only."""
    with gc_paused():
        return _screen(as_of=as_of, params=params, progress=progress)


def _screen(*, as_of: date, params: ScreeningParams, progress: Progress) -> Outcome:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    parcels, pks, townships, names, skipped = load_inputs(as_of, progress)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    results = [parcel_status(p.facts, as_of) for p in parcels]
    timings["status"] = time.perf_counter() - t
    progress("判定状态", len(results), len(results))

    t = time.perf_counter()
    eligible = [i for i, (p, r) in enumerate(zip(parcels, results, strict=True)) if vacant_eligible(p, r)]
    by_pk = {pks[i]: i for i in eligible}
    geo_ids, texts = _geometry_texts(Parcel, set(by_pk), "id")
    fp_parcels, fp_texts = _geometry_texts(Building, set(by_pk), "parcel_id")
    timings["load_geometry"] = time.perf_counter() - t
    progress("读取图形", len(geo_ids) + len(fp_parcels), len(geo_ids) + len(fp_parcels))

    t = time.perf_counter()
    geoms = _to_ground(shapely.make_valid(shapely.from_geojson(np.array(texts, dtype=object), on_invalid="ignore")))
    fps = _to_ground(shapely.make_valid(shapely.from_geojson(np.array(fp_texts, dtype=object), on_invalid="ignore")))
    has_geom = {pk for pk, g in zip(geo_ids, geoms, strict=True) if g is not None and not g.is_empty}
    idx = [by_pk[pk] for pk in geo_ids]
    keep = [j for j, pk in enumerate(geo_ids) if pk in has_geom]
    code_of = {pks[i]: parcels[i].code for i in eligible}
    vr = vacant_blocks(
        keys=[parcels[idx[j]].code for j in keep], geometries=geoms[keep],
        townships=[parcels[idx[j]].township for j in keep], holders=[parcels[idx[j]].holders for j in keep],
        needs_survey=[results[idx[j]].status in NEEDS_SURVEY_STATUSES for j in keep],
        surveyed=[parcels[idx[j]].surveyed for j in keep],
        footprint_keys=[code_of[pk] for pk in fp_parcels], footprint_geometries=fps,
        params=VacantParams(tolerance_m=params.contiguity_tolerance_m, min_width_m=params.min_width_m,
                            min_mu=float(params.township_min_mu)))
    timings["vacant"] = time.perf_counter() - t
    progress("连片空闲地块", len(vr.blocks), len(vr.blocks))

    pk_of_code = {parcels[i].code: pks[i] for i in eligible}
    blocks: list[BlockOut] = []
    block_geoms: list[Any] = []
    for b in vr.blocks:
        listed = at_least_mu(b.area_m2, params.township_min_mu)
        if not listed:
            continue
        blocks.append(BlockOut(block_id=b.block_id, township=b.township, area_m2=b.area_m2,
                               parcel_codes=list(b.parcel_keys), holders=list(b.holders), listed=True,
                               township_shares=dict(b.township_shares)))
        block_geoms.append(b.geometry)
    block_geometries = _geojson_rounded(_to_lonlat(np.array(block_geoms, dtype=object))) if block_geoms else []
    unknown = list(vr.unknown_keys)
    # parcels without a usable geometry: their vacant land is unknown, never counted
    unknown += [parcels[i].code for i in eligible if pks[i] not in has_geom]
    vacant_m2 = {pk_of_code[k]: v for k, v in vr.vacant_m2_by_key.items() if k in pk_of_code}
    timings["total"] = time.perf_counter() - t0
    return Outcome(as_of=as_of, params=params, parcels=parcels, pks=pks, township_ids=townships, results=results,
                   blocks=blocks, block_geometries=block_geometries,
                   block_parcel_pks=[[pk_of_code[c] for c in b.parcel_codes if c in pk_of_code] for b in blocks],
                   unknown_vacant=unknown, vacant_m2=vacant_m2, township_names=names, not_yet_supplied=skipped,
                   timings=timings)


def _geojson_rounded(geoms: np.ndarray, digits: int = 7) -> list[dict[str, Any]]:
    """GeoJSON dicts of (multi)polygons with coordinates rounded to `digits` — the same as
    `shapely.geometry.mapping` followed by `_round_coords`, but with the coordinates taken out in one
    vectorised call (a million-parcel district has millions of block vertices)."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)  # exterior first, then the holes
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    points = _round_half_even(coords, digits).tolist()
    ring_ends = np.cumsum(np.bincount(coord_of, minlength=len(rings))).tolist()
    ring_lists = [points[a:b] for a, b in zip([0, *ring_ends[:-1]], ring_ends, strict=True)]
    part_ends = np.cumsum(np.bincount(ring_of, minlength=len(parts))).tolist()
    part_lists = [ring_lists[a:b] for a, b in zip([0, *part_ends[:-1]], part_ends, strict=True)]
    geom_ends = np.cumsum(np.bincount(part_of, minlength=len(geoms))).tolist()
    types = shapely.get_type_id(geoms).tolist()
    out: list[dict[str, Any]] = []
    for kind, a, b in zip(types, [0, *geom_ends[:-1]], geom_ends, strict=True):
        if kind == _POLYGON_ID:
            out.append({"type": "Polygon", "coordinates": part_lists[a]})
        elif kind == _MULTIPOLYGON_ID:
            out.append({"type": "MultiPolygon", "coordinates": part_lists[a:b]})
        else:  # not expected from a union of polygons; keep the general path
            g = shapely.geometry.mapping(geoms[len(out)])
            _round_coords(g, digits)
            out.append(g)
    return out


def _round_half_even(a: np.ndarray, digits: int) -> np.ndarray:
    """`round(x, digits)` of every element, bit for bit as Python rounds floats, vectorised.

    Python rounds the exact binary value half-to-even at the decimal digit and returns the double
    nearest that decimal. rint(x·10^d) / 10^d gives the same double — the division of two exact
    integers-as-doubles is correctly rounded — unless x·10^d lies within the multiplication's
    rounding error of a half, where the integer could differ: those few go through Python's round."""
    scale = 10.0 ** digits
    p = a * scale
    out = np.rint(p) / scale
    doubtful = ~(np.abs(p - np.floor(p) - 0.5) >= 1e-6) | ~(np.abs(p) < 2.0 ** 50)
    if doubtful.any():
        out[doubtful] = [round(float(v), digits) for v in a[doubtful]]
    return out


_POLYGON_ID = int(shapely.GeometryType.POLYGON)
_MULTIPOLYGON_ID = int(shapely.GeometryType.MULTIPOLYGON)


def _round_coords(geometry: dict[str, Any], digits: int = 7) -> None:
    def r(c: Any) -> Any:
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(x), digits) for x in c]
        return [r(x) for x in c]

    geometry["coordinates"] = r(geometry["coordinates"])


def count_by(results: list[StatusResult], township_ids: list[int | None]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r, tid in zip(results, township_ids, strict=True):
        d = out.setdefault(str(tid or 0), {})
        d[r.status.value] = d.get(r.status.value, 0) + 1
    return out


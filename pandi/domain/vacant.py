"""Vacant land and vacant blocks (screening.md §5, R7).

Pure geometry: parcel polygons and building footprints in the ground CRS (EPSG:4549, metres) in,
vacant blocks out. The caller passes only the eligible parcels (industrial, held by enterprises,
status overdue / idle / stalled / completed); here only the geometry of the comb:

- a parcel's vacant land is its polygon minus the union of the footprints recorded on it
  (a footprint overhanging the parcel takes only what lies on the parcel);
- a parcel that needs a building survey (started or completed) and has none is *unknown*: listed
  as such, never counted;
- optionally a morphological opening (minimum buildable width) removes slivers, per parcel;
- vacant pieces — the connected parts of each parcel's vacant land — join across parcel
  boundaries when their distance is at most the contiguity tolerance; a connected group is a
  vacant block and its area is the area of the union of its pieces (gaps are not counted).

Everything is vectorised with shapely 2 (one STRtree bulk query for all pairs, array-wide
difference, buffer and area) and connected components are found with numpy, so a million
parcels stay within seconds to a minute on a small machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

M2_PER_MU = 10000 / 15
MIN_PIECE_M2 = 0.01  # vacant pieces smaller than this (10 cm × 10 cm) are overlay noise and dropped

_POLYGON = int(shapely.GeometryType.POLYGON)
_COLLECTIONS = {int(shapely.GeometryType.MULTIPOLYGON), int(shapely.GeometryType.GEOMETRYCOLLECTION),
                int(shapely.GeometryType.MULTILINESTRING), int(shapely.GeometryType.MULTIPOINT)}


def mu(m2: float) -> float:
    """Square metres to mu (亩), unrounded."""
    return m2 / M2_PER_MU


@dataclass(frozen=True)
class VacantParams:
    tolerance_m: float = 1.0  # contiguity tolerance: pieces whose distance <= tolerance join
    min_width_m: float | None = None  # minimum buildable width: opening buffer(-w/2).buffer(+w/2)
    min_mu: float = 5.0  # blocks are listed when area_mu (rounded to 0.01) >= min_mu


@dataclass
class VacantBlock:
    block_id: str  # "VB-" + sha1("|".join(sorted(parcel_keys)))[:10]; "-2", "-3"… if parcels split
    township: str | None  # the township holding the largest share of the area (ties: alphabetical first)
    area_m2: float  # area of the union of the block's pieces, rounded to 0.01
    area_mu: float  # area_m2 / M2_PER_MU, rounded to 0.01
    parcel_keys: list[str]  # sorted
    holders: list[str]  # sorted unique
    township_shares: dict[str, float]  # township -> m² of its pieces in the block, rounded to 0.01
    geometry: BaseGeometry  # the union, in the ground CRS (metres)
    listed: bool  # area_mu >= min_mu


@dataclass
class VacantResult:
    blocks: list[VacantBlock]  # all blocks, largest first (then block_id)
    unknown_keys: list[str]  # need a building survey and have none: vacant land unknown, sorted
    vacant_m2_by_key: dict[str, float]  # each counted parcel's vacant area (m², rounded to 0.01)

    @property
    def listed(self) -> list[VacantBlock]:
        return [b for b in self.blocks if b.listed]


def vacant_blocks(*, keys: Sequence[str], geometries: Sequence[BaseGeometry] | np.ndarray,
                  townships: Sequence[str | None], holders: Sequence[Sequence[str]],
                  needs_survey: Sequence[bool], surveyed: Sequence[bool],
                  footprint_keys: Sequence[str], footprint_geometries: Sequence[BaseGeometry] | np.ndarray,
                  params: VacantParams = VacantParams()) -> VacantResult:
    """The vacant blocks of the eligible parcels (screening.md §5). Geometries in metres (EPSG:4549).

    `surveyed` means marked surveyed or having footprints; a parcel with footprints passed here
    counts as surveyed whatever the flag says. Footprints tagged with a key not among `keys`, or
    with a parcel whose vacant land is unknown, are ignored.
    """
    n = len(keys)
    for name, seq in (("geometries", geometries), ("townships", townships), ("holders", holders),
                      ("needs_survey", needs_survey), ("surveyed", surveyed)):
        if len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} items for {n} keys")
    if len(footprint_keys) != len(footprint_geometries):
        raise ValueError(f"footprint_geometries has {len(footprint_geometries)} items "
                         f"for {len(footprint_keys)} footprint_keys")
    if params.tolerance_m < 0:
        raise ValueError("tolerance_m must not be negative")
    if params.min_width_m is not None and params.min_width_m < 0:
        raise ValueError("min_width_m must not be negative")

    key_list = [str(k) for k in keys]
    index = {k: i for i, k in enumerate(key_list)}
    if len(index) != n:
        raise ValueError("parcel keys must be unique")

    # --- who counts ---------------------------------------------------------------------------
    fp_parcel = np.fromiter((index.get(str(k), -1) for k in footprint_keys), dtype=np.int64,
                            count=len(footprint_keys))
    has_fp = np.zeros(n, dtype=bool)
    has_fp[fp_parcel[fp_parcel >= 0]] = True
    unknown = np.asarray(needs_survey, dtype=bool).reshape(n) & ~(
        np.asarray(surveyed, dtype=bool).reshape(n) | has_fp)
    counted = np.flatnonzero(~unknown)
    unknown_keys = sorted(key_list[i] for i in np.flatnonzero(unknown))

    # --- vacant land per parcel ---------------------------------------------------------------
    parts, part_parcel = _polygon_parts(_as_array(geometries), counted)
    fp_sel = np.flatnonzero(fp_parcel >= 0)
    fp_sel = fp_sel[~unknown[fp_parcel[fp_sel]]]
    fp_parts, fp_src = _polygon_parts(_as_array(footprint_geometries), fp_sel)
    built = _union_by_group(fp_parts, fp_parcel[fp_src], n)  # per parcel: the union of its footprints

    vacant = parts.copy()
    on_built = built[part_parcel]
    hit = ~shapely.is_missing(on_built)
    if hit.any():
        vacant[hit] = shapely.difference(parts[hit], on_built[hit])
    if params.min_width_m:
        half = params.min_width_m / 2
        vacant = shapely.buffer(shapely.buffer(vacant, -half, join_style="mitre"), half, join_style="mitre")

    pieces, piece_src = _explode(vacant)
    piece_parcel = part_parcel[piece_src]
    areas = shapely.area(pieces) if len(pieces) else np.zeros(0)
    keep = (shapely.get_type_id(pieces) == _POLYGON) & (areas >= MIN_PIECE_M2)
    pieces, piece_parcel, areas = pieces[keep], piece_parcel[keep], areas[keep]

    vacant_m2 = np.bincount(piece_parcel, weights=areas, minlength=n)
    vacant_m2_by_key = {key_list[i]: round(float(vacant_m2[i]), 2) for i in counted}

    # --- contiguity and blocks ----------------------------------------------------------------
    if len(pieces) == 0:
        return VacantResult(blocks=[], unknown_keys=unknown_keys, vacant_m2_by_key=vacant_m2_by_key)
    tree = shapely.STRtree(pieces)
    a, b = tree.query(pieces, predicate="dwithin", distance=params.tolerance_m)
    lower = a < b
    roots = _components(len(pieces), a[lower], b[lower])
    _, label = np.unique(roots, return_inverse=True)
    n_blocks = int(label.max()) + 1

    block_geoms = _union_by_group(pieces, label, n_blocks)
    block_areas = shapely.area(block_geoms)
    block_parcels = _group_members(label, piece_parcel, n_blocks, n)
    shares = _township_shares(label, piece_parcel, areas, townships, n_blocks)

    holder_lists = list(holders)
    blocks: list[VacantBlock] = []
    for k in range(n_blocks):
        members = block_parcels[k]
        parcel_keys = sorted(key_list[i] for i in members)
        held = sorted({str(h) for i in members for h in _names(holder_lists[i]) if h})
        township_shares = shares[k]
        township = min(township_shares, key=lambda t: (-township_shares[t], t)) if township_shares else None
        area_m2 = round(float(block_areas[k]), 2)
        area_mu = round(mu(float(block_areas[k])), 2)
        blocks.append(VacantBlock(
            block_id=block_id(parcel_keys), township=township, area_m2=area_m2, area_mu=area_mu,
            parcel_keys=parcel_keys, holders=held, township_shares=township_shares,
            geometry=block_geoms[k], listed=area_mu >= params.min_mu))
    _disambiguate(blocks)
    blocks.sort(key=lambda blk: (-blk.area_m2, blk.block_id))
    return VacantResult(blocks=blocks, unknown_keys=unknown_keys, vacant_m2_by_key=vacant_m2_by_key)


def block_id(parcel_keys: Sequence[str]) -> str:
    """A block's id, stable whatever the order of its parcels."""
    return "VB-" + hashlib.sha1("|".join(sorted(parcel_keys)).encode("utf-8")).hexdigest()[:10]


# --- helpers ----------------------------------------------------------------------------------

def _names(value: Sequence[str] | str | None) -> Sequence[str]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


def _as_array(geoms: Sequence[BaseGeometry] | np.ndarray) -> np.ndarray:
    out = np.empty(len(geoms), dtype=object)
    out[:] = list(geoms)
    return out


def _explode(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part geometries of `geoms`, nested collections included, and which input each came from."""
    src = np.arange(len(geoms))
    while len(geoms) and np.isin(shapely.get_type_id(geoms), list(_COLLECTIONS)).any():
        geoms, idx = shapely.get_parts(geoms, return_index=True)
        src = src[idx]
    return geoms, src


def _polygon_parts(geoms: np.ndarray, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The valid polygons making up geoms[sel], each with the index (into geoms) it came from."""
    g = geoms[sel]
    present = ~shapely.is_missing(g)
    g, sel = g[present], sel[present]
    invalid = ~shapely.is_valid(g)
    if invalid.any():
        g = g.copy()
        g[invalid] = shapely.make_valid(g[invalid], method="structure", keep_collapsed=False)
    parts, src = _explode(g)
    polygon = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    return parts[polygon], sel[src[polygon]]


def _union_by_group(geoms: np.ndarray, group: np.ndarray, size: int) -> np.ndarray:
    """out[g] = union of geoms[group == g] (None where the group is empty).

    Groups of one are taken as they are. Larger groups are unioned with GEOS's disjoint-subset
    union, which unions each connected subset on its own — a block of pieces lying 0.5 m apart
    would otherwise cost a cascaded union over thousands of disjoint parts. Groups are bucketed
    by size (up to twice as wide as needed) into None-padded rows, one vectorised call per bucket.
    """
    out = np.full(size, None, dtype=object)
    if len(geoms) == 0:
        return out
    order = np.argsort(group, kind="stable")
    geoms, group = geoms[order], group[order]
    counts = np.bincount(group, minlength=size)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(group)) - starts[group]  # position of each geometry within its group
    single = counts[group] == 1
    out[group[single]] = geoms[single]
    width_of = np.left_shift(1, np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64))
    for width in np.unique(width_of[counts > 1]).tolist():
        targets = np.flatnonzero((counts > 1) & (width_of == width))
        row_of = np.full(size, -1, dtype=np.int64)
        row_of[targets] = np.arange(len(targets))
        rows = row_of[group]
        mine = rows >= 0
        padded = np.full((len(targets), width), None, dtype=object)
        padded[rows[mine], rank[mine]] = geoms[mine]
        out[targets] = shapely.disjoint_subset_union_all(padded, axis=1)
    return out


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph on 0..n-1 with edges (a[k], b[k]): the smallest member
    of each node's component (hook roots onto smaller roots, then compress paths; repeat)."""
    parent = np.arange(n)
    while a.size:
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            break
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def _group_members(label: np.ndarray, member: np.ndarray, size: int, n_members: int) -> list[list[int]]:
    """For each group, its distinct members."""
    pairs = np.unique(label.astype(np.int64) * n_members + member)
    groups, members = pairs // n_members, pairs % n_members
    bounds = np.searchsorted(groups, np.arange(size + 1)).tolist()
    members_list = members.tolist()
    return [members_list[bounds[k]:bounds[k + 1]] for k in range(size)]


def _township_shares(label: np.ndarray, piece_parcel: np.ndarray, areas: np.ndarray,
                     townships: Sequence[str | None], size: int) -> list[dict[str, float]]:
    """For each block, township -> summed area of its pieces (pieces of parcels without a township
    are left out of the shares)."""
    names = sorted({str(t) for t in townships if t})
    code_of = {t: i for i, t in enumerate(names)}
    parcel_code = np.fromiter((code_of[str(t)] if t else -1 for t in townships), dtype=np.int64,
                              count=len(townships))
    code = parcel_code[piece_parcel]
    known = code >= 0
    shares: list[dict[str, float]] = [{} for _ in range(size)]
    if not known.any():
        return shares
    combined = label[known] * len(names) + code[known]
    uniq, inverse = np.unique(combined, return_inverse=True)
    sums = np.bincount(inverse, weights=areas[known])
    for c, s in zip(uniq.tolist(), sums.tolist(), strict=True):
        shares[c // len(names)][names[c % len(names)]] = round(s, 2)
    return shares


def _disambiguate(blocks: list[VacantBlock]) -> None:
    """A parcel whose vacant land falls apart can leave two blocks with the same parcels: the largest
    keeps the plain id, the others get "-2", "-3"… (by area, then position)."""
    by_id: dict[str, list[VacantBlock]] = {}
    for blk in blocks:
        by_id.setdefault(blk.block_id, []).append(blk)
    for same in by_id.values():
        if len(same) < 2:
            continue
        same.sort(key=lambda blk: (-blk.area_m2, *(round(v, 2) for v in blk.geometry.bounds)))
        for n, blk in enumerate(same[1:], start=2):
            blk.block_id = f"{blk.block_id}-{n}"

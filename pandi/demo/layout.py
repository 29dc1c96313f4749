"""Industrial-zone layouts for the demo district and the benchmarks (pure: numpy/shapely only).

A zone is a set of blocks separated by roads; each block is cut into parcels of varying frontage,
so neighbouring parcels touch and blocks are a road apart — like a real 工业功能区, not a grid.
Coordinates are metres in a local plane; callers place and rotate zones and convert to lon/lat.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from shapely import affinity
from shapely.geometry import Polygon, box


@dataclass(frozen=True)
class ZoneSpec:
    blocks_x: int = 4           # blocks along the main road
    blocks_y: int = 3
    block_w: float = 320.0      # metres along the main road
    block_d: float = 220.0      # block depth (two rows of parcels back to back)
    road: float = 18.0          # road width between blocks
    min_frontage: float = 45.0
    max_frontage: float = 140.0


def zone_parcels(spec: ZoneSpec, rng: random.Random, target_areas: list[float] | None = None) -> Iterator[Polygon]:
    """Parcels of one zone centred on (0, 0), unrotated. `target_areas` (m²), when given, are used
    first: those parcels get a frontage that gives that area (within the block's limits)."""
    targets = list(target_areas or [])
    total_w = spec.blocks_x * spec.block_w + (spec.blocks_x - 1) * spec.road
    total_d = spec.blocks_y * spec.block_d + (spec.blocks_y - 1) * spec.road
    x0, y0 = -total_w / 2, -total_d / 2
    for by in range(spec.blocks_y):
        for bx in range(spec.blocks_x):
            bw = spec.block_w * rng.uniform(0.85, 1.15)
            left = x0 + bx * (spec.block_w + spec.road)
            bottom = y0 + by * (spec.block_d + spec.road)
            # one deep row or two back-to-back rows
            rows = [(bottom, spec.block_d)] if rng.random() < 0.3 else [
                (bottom, spec.block_d / 2), (bottom + spec.block_d / 2, spec.block_d / 2)]
            for row_bottom, depth in rows:
                x = left
                right = left + min(bw, spec.block_w)
                while right - x > spec.min_frontage * 0.6:
                    if targets:
                        frontage = min(max(targets.pop(0) / depth, 20.0), right - x)
                    else:
                        frontage = rng.uniform(spec.min_frontage, spec.max_frontage)
                    if right - (x + frontage) < spec.min_frontage * 0.6:
                        frontage = right - x  # the last parcel takes the rest of the block
                    # slightly irregular rear boundary
                    skew = rng.uniform(-0.06, 0.06) * depth
                    yield Polygon([(x, row_bottom), (x + frontage, row_bottom),
                                   (x + frontage, row_bottom + depth + skew), (x, row_bottom + depth - skew)])
                    x += frontage


def place(poly: Polygon, cx: float, cy: float, angle_deg: float) -> Polygon:
    return affinity.translate(affinity.rotate(poly, angle_deg, origin=(0, 0)), cx, cy)


def footprints(parcel: Polygon, rng: random.Random, coverage: float) -> list[Polygon]:
    """1–3 rectangular buildings set back from the parcel edges, covering about `coverage` of it."""
    minx, miny, maxx, maxy = parcel.bounds
    w, d = maxx - minx, maxy - miny
    inset = min(w, d) * 0.12
    inner = box(minx + inset, miny + inset, maxx - inset, maxy - inset).intersection(parcel)
    if inner.is_empty or inner.area < 200:
        return []
    n = rng.choice([1, 1, 2, 3])
    ix0, iy0, ix1, iy1 = inner.bounds
    result = []
    side = math.sqrt(max(coverage, 0.05) * parcel.area / n)
    for i in range(n):
        bw = min(side * rng.uniform(0.8, 1.4), (ix1 - ix0) / n * 0.9)
        bd = min(parcel.area * coverage / n / max(bw, 1), (iy1 - iy0) * 0.9)
        bx = ix0 + i * (ix1 - ix0) / n + ((ix1 - ix0) / n - bw) / 2
        by = iy0 + ((iy1 - iy0) - bd) * rng.uniform(0.2, 0.8)
        b = box(bx, by, bx + bw, by + bd).intersection(inner)
        if not b.is_empty and b.area > 100 and b.geom_type == "Polygon":
            result.append(b)
    return result

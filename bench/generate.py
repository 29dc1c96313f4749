"""Generate a realistic district of N industrial parcels with building footprints, for benchmarks.

Industrial zones (blocks between roads, parcels of varying frontage — pandi.demo.layout) are laid
over the real 金东区 townships until N parcels fit; parcel sizes shrink as N grows so that even a
million parcels stay inside the district (a million parcels in 658 km² is about 0.06 ha each).
Writes GeoPackage (default) or GeoJSON files in CGCS2000 lon/lat with 宗地编号 attributes.

    python bench/generate.py 100000 --out var/bench/100k   # parcels.gpkg, buildings.gpkg
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pandi.demo.layout import ZoneSpec, footprints, place, zone_parcels  # noqa: E402
from pandi.domain.geo import GROUND_CRS, LONLAT_CRS, transformer  # noqa: E402

TOWNSHIPS = ROOT / "pandi" / "data" / "jindong_townships.geojson"
DISTRICT_AREA_M2 = 658e6


def _to_lonlat(geoms: np.ndarray) -> np.ndarray:
    t = transformer(GROUND_CRS, LONLAT_CRS)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def layout(n: int, seed: int = 7, progress=print) -> tuple[np.ndarray, random.Random]:
    """N parcels in industrial zones over the district, in the ground CRS (EPSG:4549, metres), and the
    random generator positioned after the layout (so callers continue the same sequence)."""
    features = json.loads(TOWNSHIPS.read_text(encoding="utf-8"))["features"]
    t = transformer(LONLAT_CRS, GROUND_CRS)
    district = unary_union([
        shapely.transform(shape(f["geometry"]), lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        for f in features
    ]).buffer(-10)
    shapely.prepare(district)
    # parcels cover about 55 % of the land they are laid on (roads, gaps, zone spacing)
    per_parcel = min(9000.0, DISTRICT_AREA_M2 * 0.45 / n)
    scale = math.sqrt(per_parcel / 9000.0)
    spec = ZoneSpec(blocks_x=5, blocks_y=3, block_w=320 * scale, block_d=220 * scale, road=max(18 * scale, 4),
                    min_frontage=45 * scale, max_frontage=140 * scale)
    zone_w = spec.blocks_x * (spec.block_w + spec.road) + 60 * scale
    zone_d = spec.blocks_y * (spec.block_d + spec.road) + 60 * scale
    rng = random.Random(seed)
    minx, miny, maxx, maxy = district.bounds
    parcels: list = []
    started = time.time()
    # zone centres on a jittered lattice, visited in random order until N parcels fit
    centres = [(x, y) for x in np.arange(minx, maxx, zone_w) for y in np.arange(miny, maxy, zone_d)]
    rng.shuffle(centres)
    for cx, cy in centres:
        if len(parcels) >= n:
            break
        cx += rng.uniform(-0.05, 0.05) * zone_w
        cy += rng.uniform(-0.05, 0.05) * zone_d
        polys = np.array([place(p, cx, cy, rng.uniform(-4, 4)) for p in zone_parcels(spec, rng)], dtype=object)
        inside = polys[shapely.contains(district, polys)]
        parcels.extend(inside[: n - len(parcels)])
        if len(parcels) and len(parcels) % 50000 < len(inside):
            progress(f"  {len(parcels):,} parcels ({time.time() - started:.0f} s)")
    if len(parcels) < n:
        raise SystemExit(f"only {len(parcels)} parcels fit; lower N")
    return np.array(parcels, dtype=object), rng


def generate(n: int, seed: int = 7, built_share: float = 0.6, progress=print):
    """Return (parcels, codes, buildings, building_codes) as numpy arrays of lon/lat geometries."""
    started = time.time()
    parcels_arr, rng = layout(n, seed, progress)
    codes = np.array([f"B{i:07d}" for i in range(n)], dtype=object)
    buildings, building_codes = [], []
    for i in range(n):
        if rng.random() < built_share:
            for b in footprints(parcels_arr[i], rng, rng.uniform(0.25, 0.55)):
                buildings.append(b)
                building_codes.append(codes[i])
    progress(f"  {n:,} parcels, {len(buildings):,} buildings generated in {time.time() - started:.1f} s")
    return (_to_lonlat(parcels_arr), codes, _to_lonlat(np.array(buildings, dtype=object)),
            np.array(building_codes, dtype=object))


def write(path: Path, geoms: np.ndarray, fields: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".geojson":
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {k: v[i] for k, v in fields.items()},
             "geometry": json.loads(shapely.to_geojson(g))} for i, g in enumerate(geoms)]}
        path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
        return
    from pyogrio.raw import write as ogr_write

    ogr_write(path, shapely.to_wkb(geoms), field_data=list(fields.values()), fields=list(fields), crs="EPSG:4490",
              geometry_type="Polygon", driver="GPKG", encoding="UTF-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=["gpkg", "geojson"], default="gpkg")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    parcels, codes, buildings, bcodes = generate(args.n, args.seed)
    ext = args.format
    write(args.out / f"parcels.{ext}", parcels, {"宗地编号": codes})
    write(args.out / f"buildings.{ext}", buildings, {"宗地编号": bcodes})
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

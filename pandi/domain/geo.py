"""Geometry on the ground: areas in CGCS2000 3-degree Gauss–Krüger CM 120°E (EPSG:4549), bounding
boxes, simplification and point-in-township lookup. Geometries come and go as GeoJSON dicts in
CGCS2000 lon/lat (EPSG:4490; WGS84 agrees within centimetres)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

GROUND_CRS = "EPSG:4549"
LONLAT_CRS = "EPSG:4490"


@lru_cache(maxsize=8)
def transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_ground(geom: BaseGeometry) -> BaseGeometry:
    t = transformer(LONLAT_CRS, GROUND_CRS)
    return shapely.transform(geom, lambda xy: _stack(t.transform(xy[:, 0], xy[:, 1])))


def from_ground(geom: BaseGeometry) -> BaseGeometry:
    t = transformer(GROUND_CRS, LONLAT_CRS)
    return shapely.transform(geom, lambda xy: _stack(t.transform(xy[:, 0], xy[:, 1])))


def _stack(xy: tuple[Any, Any]):
    import numpy as np

    return np.column_stack(xy)


def ground_area_m2(geometry: dict[str, Any] | BaseGeometry) -> Decimal:
    geom = shape(geometry) if isinstance(geometry, dict) else geometry
    return Decimal(str(round(to_ground(geom).area, 2)))


def ground_areas_m2(geoms: Iterable[BaseGeometry]) -> list[float]:
    """Vectorised areas for many lon/lat geometries at once."""
    arr = list(geoms)
    t = transformer(LONLAT_CRS, GROUND_CRS)
    projected = shapely.transform(arr, lambda xy: _stack(t.transform(xy[:, 0], xy[:, 1])))
    return [float(a) for a in shapely.area(projected)]


def bbox(geometry: dict[str, Any] | BaseGeometry) -> tuple[float, float, float, float]:
    geom = shape(geometry) if isinstance(geometry, dict) else geometry
    return tuple(float(v) for v in geom.bounds)  # type: ignore[return-value]


def as_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON dict with lists (as it comes back from the database), not shapely's tuples."""
    return json.loads(shapely.to_geojson(geom))


def simplified(geometry: dict[str, Any], tolerance_deg: float = 2e-5) -> dict[str, Any]:
    """A lighter copy for maps (2e-5° ≈ 2 m, coordinates to 1e-6° ≈ 0.1 m), topology preserved."""
    simple = shape(geometry).simplify(tolerance_deg, preserve_topology=True)
    return as_geojson(shapely.set_precision(simple, 1e-6))


def rounded(geometry: dict[str, Any], digits: int = 7) -> dict[str, Any]:
    """Coordinates rounded to 1e-7° (≈ 1 cm) for storage."""
    return as_geojson(shapely.set_precision(shape(geometry), 10 ** -digits))


def representative_point(geometry: dict[str, Any]) -> tuple[float, float]:
    p = shape(geometry).representative_point()
    return float(p.x), float(p.y)


class TownshipLocator:
    """Which township a geometry lies in (the one holding the largest share of its area)."""

    def __init__(self, townships: Iterable[tuple[Any, dict[str, Any]]]):
        self.keys: list[Any] = []
        geoms: list[BaseGeometry] = []
        for key, boundary in townships:
            if boundary:
                self.keys.append(key)
                geoms.append(shape(boundary))
        self.geoms = geoms
        self.tree = shapely.STRtree(geoms) if geoms else None

    def locate(self, geometry: dict[str, Any] | BaseGeometry) -> Any | None:
        if self.tree is None:
            return None
        geom = shape(geometry) if isinstance(geometry, dict) else geometry
        best, best_area = None, 0.0
        for i in self.tree.query(geom):
            g = self.geoms[int(i)]
            if not g.intersects(geom):
                continue
            area = g.intersection(geom).area if geom.area else 1.0
            if area > best_area:
                best, best_area = self.keys[int(i)], area
        return best


def derive_many(geometries: list[dict[str, Any]], simplify_deg: float = 2e-5,
                digits: int = 7) -> list[dict[str, Any]]:
    """Everything the registry stores for many lon/lat (multi)polygons, vectorised: the rounded
    geometry, a simplified copy, bbox, a representative point and the ground area (m²)."""
    import numpy as np

    geoms = np.array([shape(g) for g in geometries], dtype=object)
    if len(geoms) == 0:
        return []
    geoms = shapely.set_precision(geoms, 10 ** -digits)
    simple = shapely.set_precision(shapely.simplify(geoms, simplify_deg, preserve_topology=True), 1e-6)
    bounds = shapely.bounds(geoms)
    points = shapely.point_on_surface(geoms)
    px, py = shapely.get_x(points), shapely.get_y(points)
    t = transformer(LONLAT_CRS, GROUND_CRS)
    areas = shapely.area(shapely.transform(geoms, lambda xy: _stack(t.transform(xy[:, 0], xy[:, 1]))))
    geo_json = shapely.to_geojson(geoms)
    simple_json = shapely.to_geojson(simple)
    return [
        {"geometry": json.loads(g), "geometry_simple": json.loads(s), "min_lon": float(b[0]), "min_lat": float(b[1]),
         "max_lon": float(b[2]), "max_lat": float(b[3]), "centroid_lon": float(x), "centroid_lat": float(y),
         "area_m2": Decimal(str(round(float(a), 2)))}
        for g, s, b, x, y, a in zip(geo_json, simple_json, bounds, px, py, areas, strict=True)
    ]


def locate_many(locator: TownshipLocator, geometries: list[dict[str, Any]]) -> list[Any]:
    """TownshipLocator.locate for many geometries, using one STRtree bulk query."""
    import numpy as np

    if locator.tree is None or not geometries:
        return [None] * len(geometries)
    geoms = np.array([shape(g) for g in geometries], dtype=object)
    pairs = locator.tree.query(geoms, predicate="intersects")
    best: dict[int, tuple[float, Any]] = {}
    for gi, ti in zip(pairs[0], pairs[1], strict=True):
        inter = locator.geoms[int(ti)].intersection(geoms[int(gi)]).area
        if inter > best.get(int(gi), (0.0, None))[0] or int(gi) not in best:
            best[int(gi)] = (inter, locator.keys[int(ti)])
    return [best.get(i, (0.0, None))[1] for i in range(len(geometries))]

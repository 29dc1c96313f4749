"""A small server-side drawing of polygons as SVG paths (no JavaScript, prints well)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def _rings(geometry: dict[str, Any]) -> Iterable[list[list[float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon


def svg_paths(shapes: list[dict[str, Any]], *, width: int = 600, height: int = 400, pad: int = 8) -> dict[str, Any]:
    """Project GeoJSON geometries (lon/lat) into an SVG viewport.

    `shapes` are dicts with "geometry" and anything else (passed through). Returns the viewBox size
    and, per shape, an SVG path `d` and a label position.
    """
    points = [pt for s in shapes for ring in _rings(s["geometry"]) for pt in ring]
    if not points:
        return {"width": width, "height": height, "shapes": []}
    min_x = min(p[0] for p in points)
    max_x = max(p[0] for p in points)
    min_y = min(p[1] for p in points)
    max_y = max(p[1] for p in points)
    kx = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * kx, 1e-9)
    span_y = max(max_y - min_y, 1e-9)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def xy(p: list[float]) -> tuple[float, float]:
        return off_x + (p[0] - min_x) * kx * scale, height - (off_y + (p[1] - min_y) * scale)

    out = []
    for s in shapes:
        parts = []
        sx = sy = n = 0.0
        for ring in _rings(s["geometry"]):
            pts = [xy(p) for p in ring]
            if len(pts) < 3:
                continue
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
            for x, y in pts:
                sx, sy, n = sx + x, sy + y, n + 1
        item = {k: v for k, v in s.items() if k != "geometry"}
        item["d"] = "".join(parts)
        item["label_x"] = round(sx / n, 1) if n else 0
        item["label_y"] = round(sy / n, 1) if n else 0
        out.append(item)
    return {"width": width, "height": height, "shapes": out}

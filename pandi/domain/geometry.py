"""Checks on polygons given as GeoJSON in CGCS2000/WGS84 lon/lat."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity

# Mainland China's extent, generously: anything outside is not lon/lat of a Chinese parcel.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


def extract_geometry(data: Any) -> dict[str, Any]:
    """The single (multi)polygon in a GeoJSON geometry, Feature or one-feature FeatureCollection."""
    if not isinstance(data, dict):
        raise ValueError("不是 GeoJSON 对象")
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValueError(f"要素集合中应只有 1 个要素，实际为 {len(features)} 个")
        return extract_geometry(features[0])
    if kind == "Feature":
        return extract_geometry(data.get("geometry"))
    if kind in ("Polygon", "MultiPolygon"):
        return data
    raise ValueError(f"几何类型应为 Polygon 或 MultiPolygon，实际为 {kind or '空'}")


def _points(geometry: dict[str, Any]):
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def boundary_problems(geometry: dict[str, Any]) -> list[str]:
    """Why a lon/lat (multi)polygon cannot be used as a boundary — empty when it can."""
    try:
        points = [(float(p[0]), float(p[1])) for p in _points(geometry)]
    except (KeyError, TypeError, ValueError, IndexError):
        return ["坐标格式错误：每个点应为 [经度, 纬度]"]
    if not points:
        return ["没有坐标"]
    lon_ok = all(LON_RANGE[0] <= x <= LON_RANGE[1] for x, _ in points)
    lat_ok = all(LAT_RANGE[0] <= y <= LAT_RANGE[1] for _, y in points)
    if not (lon_ok and lat_ok):
        swapped = all(LON_RANGE[0] <= y <= LON_RANGE[1] and LAT_RANGE[0] <= x <= LAT_RANGE[1] for x, y in points)
        if swapped:
            return ["经纬度顺序颠倒：坐标应为 [经度, 纬度]"]
        x, y = points[0]
        return [f"坐标（{x}, {y}）不是中国范围内的经纬度（可能是投影坐标，请转换为 CGCS2000 经纬度）"]
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed rings
        return [f"几何无法解析：{exc}"]
    if geom.is_empty:
        return ["几何为空"]
    if not geom.is_valid:
        return [f"几何无效：{validity_reason_zh(explain_validity(geom))}"]
    return []


VALIDITY_REASONS_ZH = {
    "Ring Self-intersection": "环自相交",
    "Self-intersection": "边界自相交",
    "Too few points": "点数不足",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "面内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
}


def validity_reason_zh(reason: str) -> str:
    """GEOS's explanation ("Self-intersection[119.71 29.11]") in Chinese, with the location kept."""
    name, _, rest = reason.partition("[")
    label = VALIDITY_REASONS_ZH.get(name.strip(), name.strip())
    if rest:
        coords = rest.rstrip("]").split()
        if len(coords) == 2:
            return f"{label}（位置：经度 {coords[0]}，纬度 {coords[1]}）"
    return label

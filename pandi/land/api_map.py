"""Map data for the Leaflet island: parcels by bounding box (polygons when zoomed in, a grid of
counts by state when zoomed out), township boundaries and a search — all scoped with visible_to,
all from values() queries, never the whole table."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router

from .selectors import (
    DENSE_MAX_ZOOM,
    FEATURE_CAP,
    FEATURE_MIN_ZOOM,
    inventory_features,
    map_parcels,
    map_search,
    map_townships,
    parse_bbox,
)

router = Router(tags=["地图数据"])


@router.get("/parcels", url_name="map_parcels", summary="视野内的宗地（按缩放级别返回边界或聚合格网）",
            description=(
                f"`bbox=最小经度,最小纬度,最大经度,最大纬度`（CGCS2000/WGS84）。缩放级别 ≥ {FEATURE_MIN_ZOOM} 时返回"
                f"简化边界（GeoJSON FeatureCollection，`mode=features`），最多 {FEATURE_CAP} 宗；视野内宗地更多时 "
                f"先按格网聚合（`dense=true`），{DENSE_MAX_ZOOM} 级起只返回面积最大的 {FEATURE_CAP} 宗并标 "
                "`truncated=true`；低于该级别时返回按格网聚合的宗数与各状态宗数（`mode=clusters`）。"
                "可按乡镇（街道）编号 `township` 与状态 `state`（逗号分隔）筛选。`layer=screening` 时按最近一次"
                "保存的筛查结果着色（状态值为筛查状态），`layer=rectification` 时按覆盖该宗地的最新整改方案状态着色。"
                "只含当前用户可见的宗地。"))
def parcels(request: HttpRequest, bbox: str | None = None, zoom: int = Query(12, ge=0, le=22),
            township: str | None = None, state: str | None = None, layer: str | None = None) -> dict[str, Any]:
    try:
        box = parse_bbox(bbox)
    except ValueError as exc:
        raise ValidationError({"bbox": [str(exc)]}) from exc
    if layer not in (None, "", "construction", "screening", "rectification"):
        raise ValidationError({"layer": [f"图层“{layer}”无效，应为 construction、screening 或 rectification"]})
    return map_parcels(user=request.user, bbox=box, zoom=zoom, township=township, state=state, layer=layer)


@router.get("/inventory", url_name="map_inventory", summary="清单地块（已确认清单的条目，含清单编号）")
def inventory(request: HttpRequest, township: str | None = None) -> dict[str, Any]:
    return inventory_features(user=request.user, township=township)


@router.get("/townships", url_name="map_townships", summary="乡镇（街道）边界（按数据范围）")
def townships(request: HttpRequest) -> dict[str, Any]:
    return map_townships(user=request.user)


@router.get("/search", url_name="map_search", summary="按宗地编号、电子监管号、名称或权利人查找宗地（含范围框）")
def search(request: HttpRequest, q: str = "", limit: int = Query(20, ge=1, le=50)) -> dict[str, Any]:
    return {"results": map_search(user=request.user, q=q, limit=limit)}

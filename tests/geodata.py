"""Geodata files for tests, built at test time (no binary fixtures in the repository).

Shapes are drawn on the ground in CGCS2000 3-degree GK CM 120E (EPSG:4549, metres), where their
areas are exact, and written in whatever CRS and format a test needs: lon/lat, EPSG:4549 or
EPSG:4528 (the same with the zone prefix 40 in front of the easting), as GeoJSON, zipped
Shapefile (UTF-8 with .cpg, or GBK without), GeoPackage or 勘测定界 TXT.
"""

from __future__ import annotations

import io
import json
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, box, mapping

from pandi.domain.crs import from_lonlat_xy, geoms_from_lonlat, to_lonlat_xy
from pandi.domain.geo import transformer

Feature = tuple[dict[str, Any], Any]  # (attributes, shapely geometry in the file's CRS)


def ground_xy(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:4549 easting/northing of a lon/lat point."""
    return transformer("EPSG:4490", "EPSG:4549").transform(lon, lat)


def ground_rect(lon: float, lat: float, width_m: float, height_m: float,
                hole_m: float | None = None) -> Polygon:
    """A rectangle on the ground (EPSG:4549) with its south-west corner at lon/lat, optionally with
    a square hole of `hole_m` metres in the middle. Area = width × height − hole²."""
    x, y = ground_xy(lon, lat)
    outer = box(x, y, x + width_m, y + height_m)
    if not hole_m:
        return outer
    cx, cy = x + width_m / 2, y + height_m / 2
    inner = box(cx - hole_m / 2, cy - hole_m / 2, cx + hole_m / 2, cy + hole_m / 2)
    return Polygon(outer.exterior.coords, [inner.exterior.coords[::-1]])


def from_ground(geom: Any, epsg: int) -> Any:
    """A ground geometry (EPSG:4549) in EPSG:4490/4326 (lon/lat), 4549, or 4528 (zone prefix)."""
    if epsg == 4549:
        return geom
    if epsg == 4528:
        return shapely.transform(geom, lambda xy: xy + np.array([40_000_000.0, 0.0]))
    if epsg in (4490, 4326):
        def tx(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_lonlat_xy(xy[:, 0], xy[:, 1], _crs(4549))
            return np.column_stack([lon, lat])
        return shapely.transform(geom, tx)
    return geoms_from_lonlat(from_ground(geom, 4490), f"EPSG:{epsg}")


def _crs(epsg: int):
    from pyproj import CRS

    return CRS.from_epsg(epsg)


def swap_xy(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def lonlat_to_ground(geom: Any) -> Any:
    def tx(xy: np.ndarray) -> np.ndarray:
        x, y = from_lonlat_xy(xy[:, 0], xy[:, 1], "EPSG:4549")
        return np.column_stack([x, y])
    return shapely.transform(geom, tx)


# --- writers ------------------------------------------------------------------------------------------

def geojson_bytes(features: Sequence[Feature], crs_name: str | None = None) -> bytes:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom) if geom is not None else None}
        for props, geom in features
    ]}
    if crs_name:
        doc["crs"] = {"type": "name", "properties": {"name": crs_name}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _columns(features: Sequence[Feature]) -> tuple[list[str], list[np.ndarray]]:
    names: list[str] = []
    for props, _ in features:
        for k in props:
            if k not in names:
                names.append(k)
    arrays = []
    for name in names:
        values = [props.get(name) for props, _ in features]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values if v is not None) \
                and any(v is not None for v in values):
            arrays.append(np.array([np.nan if v is None else float(v) for v in values]))
        else:
            arrays.append(np.array(["" if v is None else str(v) for v in values], dtype=object))
    return names, arrays


def _write(path: Path, features: Sequence[Feature], epsg: int | None, driver: str, encoding: str | None = None,
           layer: str | None = None) -> None:
    import pyogrio.raw

    names, arrays = _columns(features)
    geoms = np.array([g for _, g in features], dtype=object)
    types = {g.geom_type for g in geoms if g is not None}
    geometry_type = types.pop() if len(types) == 1 else "Unknown"
    if driver == "ESRI Shapefile" and geometry_type == "Unknown":
        geometry_type = "MultiPolygon"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.raw.write(str(path), shapely.to_wkb(geoms), arrays, names, driver=driver,
                          geometry_type=geometry_type, crs=f"EPSG:{epsg}" if epsg else None, encoding=encoding,
                          layer=layer)


def shapefile_zip(features: Sequence[Feature], epsg: int | None, *, encoding: str = "UTF-8", cpg: bool = True,
                  prj: bool = True, stem: str = "宗地") -> bytes:
    """A zipped Shapefile. `encoding` is the .dbf's; `cpg=False` leaves the .cpg out (then GBK is
    assumed by the importer)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "layer.shp"
        _write(path, features, epsg, "ESRI Shapefile", encoding=encoding)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(Path(tmp).iterdir()):
                if (file.suffix == ".cpg" and not cpg) or (file.suffix == ".prj" and not prj):
                    continue
                archive.write(file, f"{stem}{file.suffix}")
        return buffer.getvalue()


def gpkg_bytes(features: Sequence[Feature], epsg: int | None, layer: str = "宗地") -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.gpkg"
        _write(path, features, epsg, "GPKG", layer=layer)
        return path.read_bytes()


def survey_txt(parcels: Sequence[tuple[dict[str, str], Any]], *, zone_prefix: bool = True, encoding: str = "gbk",
               zone_in_header: bool = True) -> bytes:
    """A 勘测定界 file. Each parcel: ({"地块编号", "地块名称", "地块用途", "地类编码", "地块面积"}, ground
    polygon in EPSG:4549). Points are written X = northing, Y = easting (prefixed with 40)."""
    lines = ["[属性描述]", "格式版本号=1.01版本", "数据产生单位=测试测绘院", "坐标系=2000国家大地坐标系", "几度分带=3",
             "投影类型=高斯克吕格", "计量单位=米"]
    if zone_in_header:
        lines.append("带号=40")
    lines += ["精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    prefix = 40_000_000 if zone_prefix else 0
    for attrs, geom in parcels:
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        rings = []
        for poly in polys:
            rings.append(list(poly.exterior.coords))
            rings.extend(list(r.coords) for r in poly.interiors)
        count = sum(len(r) for r in rings)
        area_ha = attrs.get("地块面积", f"{geom.area / 10000:.4f}")
        lines.append(f"{count},{area_ha},{attrs.get('地块编号', '')},{attrs.get('地块名称', '')},面,,"
                     f"{attrs.get('地块用途', '')},{attrs.get('地类编码', '')},@")
        for ring_no, ring in enumerate(rings, start=1):
            for k, (x, y) in enumerate(ring, start=1):
                label = f"J{k}" if k < len(ring) else "J1"
                lines.append(f"{label},{ring_no},{y:.3f},{x + prefix:.3f}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# --- reading downloads back -----------------------------------------------------------------------------

def download_text(content: bytes) -> str:
    """All text inside a download, for "does it mention X" checks: the members of an .xlsx or a
    .zip (Shapefile) are unpacked, a GeoPackage (SQLite) and JSON are read as UTF-8 bytes."""
    import html

    if content[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # XML members may carry non-ASCII text as character references (&#19996;): unescape them
            return "\n".join(html.unescape(archive.read(n).decode("utf-8", errors="ignore"))
                             for n in archive.namelist())
    return content.decode("utf-8", errors="ignore")


def read_layer(content: bytes, suffix: str) -> tuple[list[str], list[dict[str, Any]]]:
    """(field names, attribute dicts) of a GeoJSON, GeoPackage or zipped Shapefile download."""
    import pyogrio.raw

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"download.{suffix}"
        path.write_bytes(content)
        target = f"/vsizip/{path}" if suffix == "zip" else str(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _, _, values = pyogrio.raw.read(target)
    names = [str(n) for n in meta["fields"]]
    return names, [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)] if values else []

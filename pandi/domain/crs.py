"""Coordinate reference systems of incoming files: what a file declares, what its coordinate
ranges say, and the transformation of its geometries to CGCS2000 lon/lat (EPSG:4490).

The systems Chinese land data arrives in (import-formats.md §2):

- lon/lat: CGCS2000 (EPSG:4490) or WGS84 (EPSG:4326, CRS84) — the same within centimetres;
- CGCS2000 3-degree Gauss–Krüger, x = easting, y = northing:
  without zone prefix (EPSG:4534–4554, "CM 120E" = EPSG:4549, x ≈ 300 000–700 000) or with the
  zone number in front of the easting (EPSG:4513–4533, zone 40 = EPSG:4528, x ≈ 40 300 000–40 700 000);
- CGCS2000 6-degree Gauss–Krüger with zone prefix (EPSG:4491–4501, zones 13–23).

Ranges cannot tell the central meridian of an easting without prefix: it is taken to be the
district's (120°E, EPSG:4549). An unprefixed easting outside 250 000–750 000 (a 6-degree or UTM
projection) is not guessed: the file has to say (.prj). Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

LONLAT = "EPSG:4490"

LON_RANGE = (73.0, 136.0)  # mainland China, generously (as pandi.domain.geometry)
LAT_RANGE = (3.0, 54.0)
NORTHING_RANGE = (3.0e5, 6.2e6)  # Gauss–Krüger northings of 3°N … 54°N
EASTING_3DEG = (2.5e5, 7.5e5)  # ±1.5° of the central meridian, with margin
EASTING_IN_ZONE = (1.0e5, 9.0e5)  # remainder of a prefixed easting (3° or 6° zone)

DISTRICT_CM = 120  # 金东区 lies in 3-degree zone 40 (CM 120°E)

HOW_DECLARED = "文件声明"
HOW_DETECTED = "由坐标范围判断"


def epsg_3deg_cm(cm: int) -> int:
    """CGCS2000 3-degree GK, central meridian `cm`°E, no zone prefix (CM 75E = 4534 … CM 135E = 4554)."""
    return 4534 + (cm - 75) // 3


def epsg_3deg_zone(zone: int) -> int:
    """CGCS2000 3-degree GK with zone prefix (zone 25 = 4513 … zone 45 = 4533)."""
    return 4513 + zone - 25


def epsg_6deg_zone(zone: int) -> int:
    """CGCS2000 6-degree GK with zone prefix (zone 13 = 4491 … zone 23 = 4501)."""
    return 4491 + zone - 13


# --- detection from ranges ------------------------------------------------------------------------

def _classify_xy(minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray, maxy: np.ndarray,
                 default_cm: int) -> np.ndarray:
    """EPSG code per bounding box (0 = not recognised), reading x as lon/easting, y as lat/northing."""
    out = np.zeros(minx.shape, dtype=np.int32)
    with np.errstate(invalid="ignore"):
        lonlat = (minx >= LON_RANGE[0]) & (maxx <= LON_RANGE[1]) & (miny >= LAT_RANGE[0]) & (maxy <= LAT_RANGE[1])
        north = (miny >= NORTHING_RANGE[0]) & (maxy <= NORTHING_RANGE[1])
        plain = north & (minx >= EASTING_3DEG[0]) & (maxx <= EASTING_3DEG[1])
        zone = np.floor(np.nan_to_num(minx) / 1e6).astype(np.int64)
        zone_max = np.floor(np.nan_to_num(maxx) / 1e6).astype(np.int64)
        rem_min = minx - zone * 1e6
        rem_max = maxx - zone * 1e6
        prefixed = north & (zone == zone_max) & (rem_min >= EASTING_IN_ZONE[0]) & (rem_max <= EASTING_IN_ZONE[1])
    out[lonlat] = 4490
    out[plain] = epsg_3deg_cm(default_cm)
    three = prefixed & (zone >= 25) & (zone <= 45)
    out[three] = epsg_3deg_zone(25) + (zone[three] - 25)
    six = prefixed & (zone >= 13) & (zone <= 23)
    out[six] = epsg_6deg_zone(13) + (zone[six] - 13)
    return out


def classify_bounds(bounds: Any, default_cm: int = DISTRICT_CM) -> tuple[np.ndarray, np.ndarray]:
    """For each bounding box (minx, miny, maxx, maxy) the EPSG code its ranges fit (0 = none) and
    whether it fits only with x and y swapped (lat/lon, or northing/easting)."""
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    minx, miny, maxx, maxy = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    codes = _classify_xy(minx, miny, maxx, maxy, default_cm)
    swapped_codes = _classify_xy(miny, minx, maxy, maxx, default_cm)
    swapped = (codes == 0) & (swapped_codes != 0)
    codes = np.where(swapped, swapped_codes, codes)
    return codes, swapped


@dataclass(frozen=True)
class Detected:
    epsg: int | None
    swapped: bool = False


def detect(minx: float, miny: float, maxx: float, maxy: float, default_cm: int = DISTRICT_CM) -> Detected:
    """The CRS one bounding box fits, by its ranges alone."""
    codes, swapped = classify_bounds([(minx, miny, maxx, maxy)], default_cm)
    return Detected(int(codes[0]) or None, bool(swapped[0]))


# --- what a file declares ---------------------------------------------------------------------------

def parse_crs(value: Any) -> CRS | None:
    """A CRS from anything a file may carry: "EPSG:4528", "urn:ogc:def:crs:EPSG::4490", a number,
    WKT (a .prj), a GeoJSON `crs` member. None when it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):  # GeoJSON 2008 crs member: {"type": "name", "properties": {"name": ...}}
        props = value.get("properties") or {}
        value = props.get("name") or props.get("code") or props.get("href")
        if value is None:
            return None
    if isinstance(value, bytes):
        value = decode_prj(value)
    if isinstance(value, str):
        value = value.strip().lstrip("\ufeff")
        if value.isdigit():
            value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError):
        return None


def decode_prj(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1", errors="replace")


def epsg_of(crs: CRS) -> int | None:
    """The EPSG code of a CRS, also for ESRI WKT from .prj files ("CGCS2000_3_Degree_GK_CM_120E")."""
    code = crs.to_epsg()
    if code is None:
        code = crs.to_epsg(min_confidence=60)
    if code is None and crs.name in ("WGS 84 (CRS84)", "WGS84 (CRS84)"):
        code = 4326
    return code


def crs_id(crs: CRS) -> str:
    """A short identifier for storing and showing: "EPSG:4528", else the CRS's name."""
    code = epsg_of(crs)
    return f"EPSG:{code}" if code else crs.name


def is_lonlat_equivalent(crs: CRS) -> bool:
    """lon/lat in CGCS2000 or WGS84: the coordinates are used as they are."""
    if not crs.is_geographic:
        return False
    code = epsg_of(crs)
    if code in (4490, 4326):
        return True
    datum = (crs.datum.name if crs.datum else "").lower()
    return ("china" in datum and "2000" in datum) or datum in ("world geodetic system 1984", "wgs_1984")


# --- transformation ---------------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _transformer(src_wkt: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src_wkt), dst, always_xy=True)


def to_lonlat_xy(x: Any, y: Any, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays (x = lon/easting, y = lat/northing) to CGCS2000 lon/lat."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if is_lonlat_equivalent(crs):
        return x, y
    t = _transformer(crs.to_wkt(), LONLAT)
    lon, lat = t.transform(x, y, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def from_lonlat_xy(lon: Any, lat: Any, crs: CRS | str) -> tuple[np.ndarray, np.ndarray]:
    crs = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if is_lonlat_equivalent(crs):
        return lon, lat
    t = Transformer.from_crs(LONLAT, crs, always_xy=True)
    x, y = t.transform(lon, lat, errcheck=False)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def geoms_to_lonlat(geoms: Any, crs: CRS) -> Any:
    """Shapely geometries (one or an array) in `crs` to CGCS2000 lon/lat — one vectorised call."""
    if is_lonlat_equivalent(crs):
        return geoms

    def _tx(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat_xy(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, _tx)


def geoms_from_lonlat(geoms: Any, crs: CRS | str) -> Any:
    def _tx(xy: np.ndarray) -> np.ndarray:
        x, y = from_lonlat_xy(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([x, y])

    return shapely.transform(geoms, _tx)


def in_china_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ((lon >= LON_RANGE[0]) & (lon <= LON_RANGE[1]) & (lat >= LAT_RANGE[0]) & (lat <= LAT_RANGE[1])
                & np.isfinite(lon) & np.isfinite(lat))


# --- one file's CRS ------------------------------------------------------------------------------------

OK, SWAPPED, MISMATCH = 0, 1, 2


@dataclass
class CrsResolution:
    """The CRS a file's coordinates are read in, how it was decided, and each feature's fit."""

    crs: CRS | None
    how: str = ""  # HOW_DECLARED or HOW_DETECTED
    notes: list[str] = field(default_factory=list)
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # OK / SWAPPED / MISMATCH
    problem: str = ""  # why no CRS could be chosen (file-level error)

    @property
    def id(self) -> str:
        return crs_id(self.crs) if self.crs is not None else ""

    @property
    def label(self) -> str:
        """What the import says it used, e.g. "EPSG:4528（由坐标范围判断）"."""
        return f"{self.id}（{self.how}）" if self.crs is not None else ""

    @property
    def is_lonlat(self) -> bool:
        return self.crs is not None and self.crs.is_geographic


def _centres(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def _fits(crs: CRS, b: np.ndarray) -> np.ndarray:
    """Per box: do its corners land in China when read in `crs`?"""
    ok = np.ones(len(b), dtype=bool)
    for xi, yi in ((0, 1), (2, 3)):
        lon, lat = to_lonlat_xy(b[:, xi], b[:, yi], crs)
        ok &= in_china_lonlat(lon, lat)
    return ok


def resolve(bounds: Any, declared: CRS | None = None, default_cm: int = DISTRICT_CM) -> CrsResolution:
    """Choose a file's CRS from what it declares and its features' bounding boxes (n × 4,
    NaN rows for empty geometries), and judge every feature against it.

    A declared CRS is used when most features read as coordinates in China with it; otherwise
    (a .prj that says lon/lat over projected numbers, a CM 120E .prj over zone-prefixed eastings)
    the ranges decide and a note says so.
    """
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    present = np.all(np.isfinite(b), axis=1)
    codes, swapped = classify_bounds(b, default_cm)
    res = CrsResolution(crs=None, status=np.full(len(b), MISMATCH, dtype=np.int8))
    if not present.any():
        res.problem = "文件中没有可用的几何"
        return res
    if declared is not None:
        fit = _fits(declared, b[present])
        if fit.mean() >= 0.5:
            res.crs, res.how = declared, HOW_DECLARED
    if res.crs is None:
        usable = codes[present & ~swapped]
        if len(usable) and (usable != 0).any():
            values, counts = np.unique(usable[usable != 0], return_counts=True)
            code = int(values[np.argmax(counts)])
        else:
            values, counts = np.unique(codes[present & (codes != 0)], return_counts=True)
            code = int(values[np.argmax(counts)]) if len(values) else 0
        if code == 0:
            sample = b[present][0]
            res.problem = (f"无法判断坐标系：坐标（{sample[0]:.6g}, {sample[1]:.6g}）既不是经纬度，也不是 CGCS2000 "
                           f"3 度带高斯投影坐标；请附上 .prj 文件或转换为 CGCS2000 经纬度")
            return res
        res.crs, res.how = CRS.from_epsg(code), HOW_DETECTED
        if declared is not None and (epsg_of(declared) == code or (code == 4490 and is_lonlat_equivalent(declared))):
            res.crs, res.how = declared, HOW_DECLARED  # the declaration was right; the features are swapped
        elif declared is not None:
            res.notes.append(f"文件声明的坐标系 {crs_id(declared)} 与坐标数值不符，"
                             f"已按坐标范围判断为 {crs_id(res.crs)}")
        if res.how == HOW_DETECTED and code == epsg_3deg_cm(default_cm):
            res.notes.append(f"东坐标无带号前缀，按本区所在 3 度带中央经线 {default_cm}°E 处理")
    fit = np.zeros(len(b), dtype=bool)
    fit[present] = _fits(res.crs, b[present])
    res.status[fit] = OK
    same_family = _same_family(codes, res.crs)
    res.status[~fit & swapped & same_family] = SWAPPED
    return res


def _same_family(codes: np.ndarray, crs: CRS) -> np.ndarray:
    """Whether each detected code is the same kind of system as `crs` (both lon/lat, or both projected)."""
    if crs.is_geographic:
        return codes == 4490
    return (codes != 0) & (codes != 4490)


def swap_message(bounds: Any, lonlat: bool) -> str:
    """The error for a feature whose axes are swapped, naming the swap and its numbers."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    x, y = (minx + maxx) / 2, (miny + maxy) / 2
    if lonlat:
        return (f"经纬度顺序颠倒：X 应为经度、Y 应为纬度，本要素 X≈{x:.4f}（像纬度）、Y≈{y:.4f}（像经度）")
    return (f"X、Y 坐标颠倒：X 应为东坐标（横坐标）、Y 应为北坐标（纵坐标），本要素 X≈{x:.0f}（像北坐标）、"
            f"Y≈{y:.0f}（像东坐标）")


def mismatch_message(bounds: Any, res: CrsResolution) -> str:
    minx, miny = float(bounds[0]), float(bounds[1])
    return f"坐标（{minx:.6g}, {miny:.6g}）不符合文件坐标系 {res.id}，换算后不在中国范围内"

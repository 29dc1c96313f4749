"""Parcel boundaries and building footprints (import-formats.md §2–4).

Files: GeoJSON (.geojson/.json), zipped Shapefile (.zip with .shp/.shx/.dbf, attribute encoding
from .cpg else GBK), GeoPackage (.gpkg) and 勘测定界 coordinate files (.txt). Every file goes
through the same steps, vectorised with shapely over all features at once:

1. read the features (pyogrio; the TXT parser for .txt) and what the file declares about its CRS;
2. choose the CRS (declared, else from the coordinate ranges — `pandi.domain.crs`), say which in
   `ctx.crs`; features with swapped axes or foreign coordinates are errors;
3. transform to CGCS2000 lon/lat, make single-part multipolygons plain polygons;
4. repair invalid polygons where safe (make_valid keeping the polygonal parts, or buffer(0)) with a
   warning; a repair that changes the area by more than 1 % is an error;
5. refuse polygons outside the district (the union of the township boundaries);
6. parcels: join by 宗地编号 (or 电子监管号); compare with what is stored (both rounded to 1e-7°
   as the services store them) — equal means unchanged and nothing is written;
   buildings: attach by 宗地编号, else to the parcel holding the footprint's representative point;
   a footprint already stored on the same parcel with the same geometry is not duplicated.

Writes go through `parcel_create` / `parcel_update(geometry=...)` / `building_create` only.
"""

from __future__ import annotations

import bisect
import io
import json
import math
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from pandi.domain import crs as crsmod
from pandi.domain import surveytxt
from pandi.domain.geo import TownshipLocator
from pandi.domain.geometry import validity_reason_zh

from ..models import Building, Parcel
from .common import ImportContext, register

PRECISION = 1e-7  # the services store lon/lat rounded to 1e-7° (pandi.domain.geo.rounded)
EQUAL_TOLERANCE = PRECISION / 2
MAX_REPAIR_CHANGE = 0.01  # a repair may change the area by at most 1 %
DISTRICT_TOLERANCE_DEG = 0.002  # ≈ 200 m: township boundaries are accurate to tens of metres
PARTLY_OUTSIDE_WARNING = 0.10  # warn when more than 10 % of a polygon lies outside the district
WRITE_BATCH = 1000  # rows per bulk service call, and a progress message after each
SQL_CHUNK = 900  # ids per `IN (...)` query (SQLite's old variable limit is 999)

POLYGON, MULTIPOLYGON, COLLECTION = 3, 6, 7

# --- attribute names ---------------------------------------------------------------------------------
# Matched after normalising: lower case, spaces/underscores removed, units in brackets dropped.

CODE_ALIASES = ("宗地编号", "宗地号", "宗地代码", "地块编号", "zdbh", "zddm", "dkbh", "parcelcode", "parcelno", "code")
SUPERVISION_ALIASES = ("电子监管号", "监管号", "dzjgh", "jgh", "supervisionno", "supervision")
PARCEL_ALIASES: dict[str, tuple[str, ...]] = {
    "code": CODE_ALIASES,
    "supervision_no": SUPERVISION_ALIASES,
    "name": ("地块名称", "宗地名称", "项目名称", "名称", "dkmc", "zdmc", "xmmc", "name", "parcelname"),
    "land_use": ("土地用途", "地块用途", "用途", "tdyt", "dkyt", "landuse"),
    "land_use_code": ("地类编码", "地类代码", "dlbm", "landusecode"),
    "township": ("乡镇街道", "乡镇", "街道", "乡镇名称", "所在乡镇", "xzjd", "xzmc", "township"),
}
BUILDING_ALIASES: dict[str, tuple[str, ...]] = {
    "code": CODE_ALIASES,
    "supervision_no": SUPERVISION_ALIASES,
    "floor_area": ("建筑面积", "总建筑面积", "jzmj", "floorarea", "flooraream2"),
    "storeys": ("层数", "楼层数", "地上层数", "cs", "jzcs", "storeys", "floors"),
    "year_built": ("建成年份", "建成年代", "建造年份", "竣工年份", "jcnf", "yearbuilt", "year"),
    "source_ref": ("建筑物编号", "房屋编号", "幢号", "编号", "jzwbh", "fwbh", "bh", "buildingid", "buildingno"),
}
LABELS = {"code": "宗地编号", "supervision_no": "电子监管号", "name": "地块名称", "land_use": "土地用途",
          "land_use_code": "地类编码", "township": "乡镇街道", "floor_area": "建筑面积(平方米)", "storeys": "层数",
          "year_built": "建成年份", "source_ref": "建筑物编号"}


def normalise_name(name: Any) -> str:
    text = str(name).strip().lower().lstrip("\ufeff")
    text = re.split(r"[（(\[【]", text)[0]
    return re.sub(r"[\s_\-]", "", text)


def match_columns(fields: Iterable[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Our attribute name -> the file's field name, first alias wins. A Shapefile field name cut
    to 10 bytes ("土地用" for 土地用途) matches when it begins exactly one attribute's aliases."""
    by_norm: dict[str, str] = {}
    for f in fields:
        by_norm.setdefault(normalise_name(f), f)
    found: dict[str, str] = {}
    for ours, names in aliases.items():
        for alias in names:
            if normalise_name(alias) in by_norm:
                found[ours] = by_norm[normalise_name(alias)]
                break
    used = set(found.values())
    for norm, original in by_norm.items():
        if original in used or len(norm) < 3:
            continue
        owners = {ours for ours, names in aliases.items() for a in names
                  if normalise_name(a).startswith(norm) and normalise_name(a) != norm}
        if len(owners) == 1 and (owner := owners.pop()) not in found:
            found[owner] = original
            used.add(original)
    return found


def clean(value: Any) -> str:
    """An attribute as text: None/NaN -> "", 12.0 -> "12", stripped."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value).strip()


# --- reading files ---------------------------------------------------------------------------------------

class FileProblem(Exception):
    """The file cannot be read at all (wrong kind, damaged): one error for the whole file."""


@dataclass
class Features:
    geoms: np.ndarray  # shapely geometries in the file's coordinates (None where missing)
    columns: dict[str, np.ndarray]  # the file's field name -> values
    rows: np.ndarray  # the number the user sees for each feature (feature number, or TXT line)
    declared: Any = None  # pyproj CRS the file declares, or None
    declared_where: str = ""
    encoding: str = "UTF-8"
    notes: list[str] = field(default_factory=list)
    issues: list[tuple[int | None, str, str, str, str]] = field(default_factory=list)  # row, col, value, msg, level
    stated_area: np.ndarray | None = None  # TXT: 地块面积 as written

    def __len__(self) -> int:
        return len(self.geoms)


def read_features(file_name: str, data: bytes) -> Features:
    suffix = Path(file_name).suffix.lower()
    if suffix in (".geojson", ".json"):
        return read_geojson(data)
    if suffix == ".zip" or data[:4] == b"PK\x03\x04":
        return read_shapefile_zip(data)
    if suffix == ".gpkg" or data[:16] == b"SQLite format 3\x00":
        return read_gpkg(data)
    if suffix == ".txt" or surveytxt.looks_like_survey_txt(data):
        return read_survey_txt(data)
    if suffix in (".shp", ".dbf", ".shx"):
        raise FileProblem("Shapefile 由多个文件组成：请把 .shp、.shx、.dbf（以及 .prj、.cpg）"
                          "一起压缩成一个 .zip 文件再导入")
    raise FileProblem(f"不支持的文件格式“{suffix or file_name}”：请使用 GeoJSON、压缩的 Shapefile（.zip）、"
                      f"GeoPackage（.gpkg）或勘测定界坐标文件（.txt）")


def _decode_geoms(wkb: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """WKB to shapely; unclosed rings are closed (with a warning); unreadable ones become None."""
    issues: list[tuple] = []
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms) & np.array([w is not None for w in wkb], dtype=bool))
    if len(bad):
        fixed = shapely.from_wkb(wkb[bad], on_invalid="fix")
        for i, g in zip(bad, fixed, strict=True):
            if g is not None and not g.is_empty:
                geoms[i] = g
                issues.append((int(rows[i]), "几何", "", "环未闭合，已自动闭合", "warning"))
            else:
                issues.append((int(rows[i]), "几何", "", "几何无法解析（点数不足或格式错误）", "error"))
    return geoms, issues


def _read_ogr(path: str, encoding: str | None = None, layer: Any = None) -> tuple[dict, np.ndarray, list]:
    import pyogrio.raw
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _fids, wkb, values = pyogrio.raw.read(path, encoding=encoding, layer=layer, force_2d=True)
    except (DataSourceError, DataLayerError, UnicodeDecodeError, ValueError) as exc:
        raise FileProblem(f"文件无法读取：{exc}") from exc
    return meta, wkb, values


def _features_from_ogr(meta: dict, wkb: np.ndarray, values: list, declared: Any, where: str,
                       encoding: str) -> Features:
    n = len(wkb)
    rows = np.arange(1, n + 1)
    wkb = np.asarray(wkb, dtype=object)
    geoms, issues = _decode_geoms(wkb, rows)
    columns = {str(name): np.asarray(col, dtype=object) for name, col in zip(meta["fields"], values, strict=True)}
    return Features(geoms=geoms, columns=columns, rows=rows, declared=declared, declared_where=where,
                    encoding=encoding, issues=issues)


def read_geojson(data: bytes) -> Features:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.geojson"
        path.write_bytes(data)
        meta, wkb, values = _read_ogr(str(path))
    # GDAL reports EPSG:4326 for a GeoJSON without a crs member (RFC 7946); only a crs member declares
    declared = crsmod.parse_crs(meta.get("crs")) if b'"crs"' in data else None
    return _features_from_ogr(meta, wkb, values, declared, "GeoJSON crs 成员", "UTF-8")


CPG_ENCODINGS = {"utf8": "UTF-8", "utf-8": "UTF-8", "65001": "UTF-8", "gbk": "GBK", "936": "GBK", "cp936": "GBK",
                 "gb2312": "GBK", "gb18030": "GB18030", "ansi 936": "GBK"}


def _dbf_encoding(dbf: bytes, cpg: bytes | None) -> tuple[str, str]:
    """(encoding, how): from .cpg; else GBK, unless the records are valid UTF-8 with Chinese in them."""
    if cpg is not None:
        name = cpg.decode("ascii", errors="ignore").strip()
        enc = CPG_ENCODINGS.get(name.lower(), name or "GBK")
        return enc, f"由 .cpg 文件确定（{name}）"
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    records = dbf[header_len:]
    if any(b >= 0x80 for b in records[:200000]):
        try:
            records.decode("utf-8")
            return "UTF-8", "无 .cpg 文件，按内容判断为 UTF-8"
        except UnicodeDecodeError:
            pass
    return "GBK", "无 .cpg 文件，按 GBK 读取"


def _repair_dbf_field_names(dbf: bytes, encoding: str) -> bytes:
    """Field names cut to 10 bytes in the middle of a character (GDAL does this to UTF-8 Chinese
    names) lose the broken tail, so that the names can be read at all."""
    try:
        "".encode(encoding)
    except LookupError:
        return dbf
    out = bytearray(dbf)
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    for start in range(32, max(header_len - 1, 32), 32):
        if out[start] == 0x0D or start + 32 > len(out):
            break
        raw = bytes(out[start:start + 11]).split(b"\0", 1)[0]
        fixed = raw.decode(encoding, errors="ignore").encode(encoding)[:10]
        if fixed != raw:
            out[start:start + 11] = fixed.ljust(11, b"\0")
    return bytes(out)


def read_shapefile_zip(data: bytes) -> Features:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileProblem("压缩文件已损坏，无法打开") from exc
    members = {}
    for info in archive.infolist():
        name = info.filename
        if info.is_dir() or "__MACOSX" in name or Path(name).name.startswith("."):
            continue
        members.setdefault(Path(name).suffix.lower(), []).append(info)
    shps = members.get(".shp", [])
    if not shps:
        raise FileProblem("压缩包中没有 .shp 文件")
    if len(shps) > 1:
        names = "、".join(Path(i.filename).name for i in shps)
        raise FileProblem(f"压缩包中有 {len(shps)} 个 Shapefile（{names}），请每次只导入一个")
    stem = shps[0].filename[: -len(".shp")]

    def member(ext: str) -> bytes | None:
        for info in archive.infolist():
            if info.filename.lower() == (stem + ext).lower():
                return archive.read(info)
        return None

    shp, shx, dbf, prj, cpg = (member(e) for e in (".shp", ".shx", ".dbf", ".prj", ".cpg"))
    missing = [ext for ext, content in ((".shx", shx), (".dbf", dbf)) if content is None]
    if missing:
        raise FileProblem(f"压缩包中缺少 {'、'.join(missing)} 文件")
    encoding, how = _dbf_encoding(dbf, cpg)
    dbf = _repair_dbf_field_names(dbf, "GB18030" if encoding == "GBK" else encoding)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "layer"
        for ext, content in ((".shp", shp), (".shx", shx), (".dbf", dbf), (".prj", prj)):
            if content is not None:
                base.with_suffix(ext).write_bytes(content)
        meta, wkb, values = _read_ogr(str(base.with_suffix(".shp")),
                                      encoding="GB18030" if encoding == "GBK" else encoding)
    declared = crsmod.parse_crs(prj) if prj else None
    feats = _features_from_ogr(meta, wkb, values, declared, ".prj 文件", encoding)
    feats.notes.append(f"属性编码 {encoding}：{how}")
    if prj is None:
        feats.notes.append("压缩包中没有 .prj 文件")
    return feats


def read_gpkg(data: bytes) -> Features:
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        try:
            layers = pyogrio.list_layers(str(path))
        except Exception as exc:  # GDAL raises several kinds for a damaged file
            raise FileProblem(f"GeoPackage 无法读取：{exc}") from exc
        polygonal = [str(name) for name, kind in layers if kind and "polygon" in str(kind).lower()]
        if not polygonal:
            polygonal = [str(name) for name, kind in layers if kind]
        if not polygonal:
            raise FileProblem("GeoPackage 中没有面图层")
        layer = polygonal[0]
        meta, wkb, values = _read_ogr(str(path), layer=layer)
    declared = crsmod.parse_crs(meta.get("crs"))
    feats = _features_from_ogr(meta, wkb, values, declared, "GeoPackage 空间参考", "UTF-8")
    if len(polygonal) > 1:
        feats.notes.append(f"GeoPackage 有 {len(polygonal)} 个面图层，导入了第一个“{layer}”")
    return feats


def read_survey_txt(data: bytes) -> Features:
    try:
        survey = surveytxt.parse(data)
    except surveytxt.SurveyFileError as exc:
        raise FileProblem(str(exc)) from exc
    if not survey.parcels:
        raise FileProblem("勘测定界文件中没有地块")
    epsg, problem = surveytxt.declared_epsg(survey)
    if problem:
        raise FileProblem(problem)
    geoms = np.array([p.geometry() for p in survey.parcels], dtype=object)
    columns = {
        "地块编号": np.array([p.code for p in survey.parcels], dtype=object),
        "地块名称": np.array([p.name for p in survey.parcels], dtype=object),
        "地块用途": np.array([p.land_use for p in survey.parcels], dtype=object),
        "地类编码": np.array([p.land_use_code for p in survey.parcels], dtype=object),
    }
    feats = Features(geoms=geoms, columns=columns, rows=np.array([p.line for p in survey.parcels]),
                     declared=crsmod.parse_crs(f"EPSG:{epsg}") if epsg else None,
                     declared_where="[属性描述]", encoding=survey.encoding,
                     stated_area=np.array([p.area_value for p in survey.parcels], dtype=object))
    headers = [p.line for p in survey.parcels]
    for line, message in survey.problems:
        # a problem on a point line belongs to the parcel above it: report it on the parcel's header
        k = bisect.bisect_right(headers, line) - 1
        row = headers[k] if k >= 0 else line
        feats.issues.append((row, "坐标", "", message if row == line else f"第 {line} 行：{message}", "error"))
    for p, g in zip(survey.parcels, geoms, strict=True):
        if g is None:
            feats.issues.append((p.line, "坐标", p.code, "地块没有可用的坐标（每个圈至少 3 个点）", "error"))
    return feats


# --- geometry: CRS, transformation, repair, district ------------------------------------------------------

@dataclass
class Prepared:
    geoms: np.ndarray  # lon/lat, rounded to 1e-7°, valid (meaningful where ok)
    ok: np.ndarray  # bool per feature
    townships: list[Any] = field(default_factory=list)


def _district(ctx: ImportContext):
    from pandi.accounts.models import OrgUnit

    townships = list(OrgUnit.objects.townships())
    boundaries = [shape(t.boundary_geojson) for t in townships if t.boundary_geojson]
    if not boundaries:
        return townships, None
    return townships, shapely.union_all(shapely.make_valid(np.array(boundaries, dtype=object)))


def _polygonal(geom: Any) -> Any:
    """The polygonal part of a geometry (a GeometryCollection's polygons), or None."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _single(geoms: np.ndarray) -> np.ndarray:
    """MultiPolygons of one part become Polygons (how a parcel with one part is stored)."""
    types = shapely.get_type_id(geoms)
    multi1 = (types == MULTIPOLYGON) & (shapely.get_num_geometries(geoms) == 1)
    if multi1.any():
        geoms = geoms.copy()
        geoms[multi1] = shapely.get_geometry(geoms[multi1], 0)
    return geoms


def _repair(geom: Any) -> tuple[Any, float]:
    """The best safe repair of an invalid polygon and its relative area change (inf when none)."""
    original = abs(geom.area)
    candidates = []
    fixed = _polygonal(shapely.make_valid(geom))
    if fixed is not None and not fixed.is_empty:
        candidates.append(fixed)
    buffered = geom.buffer(0)
    if not buffered.is_empty and buffered.geom_type in ("Polygon", "MultiPolygon"):
        candidates.append(buffered)
    best, best_change = None, math.inf
    for candidate in candidates:
        if not candidate.is_valid:
            continue
        change = abs(candidate.area - original) / original if original > 0 else math.inf
        if change < best_change:
            best, best_change = candidate, change
    return best, best_change


def prepare(ctx: ImportContext, feats: Features) -> Prepared:
    """Steps 2–5 of the module docstring, with issues per feature."""
    n = len(feats)
    rows = feats.rows
    geoms = np.asarray(feats.geoms, dtype=object).copy()
    ok = np.ones(n, dtype=bool)
    for row, column, value, message, level in feats.issues:
        (ctx.warning if level == "warning" else ctx.error)(row, column, value, message)
        if level == "error":
            ok &= rows != row

    # only polygons
    types = shapely.get_type_id(geoms)
    for i in np.flatnonzero((types == -1) & ok):
        ctx.error(int(rows[i]), "几何", "", "没有几何（空要素）")
        ok[i] = False
    for i in np.flatnonzero(~np.isin(types, (POLYGON, MULTIPOLYGON, -1)) & ok):
        poly = _polygonal(geoms[i]) if types[i] == COLLECTION else None
        if poly is None:
            kind = geoms[i].geom_type
            ctx.error(int(rows[i]), "几何", kind, f"几何类型应为面（Polygon），实际为 {kind}")
            ok[i] = False
        else:
            geoms[i] = poly
            ctx.warning(int(rows[i]), "几何", "GeometryCollection", "几何集合中只导入了面")
    for i in np.flatnonzero(ok & shapely.is_empty(np.where(ok, geoms, None))):
        ctx.error(int(rows[i]), "几何", "", "几何为空")
        ok[i] = False

    # the CRS
    bounds = np.full((n, 4), np.nan)
    if ok.any():
        bounds[ok] = shapely.bounds(geoms[ok])
    res = crsmod.resolve(bounds, feats.declared)
    if res.crs is None:
        ctx.error(None, "坐标系", feats.declared_where if feats.declared else "", res.problem)
        return Prepared(geoms, np.zeros(n, dtype=bool))
    ctx.crs = res.label
    where = f"（{feats.declared_where}）" if res.how == crsmod.HOW_DECLARED else ""
    ctx.notes.append(f"坐标系：{res.crs.name}（{res.id}），{res.how}{where}；已转换为 CGCS2000 经纬度（EPSG:4490）")
    ctx.notes.extend(res.notes)
    for i in np.flatnonzero(ok & (res.status == crsmod.SWAPPED)):
        ctx.error(int(rows[i]), "坐标", "", crsmod.swap_message(bounds[i], res.is_lonlat))
        ok[i] = False
    for i in np.flatnonzero(ok & (res.status == crsmod.MISMATCH)):
        ctx.error(int(rows[i]), "坐标", "", crsmod.mismatch_message(bounds[i], res))
        ok[i] = False
    if not ok.any():
        return Prepared(geoms, ok)

    # to lon/lat, one part -> Polygon
    geoms[ok] = _single(crsmod.geoms_to_lonlat(geoms[ok], res.crs))

    # repair
    invalid = np.flatnonzero(ok & ~shapely.is_valid(np.where(ok, geoms, None)))
    for i in invalid:
        reason = validity_reason_zh(shapely.is_valid_reason(geoms[i]))
        fixed, change = _repair(geoms[i])
        if fixed is not None and change <= MAX_REPAIR_CHANGE:
            geoms[i] = _single(np.array([fixed], dtype=object))[0]
            ctx.warning(int(rows[i]), "几何", "", f"几何无效（{reason}），已自动修复，面积变化 {change:.3%}")
        else:
            if not math.isfinite(change):
                why = "无法自动修复"
            elif change > 1:
                why = "自动修复会使面积成倍变化（常见于“8”字形交叉的边界）"
            else:
                why = f"自动修复会使面积变化 {change:.2%}（超过 1%）"
            ctx.error(int(rows[i]), "几何", "", f"几何无效（{reason}），{why}；请在原软件中修正后重新导入")
            ok[i] = False

    # rounded as stored
    geoms[ok] = _single(shapely.set_precision(geoms[ok], PRECISION))
    for i in np.flatnonzero(ok & (shapely.is_empty(np.where(ok, geoms, None)) | ~np.isin(
            shapely.get_type_id(np.where(ok, geoms, None)), (POLYGON, MULTIPOLYGON)))):
        ctx.error(int(rows[i]), "几何", "", "面积过小，按 1e-7 度取整后为空")
        ok[i] = False

    # inside the district
    townships, district = _district(ctx)
    if district is None:
        ctx.notes.append("尚未设置乡镇（街道）边界，未检查是否位于区界之内")
    elif ok.any():
        idx = np.flatnonzero(ok)
        near = shapely.buffer(district, DISTRICT_TOLERANCE_DEG)
        shapely.prepare(near)
        inside = shapely.intersects(near, geoms[idx])
        for i in idx[~inside]:
            c = shapely.centroid(geoms[i])
            km = shapely.distance(district, geoms[i]) * 111
            ctx.error(int(rows[i]), "几何", f"{c.x:.5f}, {c.y:.5f}",
                      f"位于区界之外（中心 经度 {c.x:.5f}、纬度 {c.y:.5f}，距区界约 {km:.1f} 千米）")
            ok[i] = False
        shapely.prepare(district)
        idx = np.flatnonzero(ok)
        not_within = idx[~shapely.contains(district, geoms[idx])] if len(idx) else idx
        for i in not_within:
            area = geoms[i].area
            outside = 1 - shapely.intersection(geoms[i], district).area / area if area else 0
            if outside > PARTLY_OUTSIDE_WARNING:
                ctx.warning(int(rows[i]), "几何", "", f"有 {outside:.0%} 的面积位于区界之外，请核实")
    return Prepared(geoms, ok, townships)


def locate_townships(geoms: np.ndarray, townships: list[Any]) -> list[Any]:
    """The township of each lon/lat geometry (largest share of its area), vectorised over the
    common case of a geometry touching one township only."""
    out: list[Any] = [None] * len(geoms)
    with_boundary = [t for t in townships if t.boundary_geojson]
    if not with_boundary or not len(geoms):
        return out
    boundaries = np.array([shape(t.boundary_geojson) for t in with_boundary], dtype=object)
    tree = shapely.STRtree(boundaries)
    pairs = tree.query(geoms, predicate="intersects")
    hits: dict[int, list[int]] = {}
    for g, t in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        hits.setdefault(g, []).append(t)
    locator = None
    for g, ts in hits.items():
        if len(ts) == 1:
            out[g] = with_boundary[ts[0]]
        else:
            locator = locator or TownshipLocator((t, t.boundary_geojson) for t in with_boundary)
            out[g] = locator.locate(geoms[g])
    return out


def township_lookup(townships: list[Any]) -> dict[str, Any]:
    lookup: dict[str, Any] = {}
    for t in townships:
        for key in (t.name, t.short_name, t.code):
            if key:
                lookup[key.strip()] = t
    return lookup


def _column(feats: Features, found: dict[str, str], ours: str) -> list[str]:
    name = found.get(ours)
    if name is None:
        return [""] * len(feats)
    return [clean(v) for v in feats.columns[name]]


def _use_check(ctx: ImportContext) -> bool:
    """Run the services' permission checks for a real user (the engine has checked 导入 already)."""
    return bool(getattr(ctx.user, "is_authenticated", False))


def _chunks(ids: list[int], size: int = SQL_CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _geojson_many(geoms: np.ndarray, indexes: Iterable[int]) -> dict[int, dict[str, Any]]:
    """GeoJSON dicts of the given features, converted in one vectorised call."""
    indexes = [int(i) for i in indexes]
    if not indexes:
        return {}
    texts = shapely.to_geojson(geoms[indexes])
    return {i: json.loads(t) for i, t in zip(indexes, texts, strict=True)}


def _read(ctx: ImportContext) -> Features | None:
    try:
        feats = read_features(ctx.file_name, ctx.data)
    except FileProblem as exc:
        ctx.error(None, "文件", ctx.file_name, str(exc))
        return None
    ctx.encoding = feats.encoding
    ctx.notes.extend(feats.notes)
    ctx.counts["total"] = len(feats)
    ctx.progress(f"已读取 {len(feats)} 个要素")
    return feats


# --- parcels --------------------------------------------------------------------------------------------

@dataclass
class ParcelRow:
    row: int
    key: str
    action: str  # "create" | "update" | "unchanged"
    geometry: dict[str, Any] | None = None
    parcel_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def stored_geometries(qs: Any, *fields: str) -> tuple[list[tuple], np.ndarray]:
    """(other field values, shapely geometries) of the rows of `qs` with a geometry. The JSON is
    read as text and parsed by GEOS in one vectorised call (no Python dict per row)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    rows = list(qs.exclude(geometry=None).annotate(_gj=Cast("geometry", TextField())).values_list(*fields, "_gj"))
    if not rows:
        return [], np.array([], dtype=object)
    geoms = shapely.from_geojson(np.array([r[-1] for r in rows], dtype=object), on_invalid="ignore")
    return [r[:-1] for r in rows], geoms


def _existing_geometries(ids: list[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for chunk in _chunks(ids):
        keys, geoms = stored_geometries(Parcel.objects.filter(pk__in=chunk), "pk")
        out.update((k[0], g) for k, g in zip(keys, geoms, strict=True))
    return out


def validate_parcels(ctx: ImportContext) -> list[ParcelRow]:
    feats = _read(ctx)
    if feats is None:
        return []
    found = match_columns(feats.columns, PARCEL_ALIASES)
    if "code" not in found and "supervision_no" not in found:
        fields = "、".join(feats.columns) or "无"
        ctx.error(None, "宗地编号", "", f"文件中没有“宗地编号”或“电子监管号”字段（也可用 ZDBH、DKBH、DZJGH）；"
                                       f"现有字段：{fields}")
        return []
    prepared = prepare(ctx, feats)
    geoms, ok, rows = prepared.geoms, prepared.ok, feats.rows
    codes, sups = _column(feats, found, "code"), _column(feats, found, "supervision_no")
    names, uses = _column(feats, found, "name"), _column(feats, found, "land_use")
    use_codes, towns = _column(feats, found, "land_use_code"), _column(feats, found, "township")

    # keys: present, not too long, unique in the file
    seen: dict[str, int] = {}
    for i in range(len(feats)):
        row = int(rows[i])
        if not codes[i] and not sups[i]:
            ctx.error(row, "宗地编号", "", "缺少宗地编号（或电子监管号）")
            ok[i] = False
            continue
        for value, label, limit in ((codes[i], "宗地编号", 64), (sups[i], "电子监管号", 32)):
            if len(value) > limit:
                ctx.error(row, label, value, f"{label}过长（最多 {limit} 个字符）")
                ok[i] = False
        for value, label in ((codes[i], "宗地编号"), (sups[i], "电子监管号")):
            if value:
                tag = f"{label}:{value}"
                if tag in seen:
                    ctx.error(row, label, value, f"{label}“{value}”在文件中重复（第一次出现在第 {seen[tag]} 行）")
                    ok[i] = False
                else:
                    seen[tag] = row

    # what is stored: keys of every parcel in one query, geometries of the matched ones
    by_code: dict[str, int] = {}
    by_sup: dict[str, int] = {}
    stored: dict[int, tuple[str, str, Any, str, str]] = {}
    for pk, code, sup, township_id, name, luc in Parcel.objects.values_list(
            "pk", "code", "supervision_no", "township_id", "name", "land_use_code"):
        if code:
            by_code[code] = pk
        if sup:
            by_sup[sup] = pk
        stored[pk] = (code, sup, township_id, name, luc)
    matched: list[int | None] = [None] * len(feats)
    for i in np.flatnonzero(ok):
        row = int(rows[i])
        a, b = by_code.get(codes[i]) if codes[i] else None, by_sup.get(sups[i]) if sups[i] else None
        if a and b and a != b:
            ctx.error(row, "电子监管号", sups[i],
                      f"宗地编号“{codes[i]}”与电子监管号“{sups[i]}”分属两宗已有宗地，无法确定对应哪一宗")
            ok[i] = False
            continue
        matched[i] = a or b
    old = _existing_geometries(sorted({m for m in matched if m}))

    townships = prepared.townships
    lookup = township_lookup(townships)
    need_locate = []
    town_of: dict[int, Any] = {}
    for i in np.flatnonzero(ok):
        pk = matched[i]
        if pk and stored[pk][2] is not None:
            continue  # an existing parcel keeps its township
        if towns[i]:
            if towns[i] in lookup:
                town_of[i] = lookup[towns[i]]
                continue
            ctx.warning(int(rows[i]), "乡镇街道", towns[i], f"乡镇（街道）“{towns[i]}”不存在，按边界位置确定")
        need_locate.append(i)
    for i, t in zip(need_locate, locate_townships(geoms[need_locate], townships), strict=True):
        town_of[i] = t

    # compare with what is stored
    result: list[ParcelRow] = []
    idx = np.flatnonzero(ok)
    upd = [i for i in idx if matched[i] and old.get(matched[i]) is not None]
    same = np.zeros(len(feats), dtype=bool)
    if upd:
        new_n = shapely.normalize(geoms[upd])
        old_n = shapely.normalize(np.array([old[matched[i]] for i in upd], dtype=object))
        same[upd] = shapely.equals_exact(new_n, old_n, tolerance=EQUAL_TOLERANCE)
    area_check = feats.stated_area is not None
    if area_check:
        from pandi.domain.geo import ground_areas_m2

        areas = dict(zip(idx.tolist(), ground_areas_m2(geoms[idx]), strict=True))
    as_json = _geojson_many(geoms, (i for i in idx if not same[i]))
    for i in idx:
        row = int(rows[i])
        key = codes[i] or sups[i]
        if area_check:
            _check_stated_area(ctx, row, key, feats.stated_area[i], areas[i])
        pk = matched[i]
        if pk:
            code, sup, township_id, name, luc = stored[pk]
            data: dict[str, Any] = {}
            if codes[i] and not code and codes[i] not in by_code:
                data["code"] = codes[i]
            if sups[i] and not sup and sups[i] not in by_sup:
                data["supervision_no"] = sups[i]
            if names[i] and not name:
                data["name"] = names[i][:200]
            if use_codes[i] and not luc:
                data["land_use_code"] = use_codes[i][:10]
            if township_id is None and town_of.get(i) is not None:
                data["township"] = town_of[i]
            if same[i] and not data:
                result.append(ParcelRow(row, key, "unchanged", parcel_id=pk))
            else:
                result.append(ParcelRow(row, key, "update", None if same[i] else as_json[i], pk, data))
        else:
            data = {"code": codes[i], "supervision_no": sups[i], "name": names[i][:200],
                    "land_use_code": use_codes[i][:10], "township": town_of.get(i)}
            if uses[i]:
                data["land_use"] = uses[i][:40]
            if len(names[i]) > 200:
                ctx.warning(row, "地块名称", names[i], "地块名称超过 200 字，已截断")
            result.append(ParcelRow(row, key, "create", as_json[i], None, data))
    return result


def _check_stated_area(ctx: ImportContext, row: int, key: str, stated: Any, computed: float) -> None:
    """A 勘测定界 地块面积 is in hectares (sometimes m² or mu): warn when no reading agrees."""
    if stated is None or not computed:
        return
    stated = float(stated)
    if stated <= 0:
        return
    readings = (stated * 10000, stated, stated * 10000 / 15)
    if min(abs(r - computed) / computed for r in readings) > 0.01:
        ctx.warning(row, "地块面积", f"{stated:g}", f"地块“{key}”标注面积 {stated:g}（公顷）与按坐标计算的 "
                                                   f"{computed / 10000:.4f} 公顷相差超过 1%")


def _parcels_for_writing(ids: list[int]) -> dict[int, Parcel]:
    """Parcels to hand to the bulk services, their township joined (the audit names it) without
    the township's boundary (large, and not needed)."""
    if not ids:
        return {}
    qs = Parcel.objects.select_related("township").defer("township__boundary_geojson")
    return qs.in_bulk(ids)


def apply_parcels(ctx: ImportContext, rows: list[ParcelRow]) -> None:
    """Write through the bulk service a batch at a time (validated and audited like parcel_create /
    parcel_update); unchanged parcels are only counted."""
    from pandi.land.services import parcels_bulk_save

    check = _use_check(ctx)
    ctx.counts["unchanged"] += sum(1 for r in rows if r.action == "unchanged")
    todo = [r for r in rows if r.action != "unchanged"]
    done = 0
    for start in range(0, len(todo), WRITE_BATCH):
        batch = todo[start:start + WRITE_BATCH]
        ids = [r.parcel_id for r in batch if r.action == "update"]
        parcels = _parcels_for_writing(ids)
        new = [{**r.data, "geometry": r.geometry} for r in batch if r.action == "create"]
        changed = [(parcels[r.parcel_id], {**r.data, **({"geometry": r.geometry} if r.geometry else {})})
                   for r in batch if r.action == "update"]
        parcels_bulk_save(user=ctx.user, new=new, changed=changed, check=check)
        ctx.counts["created"] += len(new)
        ctx.counts["updated"] += len(changed)
        done += len(batch)
        ctx.progress(f"宗地边界：已写入 {done}/{len(todo)}")


# --- buildings ------------------------------------------------------------------------------------------

@dataclass
class BuildingRow:
    row: int
    geometry: dict[str, Any]
    parcel_id: int | None
    data: dict[str, Any]
    action: str = "create"  # or "unchanged"


def _decimal(ctx: ImportContext, row: int, label: str, value: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        ctx.warning(row, label, value, f"{label}不是数字，未导入该项")
        return None
    if number < 0:
        ctx.warning(row, label, value, f"{label}不能为负数，未导入该项")
        return None
    return number.quantize(Decimal("0.01"))


def _integer(ctx: ImportContext, row: int, label: str, value: str, low: int, high: int) -> int | None:
    if not value:
        return None
    try:
        number = int(float(value))
    except ValueError:
        ctx.warning(row, label, value, f"{label}不是整数，未导入该项")
        return None
    if not low <= number <= high:
        ctx.warning(row, label, value, f"{label}应在 {low}–{high} 之间，未导入该项")
        return None
    return number


def validate_buildings(ctx: ImportContext) -> list[BuildingRow]:
    feats = _read(ctx)
    if feats is None:
        return []
    found = match_columns(feats.columns, BUILDING_ALIASES)
    if "source_ref" not in found and "地块编号" in feats.columns:  # a 勘测定界 file: its numbers are the buildings'
        found["source_ref"] = "地块编号"
        found.pop("code", None)
    prepared = prepare(ctx, feats)
    geoms, ok, rows = prepared.geoms, prepared.ok, feats.rows
    codes, sups = _column(feats, found, "code"), _column(feats, found, "supervision_no")
    floor, storeys = _column(feats, found, "floor_area"), _column(feats, found, "storeys")
    years, refs = _column(feats, found, "year_built"), _column(feats, found, "source_ref")
    idx = np.flatnonzero(ok)
    if not len(idx):
        return []

    by_code: dict[str, int] = {}
    by_sup: dict[str, int] = {}
    if "code" in found or "supervision_no" in found:
        for pk, code, sup in Parcel.objects.values_list("pk", "code", "supervision_no"):
            if code:
                by_code[code] = pk
            if sup:
                by_sup[sup] = pk

    # candidate parcels and stored buildings: one bbox query each
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[idx])
    box = {"min_lon__lte": maxx, "max_lon__gte": minx, "min_lat__lte": maxy, "max_lat__gte": miny}
    keys, cand_geoms = stored_geometries(Parcel.objects.filter(**box), "pk")
    cand_ids = [k[0] for k in keys]
    # stored footprints by their rounded, normalised geometry -> parcel id
    keys, stored = stored_geometries(Building.objects.filter(**box), "parcel_id")
    existing: dict[bytes, int | None] = {}
    if len(stored):
        existing = {w: k[0] for k, w in zip(keys, shapely.to_wkb(shapely.normalize(stored)), strict=True)}

    attach: dict[int, int | None] = {}
    locate = []
    for i in idx:
        pk = (by_code.get(codes[i]) if codes[i] else None) or (by_sup.get(sups[i]) if sups[i] else None)
        if pk:
            attach[i] = pk
            continue
        if codes[i] or sups[i]:
            ctx.warning(int(rows[i]), "宗地编号", codes[i] or sups[i],
                        f"宗地“{codes[i] or sups[i]}”不存在，按位置匹配所在宗地")
        locate.append(i)
    if locate and len(cand_geoms):
        tree = shapely.STRtree(cand_geoms)
        points = shapely.point_on_surface(geoms[locate])
        hit_in, hit_tree = tree.query(points, predicate="within")
        for a, t in zip(hit_in.tolist(), hit_tree.tolist(), strict=True):
            attach.setdefault(locate[a], cand_ids[t])

    result: list[BuildingRow] = []
    as_json = _geojson_many(geoms, idx)
    wkb = dict(zip(idx.tolist(), shapely.to_wkb(shapely.normalize(geoms[idx])), strict=True))
    in_file: dict[bytes, int] = {}
    for i in idx:
        row = int(rows[i])
        parcel_id = attach.get(i)
        if parcel_id is None:
            ctx.warning(row, "几何", "", "建筑物不在任何宗地之内，作为未关联宗地的建筑物导入")
        data = {
            "floor_area_m2": _decimal(ctx, row, "建筑面积", floor[i]),
            "storeys": _integer(ctx, row, "层数", storeys[i], 0, 300),
            "year_built": _integer(ctx, row, "建成年份", years[i], 1900, 2100),
            "source_ref": refs[i][:64],
        }
        data = {k: v for k, v in data.items() if v not in (None, "")}
        if wkb[i] in in_file:
            ctx.warning(row, "几何", "", f"与第 {in_file[wkb[i]]} 行的轮廓相同，未重复导入")
            result.append(BuildingRow(row, {}, parcel_id, data, "unchanged"))
            continue
        in_file[wkb[i]] = row
        if wkb[i] in existing:
            # the same footprint is stored already: never a second copy (on the same parcel or not)
            if existing[wkb[i]] != parcel_id:
                ctx.warning(row, "几何", "", "相同的建筑物轮廓已导入过（所属宗地与本次判断不同），未重复导入")
            result.append(BuildingRow(row, {}, parcel_id, data, "unchanged"))
            continue
        result.append(BuildingRow(row, as_json[i], parcel_id, data))
    return result


def apply_buildings(ctx: ImportContext, rows: list[BuildingRow]) -> None:
    from pandi.land.services import buildings_bulk_create

    check = _use_check(ctx)
    ctx.counts["unchanged"] += sum(1 for r in rows if r.action == "unchanged")
    todo = [r for r in rows if r.action == "create"]
    parcels: dict[int, Parcel] = {}
    ids = sorted({r.parcel_id for r in todo if r.parcel_id})
    for chunk in _chunks(ids):
        parcels.update(_parcels_for_writing(chunk))
    for start in range(0, len(todo), WRITE_BATCH):
        batch = todo[start:start + WRITE_BATCH]
        buildings_bulk_create(user=ctx.user, check=check, rows=[
            (parcels[r.parcel_id] if r.parcel_id else None, r.geometry, r.data) for r in batch])
        ctx.counts["created"] += len(batch)
        ctx.counts["attached"] += sum(1 for r in batch if r.parcel_id)
        ctx.counts["unattached"] += sum(1 for r in batch if not r.parcel_id)
        ctx.progress(f"建筑物轮廓：已写入 {min(start + WRITE_BATCH, len(todo))}/{len(todo)}")


register("parcels", validate_parcels, apply_parcels)
register("buildings", validate_buildings, apply_buildings)

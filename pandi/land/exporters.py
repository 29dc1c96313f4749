"""Exports of the land registry (import-formats.md "Exports").

- Parcel list and enterprise list as .xlsx: a title row, a line saying when/who/how many, Chinese
  headers, rows grouped by township with a 小计 row after each township and a 合计 row at the end.
- Parcels as GeoJSON (RFC 7946, lon/lat), GeoPackage and zipped Shapefile (.shp/.shx/.dbf/.prj
  and a .cpg saying UTF-8), CGCS2000 lon/lat (EPSG:4490). An export imports back unchanged
  (`pandi import parcels`): the same keys, the same coordinates.

Attributes of the geo exports (GeoJSON and GeoPackage use the Chinese names; a Shapefile's .dbf
allows field names of at most 10 bytes — 3 Chinese characters in UTF-8 — so it uses the pinyin
initials that land-survey databases use, which the importer accepts as well):

    宗地编号      ZDBH     text
    电子监管号    DZJGH    text
    地块名称      DKMC     text
    乡镇街道      XZJD     text
    土地用途      TDYT     text
    面积_平方米   MJ_PFM   number, 2 decimals (on the ground, EPSG:4549)
    面积_亩       MJ_MU    number, 4 decimals
    状态          ZT       text (the state's Chinese label)
    权利人        QLR      text (current right holders and lessees, joined by 、)

The Shapefile zip also carries 字段说明.txt with this table. Text longer than 80 characters is
cut in the Shapefile only (a .dbf field holds 254 bytes); GeoJSON and GeoPackage keep it whole.
"""

from __future__ import annotations

import io
import json
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from pandi.domain.units import m2_to_mu

from .choices import ParcelState
from .models import Enterprise, Holding, Parcel

LONLAT_EPSG = 4490
SHP_TEXT_LIMIT = 80
NO_TOWNSHIP = "未确定乡镇（街道）"


@dataclass(frozen=True)
class GeoField:
    name: str  # GeoJSON / GeoPackage
    shp: str  # Shapefile (≤ 10 bytes, ASCII)
    number: bool = False


GEO_FIELDS = (
    GeoField("宗地编号", "ZDBH"),
    GeoField("电子监管号", "DZJGH"),
    GeoField("地块名称", "DKMC"),
    GeoField("乡镇街道", "XZJD"),
    GeoField("土地用途", "TDYT"),
    GeoField("面积_平方米", "MJ_PFM", number=True),
    GeoField("面积_亩", "MJ_MU", number=True),
    GeoField("状态", "ZT"),
    GeoField("权利人", "QLR"),
)
STATE_LABELS = dict(ParcelState.choices)
PARCEL_VALUES = ("pk", "code", "supervision_no", "name", "township__name", "land_use", "area_m2", "state",
                 "holder_names", "supply_year", "township__sort_order", "township__code")


def _mu(m2: Decimal | None) -> Decimal | None:
    return m2_to_mu(m2) if m2 is not None else None


def _float(value: Decimal | None, places: int) -> float | None:
    return round(float(value), places) if value is not None else None


def parcel_attributes(row: dict[str, Any]) -> dict[str, Any]:
    """The export attributes of one parcel (keys: GEO_FIELDS names)."""
    return {
        "宗地编号": row["code"],
        "电子监管号": row["supervision_no"],
        "地块名称": row["name"],
        "乡镇街道": row["township__name"] or "",
        "土地用途": row["land_use"],
        "面积_平方米": _float(row["area_m2"], 2),
        "面积_亩": _float(_mu(row["area_m2"]), 4),
        "状态": STATE_LABELS.get(row["state"], row["state"]),
        "权利人": row["holder_names"],
    }


def _parcel_rows(qs: QuerySet[Parcel], *, geometry: bool) -> Iterator[dict[str, Any]]:
    fields = (*PARCEL_VALUES, "geometry") if geometry else PARCEL_VALUES
    if geometry:
        qs = qs.exclude(geometry=None)
    yield from qs.values(*fields).iterator(chunk_size=2000)


def export_stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


# --- xlsx ---------------------------------------------------------------------------------------------

class _Sheet:
    """A write-only worksheet with a title row, a subtitle row and a header row."""

    def __init__(self, title: str, subtitle: str, headers: list[str], widths: list[int],
                 number_formats: dict[int, str]):
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(title[:31].replace("/", "-") if title else "Sheet")
        self.headers = headers
        self.formats = number_formats
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[self._letter(i)].width = width
        self.ws.freeze_panes = "A4"
        self._styled([title], bold=True, size=14)
        self.ws.merged_cells.add(f"A1:{self._letter(len(headers))}1")
        self._styled([subtitle], size=10)
        self.ws.merged_cells.add(f"A2:{self._letter(len(headers))}2")
        self._styled(headers, bold=True, fill="DDE5F0")

    @staticmethod
    def _letter(i: int) -> str:
        from openpyxl.utils import get_column_letter

        return get_column_letter(i)

    def _styled(self, values: list[Any], *, bold: bool = False, size: float | None = None, fill: str | None = None
                ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill

        cells = []
        for i, value in enumerate(values, start=1):
            cell = WriteOnlyCell(self.ws, value=value)
            if bold or size:
                cell.font = Font(bold=bold, size=size or 11)
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
            if i in self.formats and isinstance(value, int | float | Decimal):
                cell.number_format = self.formats[i]
            cells.append(cell)
        self.ws.append(cells)

    def row(self, values: list[Any]) -> None:
        """A data row: plain values, a number format only where the column has one."""
        from openpyxl.cell import WriteOnlyCell

        out: list[Any] = list(values)
        for i, fmt in self.formats.items():
            value = out[i - 1]
            if isinstance(value, int | float | Decimal):
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = fmt
                out[i - 1] = cell
        self.ws.append(out)

    def total(self, values: list[Any]) -> None:
        self._styled(values, bold=True, fill="F2F2F2")

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()


PARCEL_HEADERS = ["序号", "宗地编号", "电子监管号", "地块名称", "乡镇街道", "土地用途", "面积（平方米）", "面积（亩）",
                  "供地年份", "状态", "权利人"]
PARCEL_WIDTHS = [7, 18, 22, 30, 14, 12, 14, 12, 9, 12, 40]
AREA_FORMATS = {7: "#,##0.00", 8: "#,##0.00"}


def _subtitle(user: Any, count_text: str, filters: str = "") -> str:
    who = getattr(user, "full_name", "") or getattr(user, "username", "")
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    parts = [f"导出时间：{now}", f"导出人：{who}", count_text]
    if filters:
        parts.append(f"筛选：{filters}")
    return "　".join(parts)


def _group_key(row: dict[str, Any]) -> tuple:
    name = row.get("township__name")
    return (name is None, row.get("township__sort_order") or 0, row.get("township__code") or "", name or "")


def parcels_xlsx(qs: QuerySet[Parcel], *, user: Any, filters: str = "") -> bytes:
    """The parcel list: one row per parcel, a 小计 after each township, a 合计 at the end."""
    qs = qs.order_by("township__sort_order", "township__code", "code", "supervision_no", "pk")
    rows = list(_parcel_rows(qs, geometry=False))
    rows.sort(key=_group_key)  # parcels without township last
    total_m2 = sum((r["area_m2"] or Decimal(0) for r in rows), Decimal(0))
    district = settings.PANDI_DISTRICT_NAME
    sheet = _Sheet(f"{district}宗地清单", _subtitle(user, f"共 {len(rows)} 宗，{m2_to_mu(total_m2):,.2f} 亩", filters),
                   PARCEL_HEADERS, PARCEL_WIDTHS, AREA_FORMATS)
    group: list[dict[str, Any]] = []

    def flush() -> None:
        if not group:
            return
        m2 = sum((r["area_m2"] or Decimal(0) for r in group), Decimal(0))
        name = group[0]["township__name"] or NO_TOWNSHIP
        sheet.total(["", f"{name} 小计", f"{len(group)} 宗", "", "", "", float(m2), float(m2_to_mu(m2)),
                     "", "", ""])
        group.clear()

    number = 0
    for r in rows:
        if group and _group_key(group[0]) != _group_key(r):
            flush()
            number = 0
        number += 1
        group.append(r)
        a = parcel_attributes(r)
        sheet.row([number, a["宗地编号"], a["电子监管号"], a["地块名称"], a["乡镇街道"] or NO_TOWNSHIP, a["土地用途"],
                   _float(r["area_m2"], 2), _float(_mu(r["area_m2"]), 6), r["supply_year"], a["状态"], a["权利人"]])
    flush()
    sheet.total(["", "合计", f"{len(rows)} 宗", "", "", "", float(total_m2), float(m2_to_mu(total_m2)), "", "", ""])
    return sheet.bytes()


ENTERPRISE_HEADERS = ["序号", "企业名称", "统一社会信用代码", "乡镇街道", "法定代表人", "联系人", "联系电话", "地址",
                      "行业", "规上企业", "宗地数", "用地面积（亩）"]
ENTERPRISE_WIDTHS = [7, 34, 22, 14, 12, 10, 14, 34, 24, 9, 8, 14]


def _holding_areas(enterprises: list[Enterprise], visible: QuerySet[Parcel]) -> dict[int, tuple[int, Decimal]]:
    """Per enterprise: the number and area (m²) of the visible parcels it currently holds."""
    seen: dict[int, set[int]] = {}
    area: dict[int, Decimal] = {}
    ids = [e.pk for e in enterprises]
    for start in range(0, len(ids), 900):
        holdings = (Holding.objects.filter(is_current=True, enterprise_id__in=ids[start:start + 900],
                                           parcel__in=visible.order_by().values("pk"))
                    .values_list("enterprise_id", "parcel_id", "parcel__area_m2"))
        for enterprise_id, parcel_id, m2 in holdings:
            parcels = seen.setdefault(enterprise_id, set())
            if parcel_id not in parcels:
                parcels.add(parcel_id)
                area[enterprise_id] = area.get(enterprise_id, Decimal(0)) + (m2 or Decimal(0))
    return {k: (len(v), area.get(k, Decimal(0))) for k, v in seen.items()}


def enterprises_xlsx(qs: QuerySet[Enterprise], *, user: Any, visible_parcels: QuerySet[Parcel],
                     filters: str = "") -> bytes:
    """The enterprise list with the parcels each holds, a 小计 per township and a 合计."""
    enterprises = list(qs.select_related("township"))
    enterprises.sort(key=lambda e: (e.township is None, e.township.sort_order if e.township else 0,
                                    e.township.code if e.township else "", e.name, e.pk))
    held = _holding_areas(enterprises, visible_parcels)
    district = settings.PANDI_DISTRICT_NAME
    sheet = _Sheet(f"{district}企业清单", _subtitle(user, f"共 {len(enterprises)} 家企业", filters),
                   ENTERPRISE_HEADERS, ENTERPRISE_WIDTHS, {12: "#,##0.00"})
    totals = [0, 0, Decimal(0)]
    group = [0, 0, Decimal(0)]
    current: Any = object()
    number = 0

    def flush(township: Any) -> None:
        if group[0]:
            name = township.name if township else NO_TOWNSHIP
            sheet.total(["", f"{name} 小计", f"{group[0]} 家", "", "", "", "", "", "", "", group[1],
                         float(m2_to_mu(group[2]))])
        group[:] = [0, 0, Decimal(0)]

    for e in enterprises:
        if e.township_id != getattr(current, "pk", current) and number:
            flush(current)
            number = 0
        current = e.township
        number += 1
        count, m2 = held.get(e.pk, (0, Decimal(0)))
        for acc in (group, totals):
            acc[0] += 1
            acc[1] += count
            acc[2] += m2
        sheet.row([number, e.name, e.uscc, e.township.name if e.township else NO_TOWNSHIP, e.legal_representative,
                   e.contact_person, e.contact_phone, e.address, e.industry_name or e.industry_code,
                   "是" if e.above_scale else "否", count, _float(m2_to_mu(m2), 6)])
    if number:
        flush(current)
    sheet.total(["", "合计", f"{totals[0]} 家", "", "", "", "", "", "", "", totals[1], float(m2_to_mu(totals[2]))])
    return sheet.bytes()


# --- geo ------------------------------------------------------------------------------------------------

def parcels_geojson(qs: QuerySet[Parcel]) -> bytes:
    """A FeatureCollection in lon/lat (CGCS2000 = CRS84 within centimetres, so no crs member)."""
    parts = ['{"type":"FeatureCollection","features":[']
    first = True
    for r in _parcel_rows(qs, geometry=True):
        feature = {"type": "Feature", "id": r["pk"], "properties": parcel_attributes(r), "geometry": r["geometry"]}
        parts.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        first = False
    parts.append("]}")
    return "".join(parts).encode("utf-8")


def _columns(rows: Iterable[dict[str, Any]], shapefile: bool) -> tuple[Any, list[Any], list[str]]:
    import numpy as np
    from shapely.geometry import shape

    geoms, values = [], {f.name: [] for f in GEO_FIELDS}
    for r in rows:
        geoms.append(shape(r["geometry"]))
        for name, value in parcel_attributes(r).items():
            if shapefile and isinstance(value, str) and len(value) > SHP_TEXT_LIMIT:
                value = value[:SHP_TEXT_LIMIT]
            values[name].append(value)
    arrays = []
    for f in GEO_FIELDS:
        if f.number:
            arrays.append(np.array([np.nan if v is None else v for v in values[f.name]], dtype=float))
        else:
            arrays.append(np.array(values[f.name], dtype=object))
    geom_array = np.array(geoms, dtype=object)
    names = [f.shp if shapefile else f.name for f in GEO_FIELDS]
    return geom_array, arrays, names


def _write(path: Path, qs: QuerySet[Parcel], driver: str, layer: str | None = None) -> int:
    import numpy as np
    import pyogrio.raw
    import shapely

    shapefile = driver == "ESRI Shapefile"
    geoms, arrays, names = _columns(_parcel_rows(qs, geometry=True), shapefile)
    multi = bool(len(geoms)) and bool((shapely.get_type_id(geoms) == 6).any())
    if multi:  # a layer has one geometry type: promote every polygon
        single = shapely.get_type_id(geoms) == 3
        for i in np.flatnonzero(single):
            geoms[i] = shapely.MultiPolygon([geoms[i]])
    wkb = shapely.to_wkb(geoms) if len(geoms) else np.array([], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's notes about field widths
        pyogrio.raw.write(str(path), wkb, arrays, names, driver=driver, layer=layer,
                          geometry_type="MultiPolygon" if multi else "Polygon", crs=f"EPSG:{LONLAT_EPSG}",
                          encoding="UTF-8" if shapefile else None)
    return len(geoms)


def parcels_gpkg(qs: QuerySet[Parcel]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parcels.gpkg"
        _write(path, qs, "GPKG", layer="宗地")
        return path.read_bytes()


FIELD_NOTES = "\r\n".join([
    "宗地边界 Shapefile 字段说明（坐标系 CGCS2000 经纬度 EPSG:4490，属性编码 UTF-8，见 .cpg）",
    "",
    *(f"{f.shp:<8}{f.name}" for f in GEO_FIELDS),
    "",
    f"文字超过 {SHP_TEXT_LIMIT} 个字时在 Shapefile 中截断；GeoJSON、GeoPackage 导出保留全文。",
    "面积按 CGCS2000 3 度带高斯投影（EPSG:4549）计算；1 亩 = 10000/15 平方米。",
    "本文件可直接用“导入宗地边界”导入（按宗地编号或电子监管号对应）。",
]) + "\r\n"


def parcels_shapefile_zip(qs: QuerySet[Parcel], stem: str = "parcels") -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.shp"
        _write(path, qs, "ESRI Shapefile")
        cpg = path.with_suffix(".cpg")
        if not cpg.exists():
            cpg.write_text("UTF-8", encoding="ascii")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                archive.write(path.with_suffix(ext), f"{stem}{ext}")
            archive.writestr("字段说明.txt", FIELD_NOTES.encode("utf-8"))
        return out.getvalue()


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    file_name: str


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARCEL_FORMATS = {
    "xlsx": (XLSX, "宗地清单", "xlsx"),
    "geojson": ("application/geo+json", "宗地边界", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "宗地边界", "gpkg"),
    "shp": ("application/zip", "宗地边界-shp", "zip"),
}


def parcel_export(qs: QuerySet[Parcel], fmt: str, *, user: Any, filters: str = "") -> Export:
    content_type, stem, ext = PARCEL_FORMATS[fmt]
    if fmt == "xlsx":
        content = parcels_xlsx(qs, user=user, filters=filters)
    elif fmt == "geojson":
        content = parcels_geojson(qs)
    elif fmt == "gpkg":
        content = parcels_gpkg(qs)
    else:
        content = parcels_shapefile_zip(qs)
    return Export(content, content_type, f"{stem}-{export_stamp()}.{ext}")


def enterprise_export(qs: QuerySet[Enterprise], *, user: Any, visible_parcels: QuerySet[Parcel],
                      filters: str = "") -> Export:
    content = enterprises_xlsx(qs, user=user, visible_parcels=visible_parcels, filters=filters)
    return Export(content, XLSX, f"企业清单-{export_stamp()}.xlsx")

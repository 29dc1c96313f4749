"""Exports of the official inventory (清单) and the annual work plan (R6–R8).

- The inventory as .xlsx in the layout the offices print: a title row (「金东区闲置工业用地盘活清单
  （截至 2021年04月30日）」), a line saying who exported it when, the header, the entries grouped by
  township with a 小计 row after each township and a 合计 row at the end; 依据 wrapped, the header
  frozen and repeated on every printed page, A4 landscape fitted to the page width.
- The work plan as .xlsx (same layout) with a second sheet 年度目标.
- The inventory's geometries as GeoJSON (RFC 7946, CGCS2000 lon/lat) and GeoPackage (EPSG:4490).

Attributes of the geo exports (GeoJSON uses the Chinese names, the GeoPackage the ASCII ones, as
land-survey databases do):

    清单编号  QDBH   text
    乡镇      XZ     text
    地块      DK     text
    权利人    QLR    text
    面积亩    MJ_MU  number, 4 decimals
    类型      LX     text (宗地 / 连片地块)
    状态      ZT     text (the status's short label; 连片空闲 for blocks)

The functions take rows the views have already read through the scoped selectors, so an export
holds exactly what its user may see.
"""

from __future__ import annotations

import io
import json
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from pandi.domain.units import m2_to_mu
from pandi.land.exporters import XLSX, Export, GeoField, export_stamp

from .choices import STATUS_SHORT, EntryKind, ExclusionReason, Route

NO_TOWNSHIP = "未确定乡镇（街道）"
BLOCK_STATUS = "连片空闲"
LONLAT_EPSG = 4490
GEOJSON = "application/geo+json"
GPKG = "application/geopackage+sqlite3"

INVENTORY_HEADERS = ["序号", "清单编号", "乡镇街道", "宗地编号/地块", "土地使用权人", "面积(亩)", "约定开工时间",
                     "超期天数", "状态", "依据", "备注"]
INVENTORY_WIDTHS = [6, 14, 12, 30, 28, 11, 13, 9, 14, 60, 24]
WORKPLAN_HEADERS = ["序号", "清单编号", "乡镇街道", "地块", "土地使用权人", "面积(亩)", "处置年度", "处置路径",
                    "责任乡镇", "责任部门", "备注"]
WORKPLAN_WIDTHS = [6, 14, 12, 30, 28, 11, 9, 14, 12, 18, 30]
TARGET_HEADERS = ["乡镇街道", "年度", "盘活目标(亩)", "新开工厂房目标(平方米)", "已安排(亩)", "已安排/目标"]
TARGET_WIDTHS = [16, 8, 14, 22, 14, 12]

INVENTORY_GEO_FIELDS = (
    GeoField("清单编号", "QDBH"),
    GeoField("乡镇", "XZ"),
    GeoField("地块", "DK"),
    GeoField("权利人", "QLR"),
    GeoField("面积亩", "MJ_MU", number=True),
    GeoField("类型", "LX"),
    GeoField("状态", "ZT"),
)
KIND_LABELS = dict(EntryKind.choices)
ROUTE_LABELS = dict(Route.choices)
EXCLUSION_LABELS = dict(ExclusionReason.choices)


def status_label(entry: Any) -> str:
    """The short status of an entry as tables and the printed map show it."""
    if entry.kind == EntryKind.BLOCK:
        return BLOCK_STATUS
    return STATUS_SHORT.get(entry.status, entry.status or "—")


def township_name(entry: Any) -> str:
    return entry.township.name if entry.township_id else NO_TOWNSHIP


def entry_mu(entry: Any) -> float:
    return round(float(m2_to_mu(entry.area_m2 or Decimal(0))), 4)


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


def _mu_total(entries: Iterable[Any]) -> float:
    return round(float(m2_to_mu(sum((e.area_m2 or Decimal(0) for e in entries), Decimal(0)))), 4)


def _group_key(entry: Any) -> tuple:
    t = entry.township
    return (t is None, t.sort_order if t else 0, t.code if t else "", t.name if t else "")


# --- xlsx ---------------------------------------------------------------------------------------------

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
THIN = "BFBFBF"


class _Sheet:
    """A worksheet laid out for printing: title, subtitle, header (frozen, repeated on every page),
    data rows, 小计/合计 rows; A4 landscape, fitted to the page width."""

    def __init__(self, ws: Any, *, title: str, subtitle: str, headers: list[str], widths: list[int],
                 number_formats: dict[int, str], wrap: Sequence[int] = ()):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
        from openpyxl.utils import get_column_letter

        self.ws = ws
        self.formats = number_formats
        self.wrap = set(wrap)
        self.ncols = len(headers)
        self._side = Side(style="thin", color=THIN)
        self._border = Border(left=self._side, right=self._side, top=self._side, bottom=self._side)
        last = get_column_letter(self.ncols)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.append([title])
        ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
        cell = ws.cell(TITLE_ROW, 1)
        cell.font = Font(bold=True, size=16)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[TITLE_ROW].height = 30
        ws.append([subtitle])
        ws.merge_cells(f"A{SUBTITLE_ROW}:{last}{SUBTITLE_ROW}")
        ws.cell(SUBTITLE_ROW, 1).font = Font(size=10)
        ws.cell(SUBTITLE_ROW, 1).alignment = Alignment(horizontal="left", vertical="center")
        ws.append(headers)
        for i in range(1, self.ncols + 1):
            c = ws.cell(HEADER_ROW, i)
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="DDE5F0")
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.border = self._border
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.5
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    def _append(self, values: list[Any], *, bold: bool = False, fill: str | None = None) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.ws.append(values)
        r = self.ws.max_row
        for i in range(1, self.ncols + 1):
            c = self.ws.cell(r, i)
            c.border = self._border
            value = c.value
            if i in self.formats and isinstance(value, int | float | Decimal | date):
                c.number_format = self.formats[i]
            c.alignment = Alignment(vertical="top", wrap_text=i in self.wrap)
            if bold:
                c.font = Font(bold=True)
            if fill:
                c.fill = PatternFill("solid", fgColor=fill)

    def row(self, values: list[Any]) -> None:
        self._append(values)

    def total(self, values: list[Any]) -> None:
        self._append(values, bold=True, fill="F2F2F2")

    def note(self, text: str) -> None:
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        self.ws.append([text])
        r = self.ws.max_row
        self.ws.merge_cells(f"A{r}:{get_column_letter(self.ncols)}{r}")
        self.ws.cell(r, 1).font = Font(bold=True)
        self.ws.cell(r, 1).alignment = Alignment(horizontal="left")


def _book_bytes(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_subtitle(*, user: Any, unit: str, count_text: str, filters: str = "") -> str:
    who = getattr(user, "full_name", "") or getattr(user, "username", "")
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    parts = [f"制表单位：{unit}", f"导出时间：{now}", f"导出人：{who}", count_text]
    if filters:
        parts.append(f"筛选：{filters}")
    return "　".join(p for p in parts if p)


def _by_township(entries: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[tuple, list[Any]] = {}
    for e in entries:
        groups.setdefault(_group_key(e), []).append(e)
    return [(key[3] or NO_TOWNSHIP, rows) for key, rows in sorted(groups.items(), key=lambda kv: kv[0])]


def _basis_text(entry: Any) -> str:
    basis = entry.basis or []
    if isinstance(basis, str):
        return basis
    return "\n".join(str(b) for b in basis)


def _remarks(entry: Any) -> str:
    parts = []
    if entry.remarks:
        parts.append(entry.remarks)
    if entry.add_reason:
        parts.append(f"乡镇补充：{entry.add_reason}")
    return "；".join(parts)


def inventory_xlsx(entries: Sequence[Any], *, title: str, subtitle: str, excluded: Sequence[Any] = ()) -> bytes:
    """The inventory: one row per entry, a 小计 per township, a 合计; entries left out of a draft
    list (剔除) follow under their own heading, outside the totals."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "清单"
    sheet = _Sheet(ws, title=title, subtitle=subtitle, headers=INVENTORY_HEADERS, widths=INVENTORY_WIDTHS,
                   number_formats={6: "#,##0.00", 7: "yyyy-mm-dd", 8: "0"}, wrap=(4, 5, 10, 11))
    seq = 0
    for name, rows in _by_township(entries):
        for e in rows:
            seq += 1
            sheet.row(_inventory_row(seq, e, _remarks(e)))
        sheet.total(["", f"{name} 小计", "", f"{len(rows)} 处", "", _mu_total(rows), "", "", "", "", ""])
    sheet.total(["", "合计", "", f"{len(entries)} 处", "", _mu_total(entries), "", "", "", "", ""])
    if excluded:
        sheet.note(f"已剔除（{len(excluded)} 处，不计入合计）")
        for i, e in enumerate(excluded, start=1):
            reason = EXCLUSION_LABELS.get(e.exclusion_reason, e.exclusion_reason)
            note = f"剔除原因：{reason}" + (f"（{e.exclusion_note}）" if e.exclusion_note else "")
            sheet.row(_inventory_row(i, e, note))
    return _book_bytes(wb)


def _inventory_row(seq: int, e: Any, remarks: str) -> list[Any]:
    return [seq, e.number or "", township_name(e), e.label, e.holders, entry_mu(e), e.deemed_start,
            e.days_past_start, status_label(e), _basis_text(e), remarks]


@dataclass(frozen=True)
class TargetRow:
    township: str
    year: int
    target_mu: Decimal
    target_m2: Decimal
    assigned_mu: float


def workplan_xlsx(entries: Sequence[Any], *, title: str, subtitle: str, targets: Sequence[TargetRow],
                  campaign: Any) -> bytes:
    """The annual work plan: every entry with its year, route and responsible units (未安排 when it
    has none), a 小计 per township, a 合计; the sheet 年度目标 with the townships' targets."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "年度工作方案"
    sheet = _Sheet(ws, title=title, subtitle=subtitle, headers=WORKPLAN_HEADERS, widths=WORKPLAN_WIDTHS,
                   number_formats={6: "#,##0.00", 7: "0"}, wrap=(4, 5, 10, 11))
    seq = 0
    for name, rows in _by_township(entries):
        for e in rows:
            seq += 1
            item = plan_of(e)
            sheet.row([
                seq, e.number or "", township_name(e), e.label, e.holders, entry_mu(e),
                item.year if item else None, ROUTE_LABELS.get(item.route, item.route) if item else "未安排",
                item.responsible_township.name if item and item.responsible_township_id else "",
                _org_name(item.responsible_department) if item and item.responsible_department_id else "",
                item.note if item else "",
            ])
        sheet.total(["", f"{name} 小计", "", f"{len(rows)} 处", "", _mu_total(rows), "", "", "", "", ""])
    sheet.total(["", "合计", "", f"{len(entries)} 处", "", _mu_total(entries), "", "", "", "", ""])

    ws2 = wb.create_sheet("年度目标")
    t_sheet = _Sheet(ws2, title=f"{campaign.name} 年度目标", subtitle=subtitle.split("　筛选")[0],
                     headers=TARGET_HEADERS, widths=TARGET_WIDTHS,
                     number_formats={2: "0", 3: "#,##0.00", 4: "#,##0.00", 5: "#,##0.00", 6: "0.0%"})
    sum_mu = sum_m2 = Decimal(0)
    sum_assigned = 0.0
    for t in targets:
        sum_mu += t.target_mu
        sum_m2 += t.target_m2
        sum_assigned += t.assigned_mu
        t_sheet.row([t.township, t.year, float(t.target_mu), float(t.target_m2), round(t.assigned_mu, 4),
                     round(t.assigned_mu / float(t.target_mu), 4) if t.target_mu else None])
    t_sheet.total(["乡镇目标合计", "", float(sum_mu), float(sum_m2), round(sum_assigned, 4),
                   round(sum_assigned / float(sum_mu), 4) if sum_mu else None])
    goal_mu = float(campaign.target_reclaimed_mu or 0)
    t_sheet.total(["行动总目标", "", goal_mu, float(campaign.target_floor_area_m2 or 0),
                   _mu_total(e for e in entries if _has_plan(e)),
                   round(_mu_total(e for e in entries if _has_plan(e)) / goal_mu, 4) if goal_mu else None])
    return _book_bytes(wb)


def plan_of(entry: Any) -> Any:
    """The entry's WorkPlanItem, or None."""
    try:
        return entry.plan_item
    except ObjectDoesNotExist:
        return None


def _has_plan(entry: Any) -> bool:
    return plan_of(entry) is not None


def _org_name(org: Any) -> str:
    return org.short_name or org.name


# --- geo ------------------------------------------------------------------------------------------------

def entry_attributes(entry: Any) -> dict[str, Any]:
    return {
        "清单编号": entry.number or "",
        "乡镇": entry.township.name if entry.township_id else "",
        "地块": entry.label,
        "权利人": entry.holders,
        "面积亩": entry_mu(entry),
        "类型": KIND_LABELS.get(entry.kind, entry.kind),
        "状态": status_label(entry),
    }


def inventory_geojson(entries: Iterable[Any]) -> bytes:
    """A FeatureCollection in lon/lat, one feature per entry (geometry null when it has none)."""
    parts = ['{"type":"FeatureCollection","features":[']
    first = True
    for e in entries:
        feature = {"type": "Feature", "id": e.pk, "properties": entry_attributes(e), "geometry": e.geometry or None}
        parts.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        first = False
    parts.append("]}")
    return "".join(parts).encode("utf-8")


def inventory_gpkg(entries: Iterable[Any], layer: str = "清单地块") -> bytes:
    """A GeoPackage layer (EPSG:4490) with the ASCII field names; entries without geometry are left out."""
    import numpy as np
    import pyogrio.raw
    import shapely
    from shapely.geometry import shape

    rows = [e for e in entries if e.geometry]
    geoms = np.array([shape(e.geometry) for e in rows], dtype=object)
    values: dict[str, list[Any]] = {f.name: [] for f in INVENTORY_GEO_FIELDS}
    for e in rows:
        for k, v in entry_attributes(e).items():
            values[k].append(v)
    arrays = [np.array(values[f.name], dtype=float) if f.number else np.array(values[f.name], dtype=object)
              for f in INVENTORY_GEO_FIELDS]
    multi = bool(len(geoms)) and bool((shapely.get_type_id(geoms) == 6).any())
    if multi:  # a layer has one geometry type: promote every polygon
        for i in np.flatnonzero(shapely.get_type_id(geoms) == 3):
            geoms[i] = shapely.MultiPolygon([geoms[i]])
    wkb = shapely.to_wkb(geoms) if len(geoms) else np.array([], dtype=object)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.gpkg"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.raw.write(str(path), wkb, arrays, [f.shp for f in INVENTORY_GEO_FIELDS], driver="GPKG",
                              layer=layer, geometry_type="MultiPolygon" if multi else "Polygon",
                              crs=f"EPSG:{LONLAT_EPSG}")
        return path.read_bytes()


def download(content: bytes, content_type: str, stem: str, ext: str) -> Export:
    return Export(content, content_type, f"{stem}-{export_stamp()}.{ext}")


__all__ = [
    "GEOJSON", "GPKG", "INVENTORY_GEO_FIELDS", "INVENTORY_HEADERS", "WORKPLAN_HEADERS", "XLSX", "TargetRow",
    "cn_date", "download", "entry_attributes", "entry_mu", "export_subtitle", "inventory_geojson", "inventory_gpkg",
    "inventory_xlsx", "plan_of", "status_label", "township_name", "workplan_xlsx",
]

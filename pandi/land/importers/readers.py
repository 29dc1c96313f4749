"""Reading a spreadsheet (.xlsx, .xls, .csv) into a header and rows, whatever produced it.

The format is told by the bytes, not the file name (a ".xls" that is really a web page is named as
such). CSV text may be UTF-8 (with or without BOM), GBK/GB18030 (Excel's "CSV" on Chinese Windows)
or UTF-16; the encoding used is reported. Comma, tab and semicolon separators are detected.
The header row is the first of the top rows that the caller's `header_score` recognises (titles
above the header are common in government sheets); row numbers are those the user sees in Excel.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

HEADER_SEARCH_ROWS = 20
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class ReadError(Exception):
    """The file cannot be read at all; the message is Chinese."""


@dataclass
class Table:
    header: list[Any]
    rows: list[tuple[int, list[Any]]]  # (row number as seen in Excel / the CSV record number, cells)
    header_row: int = 1
    format: str = "csv"  # csv, xlsx, xls
    encoding: str = ""  # for CSV: UTF-8, UTF-8-BOM, GBK, GB18030, UTF-16
    sheet: str = ""
    notes: list[str] = field(default_factory=list)


def detect_encoding(data: bytes) -> tuple[str, str]:
    """(text, encoding label). UTF-8 first (ASCII is UTF-8), then GBK, then GB18030."""
    attempts = [("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")]
    if data.startswith(b"\xef\xbb\xbf"):
        data, attempts = data[3:], [("utf-8", "UTF-8-BOM")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts = [("utf-16", "UTF-16")]
    for codec, label in attempts:
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise ReadError("无法识别文件编码（支持 UTF-8、GBK、GB18030），请在 Excel 中另存为“CSV UTF-8”或 .xlsx")


def _delimiter(text: str) -> str:
    """The separator used most on one line among the first lines (a title line may have none)."""
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, most = ",", 0
    for d in (",", "\t", ";"):
        n = max((line.count(d) for line in lines), default=0)
        if n > most:
            best, most = d, n
    return best


def _is_blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _find_header(rows: list[tuple[int, list[Any]]], header_score: Callable[[list[Any]], int] | None) -> int:
    """Index into `rows` of the header row."""
    candidates = [i for i, (_n, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]) if not _is_blank(cells)]
    if not candidates:
        raise ReadError("文件中没有数据")
    if header_score is not None:
        scored = [(header_score(rows[i][1]), i) for i in candidates]
        best = max(s for s, _i in scored)
        if best >= 2:
            return next(i for s, i in scored if s == best)
    return candidates[0]


def _table(rows: list[tuple[int, list[Any]]], header_score, **kwargs: Any) -> Table:
    h = _find_header(rows, header_score)
    header_no, header = rows[h]
    width = len(header)
    while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
        width -= 1
    body = []
    for number, cells in rows[h + 1:]:
        if _is_blank(cells):
            continue
        cells = list(cells[:width]) + [None] * (width - len(cells))
        body.append((number, cells))
    return Table(header=list(header[:width]), rows=body, header_row=header_no, **kwargs)


def read_csv(data: bytes, header_score=None) -> Table:
    text, encoding = detect_encoding(data)
    if text.lstrip().startswith(("{", "[")):
        raise ReadError("文件是 JSON（如 GeoJSON），不是表格；宗地边界请按“宗地边界”类型导入")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = [(i, list(cells)) for i, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ReadError(f"CSV 文件格式错误：{exc}") from exc
    return _table(rows, header_score, format="csv", encoding=encoding)


def read_xlsx(data: bytes, header_score=None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(f"无法读取 Excel（.xlsx）文件：{exc}") from exc
    try:
        sheets = []
        for ws in book.worksheets:
            rows = [(i, list(cells)) for i, cells in enumerate(ws.iter_rows(values_only=True), start=1)]
            sheets.append((ws.title, rows))
    finally:
        book.close()
    return _pick_sheet(sheets, header_score, "xlsx")


def read_xls(data: bytes, header_score=None) -> Table:
    try:
        import xlrd
    except ImportError as exc:  # pragma: no cover - xlrd is a dependency
        raise ReadError("系统未安装读取 .xls 的组件，请将文件另存为 .xlsx 后导入") from exc
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        raise ReadError(f"无法读取 Excel（.xls）文件：{exc}") from exc
    sheets = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            cells = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                        cells.append(cell.value)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    cells.append(None)
                else:
                    cells.append(cell.value)
            rows.append((r + 1, cells))
        sheets.append((sheet.name, rows))
    book.release_resources()
    return _pick_sheet(sheets, header_score, "xls")


def _pick_sheet(sheets: list[tuple[str, list]], header_score, fmt: str) -> Table:
    """The first sheet whose header the caller recognises, else the first sheet with data."""
    fallback = None
    for name, rows in sheets:
        if _is_blank(c for _n, cells in rows for c in cells):
            continue
        if header_score is not None:
            h = _find_header(rows, header_score)
            if header_score(rows[h][1]) >= 2:
                table = _table(rows, header_score, format=fmt, sheet=name)
                if len(sheets) > 1:
                    table.notes.append(f"读取工作表“{name}”")
                return table
        fallback = fallback or (name, rows)
    if fallback is None:
        raise ReadError("Excel 文件中没有数据")
    return _table(fallback[1], header_score, format=fmt, sheet=fallback[0])


def read_table(data: bytes, file_name: str = "", header_score: Callable[[list[Any]], int] | None = None) -> Table:
    """Read .xlsx, .xls or .csv bytes."""
    if not data:
        raise ReadError("文件是空的")
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data, header_score)
    if data.startswith(OLE2_MAGIC):
        return read_xls(data, header_score)
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")) or b"<table" in head:
        raise ReadError("文件是网页（HTML/XML）格式，不是真正的 Excel 文件：请用 Excel 打开后另存为 .xlsx 再导入")
    if file_name.lower().endswith((".xlsx", ".xls")):
        raise ReadError("文件扩展名是 Excel，但内容不是 Excel 文件，请确认文件未损坏")
    return read_csv(data, header_score)

"""The downloadable problem list of an import batch (.xlsx): a title row naming the file and time,
then 行号/列/值/问题/级别, errors first, in file order."""

from __future__ import annotations

import io

from django.utils import timezone

from .models import ImportBatch

HEADERS = ("行号", "列", "值", "问题", "级别")
WIDTHS = (8, 22, 30, 70, 8)
LEVEL_LABELS = {"error": "错误", "warning": "警告"}


def issues_filename(batch: ImportBatch) -> str:
    stem = batch.file_name.rsplit(".", 1)[0] or "导入"
    return f"{stem}-问题清单-{batch.pk}.xlsx"


def issues_workbook(batch: ImportBatch) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    started = timezone.localtime(batch.started_at).strftime("%Y-%m-%d %H:%M")
    title = f"导入问题清单：{batch.file_name}（{batch.get_kind_display()}，{started}，{batch.get_status_display()}）"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE5F0")
    issues = sorted(batch.issues or [], key=lambda i: (i.get("level") != "error", i.get("row") is not None,
                                                       i.get("row") or 0))
    for issue in issues:
        ws.append([issue.get("row"), issue.get("column", ""), issue.get("value", ""), issue.get("message", ""),
                   LEVEL_LABELS.get(issue.get("level", ""), issue.get("level", ""))])
    if not issues:
        ws.append([None, "", "", "没有发现问题", ""])
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=3):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

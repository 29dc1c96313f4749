"""Exports of rectification as .xlsx, laid out like the inventory exports (pandi/screening/exporters.py):
a title row, a line saying who exported it when, the header (frozen, repeated on every printed page),
rows grouped by township with a 小计 row after each township and a 合计 row at the end; A4 landscape.

- Plans: one row per plan with its progress (%) from the reported quantities.
- Progress: one row per report item — what was planned for the step and what was reported, the
  step's milestone, the report's status, how much evidence it has and the photo warnings.

The functions take rows the views have already read through the scoped selectors, so an export
holds exactly what its user may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pandi.domain.rectification import MILESTONES
from pandi.screening.exporters import _book_bytes, _Sheet

from .choices import PlanStatusChoices, ReportStatus

PLAN_HEADERS = ["序号", "企业", "乡镇街道", "清单编号", "整改路径", "开始日期", "整改期限", "状态", "版本", "进度(%)",
                "新增建筑面积(平方米)", "投资额(万元)", "备注"]
PLAN_WIDTHS = [6, 28, 12, 16, 10, 12, 12, 16, 6, 9, 16, 13, 30]
PROGRESS_HEADERS = ["序号", "企业", "乡镇街道", "月份", "步骤", "计划面积(平方米)", "实际面积(平方米)",
                    "计划投资(万元)", "实际投资(万元)", "节点", "状态", "佐证材料数", "照片提示"]
PROGRESS_WIDTHS = [6, 26, 12, 9, 28, 14, 14, 13, 13, 16, 14, 10, 40]
STATUS_LABELS = dict(PlanStatusChoices.choices)
REPORT_LABELS = dict(ReportStatus.choices)


def _township_key(township: Any) -> tuple:
    return (township.sort_order, township.code, township.name)


def _sum(values: Sequence[Any]) -> float:
    return round(float(sum((Decimal(v) for v in values if v is not None), Decimal(0))), 2)


def _remarks(plan: Any) -> str:
    parts = []
    if plan.route_note:
        parts.append(plan.route_note)
    if plan.exception_reason:
        parts.append(f"延期理由：{plan.exception_reason}")
    if plan.last_comment:
        parts.append(f"最近意见：{plan.last_comment}")
    return "；".join(parts)


def plans_xlsx(plans: Sequence[Any], *, progress: dict[int, Decimal], title: str, subtitle: str) -> bytes:
    """Plans by township; `progress` maps plan id → percent. Subtotals count plans and add up the
    new floor area and investment."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "整改方案"
    sheet = _Sheet(ws, title=title, subtitle=subtitle, headers=PLAN_HEADERS, widths=PLAN_WIDTHS,
                   number_formats={6: "yyyy-mm-dd", 7: "yyyy-mm-dd", 9: "0", 10: "0.0", 11: "#,##0.00",
                                   12: "#,##0.00"}, wrap=(2, 4, 13))
    groups: dict[tuple, list[Any]] = {}
    for p in plans:
        groups.setdefault(_township_key(p.township), []).append(p)
    seq = 0
    for key in sorted(groups):
        rows = groups[key]
        for p in rows:
            seq += 1
            numbers = "、".join(pe.entry.number or pe.entry.label for pe in p.plan_entries.all())
            sheet.row([seq, p.enterprise.name, p.township.name, numbers, p.get_route_display() or "", p.start,
                       p.deadline, STATUS_LABELS.get(p.status, p.status), p.version,
                       float(progress.get(p.pk, Decimal(0))),
                       float(p.new_floor_area_m2) if p.new_floor_area_m2 is not None else None,
                       float(p.investment_wan) if p.investment_wan is not None else None, _remarks(p)])
        sheet.total(["", f"{key[2]} 小计", "", f"{len(rows)} 个方案", "", "", "", "", "", "",
                     _sum([p.new_floor_area_m2 for p in rows]), _sum([p.investment_wan for p in rows]), ""])
    sheet.total(["", "合计", "", f"{len(plans)} 个方案", "", "", "", "", "", "",
                 _sum([p.new_floor_area_m2 for p in plans]), _sum([p.investment_wan for p in plans]), ""])
    return _book_bytes(wb)


def _milestone(item: Any) -> str:
    ms = item.step.milestone
    if not ms:
        return ""
    return f"{MILESTONES.get(ms, ms)}（{'已完成' if item.milestone_reached else '未完成'}）"


def progress_xlsx(items: Sequence[Any], *, title: str, subtitle: str) -> bytes:
    """One row per report item, by township, enterprise and month; subtotals and the total add up
    the planned and the actual quantities."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "整改进展"
    sheet = _Sheet(ws, title=title, subtitle=subtitle, headers=PROGRESS_HEADERS, widths=PROGRESS_WIDTHS,
                   number_formats={6: "#,##0.00", 7: "#,##0.00", 8: "#,##0.00", 9: "#,##0.00", 12: "0"},
                   wrap=(2, 5, 13))
    groups: dict[tuple, list[Any]] = {}
    for i in items:
        groups.setdefault(_township_key(i.report.plan.township), []).append(i)

    def sums(rows: Sequence[Any]) -> list[float]:
        return [_sum([i.step.floor_area_m2 for i in rows]), _sum([i.floor_area_m2 for i in rows]),
                _sum([i.step.investment_wan for i in rows]), _sum([i.investment_wan for i in rows])]

    seq = 0
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda i: (i.report.plan.enterprise.name, i.report.plan_id, i.report.month,
                                                  i.step.month, i.pk))
        for i in rows:
            seq += 1
            r = i.report
            evidence = list(r.evidence.all())
            warnings = "；".join(w for e in evidence for w in (e.warnings or []))
            sheet.row([seq, r.plan.enterprise.name, r.plan.township.name, f"{r.month:%Y-%m}",
                       f"{i.step.month:%Y-%m} {i.step.action}", float(i.step.floor_area_m2), float(i.floor_area_m2),
                       float(i.step.investment_wan), float(i.investment_wan), _milestone(i),
                       REPORT_LABELS.get(r.status, r.status), len(evidence), warnings])
        sheet.total(["", f"{key[2]} 小计", "", "", f"{len(rows)} 条", *sums(rows), "", "", "", ""])
    sheet.total(["", "合计", "", "", f"{len(items)} 条", *sums(items), "", "", "", ""])
    return _book_bytes(wb)

"""The formal documents (限期整改告知书, 整改方案 as .docx and PDF) and the .xlsx exports of plans and
progress: their content, their layout, and that they are scoped like the pages."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.rectification_world import filed, plan_data, plan_steps
from tests.screening_world import accepted

pytestmark = pytest.mark.django_db


def _docx_text(content: bytes) -> tuple[object, str]:
    import docx

    d = docx.Document(io.BytesIO(content))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return d, "\n".join(parts)


def test_notice_docx_has_the_facts_and_the_formal_layout(login, world):
    plan = filed(world)
    response = login(world.users["town_a"]).get(reverse("rectification:plan_notice", args=[plan.pk, "docx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    d, text = _docx_text(response.content)
    assert "关于限期整改闲置工业用地的告知书" in text
    assert "甲公司：" in text
    assert "A-001" in text
    assert "2021年6月30日前启动" in text                      # the campaign's rectification start deadline
    assert "12个月内完成" in text
    assert "金华市金东区多湖街道办事处" in text                # 发文机关 (a 街道 signs as 办事处)
    assert f"多街整改〔2021〕{plan.pk}号" in text
    assert "《闲置土地处置办法》（国土资源部令第53号）" in text
    assert "不得评为A类、B类" in text and "差别化电价、水价" in text

    section = d.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.bottom_margin.mm) == 35
    assert round(section.left_margin.mm) == 28 and round(section.right_margin.mm) == 26
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    from docx.oxml.ns import qn

    title = next(p for p in d.paragraphs if p.text == "关于限期整改闲置工业用地的告知书")
    run = title.runs[0]
    assert run.font.size.pt == 22
    assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in d.paragraphs if p.text.startswith("根据"))
    assert body.runs[0].font.size.pt == 16
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    signature = [p for p in d.paragraphs if p.text == "金华市金东区多湖街道办事处"][-1]
    assert signature.alignment is not None and signature.alignment.name == "RIGHT"
    assert 'w:color="FF0000"' in d.element.xml  # the red separator line


def test_plan_document_has_steps_and_benefits(login, world):
    plan = filed(world)
    response = login(world.users["ent_a"]).get(reverse("rectification:plan_document", args=[plan.pk, "docx"]))
    assert response.status_code == 200
    d, text = _docx_text(response.content)
    assert "甲公司闲置工业用地整改方案" in text and "已备案" in text
    assert "2021-06" in text and "第 1 月施工" in text and "取得施工许可" in text
    assert "投资额（万元）" in text and "6,000.00" in text
    assert "备案" in text and "区经济商务局备案" in text
    steps_table = next(t for t in d.tables if t.rows[0].cells[1].text == "月份")
    assert len(steps_table.rows) == 1 + 12 + 1   # header, twelve months, 合计


@pytest.mark.parametrize("name", ["rectification:plan_notice", "rectification:plan_document"])
def test_pdf_is_a_pdf_and_scoped(login, world, name):
    plan = filed(world)
    response = login(world.users["ent_a"]).get(reverse(name, args=[plan.pk, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert login(world.users["town_b"]).get(reverse(name, args=[plan.pk, "pdf"])).status_code == 404
    assert login(world.users["ent_b"]).get(reverse(name, args=[plan.pk, "docx"])).status_code == 404


def test_pdf_has_a_page_per_page_of_text(world):
    import re

    from pandi.rectification import documents

    doc = documents.notice(filed(world))
    pdf = documents.to_pdf(doc, dpi=60)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages == len(documents._layout(doc, 30).pages) >= 2
    assert documents.to_png(doc, dpi=40).startswith(b"\x89PNG")


# --- exports -----------------------------------------------------------------------------------------

def _plans_both(world):
    from pandi.rectification import services

    plan_a = filed(world)
    plan_b = services.plan_create(user=world.users["ent_b"], entries=[accepted(world).entry_b],
                                  data=plan_data(investment_wan=Decimal("3500.5"), new_floor_area_m2=Decimal("9000")),
                                  steps=plan_steps())
    step = plan_a.steps.get(month=date(2021, 6, 1))
    services.report_submit(user=world.users["ent_a"], plan=plan_a, month=date(2021, 6, 1), narrative="开工",
                           items=[{"step_id": step.pk, "floor_area_m2": "1500", "investment_wan": "420",
                                   "milestone_reached": True}])
    step2 = plan_a.steps.get(month=date(2021, 7, 1))
    services.report_submit(user=world.users["ent_a"], plan=plan_a, month=date(2021, 7, 1), narrative="施工",
                           items=[{"step_id": step2.pk, "floor_area_m2": "1700.25", "investment_wan": "480"}])
    return plan_a, plan_b


def _rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))


def test_plans_xlsx_headers_totals_and_scope(login, world):
    from pandi.rectification.exporters import PLAN_HEADERS

    plan_a, plan_b = _plans_both(world)
    response = login(world.users["lead"]).get(reverse("rectification:plans_xlsx"))
    assert response.status_code == 200
    rows = _rows(response.content)
    assert rows[0][0] == "金东区闲置工业用地整改方案汇总表"
    assert list(rows[2]) == ["序号", "企业", "乡镇街道", "清单编号", "整改路径", "开始日期", "整改期限", "状态", "版本",
                             "进度(%)", "新增建筑面积(平方米)", "投资额(万元)", "备注"] == PLAN_HEADERS
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    assert [(r[1], r[2], r[7]) for r in data] == [("甲公司", "多湖街道", "整改中"), ("乙公司", "东孝街道", "草稿")]
    assert data[0][9] > 0 and data[1][9] == 0  # progress from the reported quantities
    subtotals = [r for r in rows if isinstance(r[1], str) and r[1].endswith("小计")]
    assert [r[1] for r in subtotals] == ["多湖街道 小计", "东孝街道 小计"]
    total = rows[-1]
    assert total[1] == "合计" and total[3] == "2 个方案"
    assert total[10] == pytest.approx(float(plan_a.new_floor_area_m2 + plan_b.new_floor_area_m2))
    assert total[11] == pytest.approx(sum(r[11] for r in data)) == pytest.approx(6000 + 3500.5)
    assert sum(s[11] for s in subtotals) == pytest.approx(total[11])

    own = _rows(login(world.users["town_a"]).get(reverse("rectification:plans_xlsx")).content)
    text = repr(own)
    assert "甲公司" in text and "乙公司" not in text and "东孝街道" not in text
    assert own[0][0] == "多湖街道闲置工业用地整改方案汇总表"
    ent_b = repr(_rows(login(world.users["ent_b"]).get(reverse("rectification:plans_xlsx")).content))
    assert "乙公司" in ent_b and "甲公司" not in ent_b
    drafts = _rows(login(world.users["lead"]).get(reverse("rectification:plans_xlsx"), {"status": "draft"}).content)
    assert [r[1] for r in drafts if isinstance(r[0], int)] == ["乙公司"]


def test_progress_xlsx_headers_totals_and_scope(login, world):
    from pandi.rectification.exporters import PROGRESS_HEADERS
    from pandi.rectification.models import ProgressItem

    _plans_both(world)
    response = login(world.users["town_a"]).get(reverse("rectification:progress_xlsx"))
    assert response.status_code == 200
    rows = _rows(response.content)
    assert list(rows[2]) == ["序号", "企业", "乡镇街道", "月份", "步骤", "计划面积(平方米)", "实际面积(平方米)",
                             "计划投资(万元)", "实际投资(万元)", "节点", "状态", "佐证材料数",
                             "照片提示"] == PROGRESS_HEADERS
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    assert [(r[1], r[3]) for r in data] == [("甲公司", "2021-06"), ("甲公司", "2021-07")]
    assert data[0][9] == "取得施工许可（已完成）" and data[0][10] == "待乡镇确认" and data[0][11] == 0
    items = list(ProgressItem.objects.select_related("step"))
    total = rows[-1]
    assert total[1] == "合计" and total[4] == "2 条"
    assert total[5] == pytest.approx(float(sum(i.step.floor_area_m2 for i in items)))
    assert total[6] == pytest.approx(float(sum(i.floor_area_m2 for i in items))) == pytest.approx(3200.25)
    assert total[7] == pytest.approx(float(sum(i.step.investment_wan for i in items)))
    assert total[8] == pytest.approx(900)
    assert "甲公司" not in repr(_rows(login(world.users["town_b"]).get(reverse("rectification:progress_xlsx")).content))

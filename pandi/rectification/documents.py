"""The formal documents of rectification (R9–R11, R13), as .docx and PDF:

- 限期整改告知书: the township's notice to an enterprise, laid out like a Chinese government document
  (GB/T 9704-2012): the issuing authority's name in red, the document number, the red separator
  line, the title, the addressee, the body (facts, legal basis, requirements, consequences,
  contact), the issuer and the date right-aligned, and the 版记 (抄送) at the end.
- 整改方案: the plan itself — its parcels, route, measures, approach, the monthly steps and the
  expected benefits as tables, its status and filing record.

Each document is first built as a list of `Block`s (plain text), then rendered twice:
- `to_docx`: python-docx. A4, margins per GB/T 9704 (top 37 mm, bottom 35 mm, left 28 mm, right
  26 mm); 方正小标宋简体 二号 (22 pt) for the title, 仿宋_GB2312 三号 (16 pt) for the body, 黑体 for
  headings, fixed 28 pt line spacing, first lines indented two characters, page numbers “— 1 —”.
  The font names are set on every run for both the Latin and the East-Asian slots (w:eastAsia), so
  Word and WPS pick the government fonts where installed.
- `to_pdf` / `to_png`: the same blocks laid out on A4 pages with matplotlib (Agg) and wrapped into a
  PDF by Pillow, as the printed distribution map does (pandi/screening/mapprint.py, whose CJK font
  lookup `find_cjk_font` and line-break rule are reused). Pages are rasters, so no CJK font is
  embedded. The PDF is drawn in the system's CJK font (e.g. Noto Sans CJK), not in 仿宋: it is a
  faithful print of the same text and layout; the .docx is the editable original.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from pandi.domain.rectification import BENEFIT_LABELS, MILESTONES, ROUTE_LABELS
from pandi.domain.units import m2_to_mu

# --- the text model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One element of a formal document. kind: issuer, docno, redline, title, subtitle, addressee,
    para, heading, table, signature, cc."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()     # tables: the header row first
    widths: tuple[float, ...] = ()             # tables: relative column widths
    align: tuple[str, ...] = ()                # tables: "l", "c" or "r" per column


@dataclass
class FormalDocument:
    title: str
    file_stem: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, kind: str, text: str = "", **kw: Any) -> None:
        self.blocks.append(Block(kind, text, **kw))

    def paras(self, text: str) -> None:
        for line in (text or "").splitlines():
            if line.strip():
                self.add("para", line.strip())

    @property
    def text(self) -> str:
        """Every word of the document, for tests and search."""
        out = []
        for b in self.blocks:
            out.append(b.text)
            out.extend("　".join(r) for r in b.rows)
        return "\n".join(t for t in out if t)


NOTICE_DAYS = 15   # the enterprise submits its plan within 15 days of receiving the notice
CN_NUMBERS = "一二三四五六七八九十"


def cn_date(d: date) -> str:
    """GB/T 9704-2012: dates in Arabic numerals, no leading zeros."""
    return f"{d.year}年{d.month}月{d.day}日"


def _mu(m2: Any) -> str:
    return f"{m2_to_mu(m2 or Decimal(0)):,.2f}"


def _num(v: Any, places: int = 2) -> str:
    if v is None:
        return "—"
    return f"{Decimal(v):,.{places}f}"


def issuer_name(township: Any) -> str:
    """The township's government as it signs: 金华市金东区多湖街道办事处 / 金华市金东区XX镇人民政府."""
    city = getattr(settings, "PANDI_CITY_NAME", "金华市")
    district = getattr(settings, "PANDI_DISTRICT_NAME", "金东区")
    suffix = "办事处" if township.township_type == "街道" or township.name.endswith("街道") else "人民政府"
    return f"{city}{district}{township.name}{suffix}"


def document_number(plan: Any) -> str:
    """A stable 文号 from the township and the plan id: 多街整改〔2021〕7号 (多湖街道), X政整改〔2021〕7号 (a town)."""
    t = plan.township
    kind = "街" if t.township_type == "街道" or t.name.endswith("街道") else "政"
    return f"{t.name[0]}{kind}整改〔{plan.campaign.start.year}〕{plan.pk}号"


def _entries(plan: Any) -> list[Any]:
    from .models import PlanEntry

    return [pe.entry for pe in PlanEntry.objects.filter(plan=plan)
            .select_related("entry", "entry__parcel", "entry__inventory_list__run").prefetch_related("entry__parcels")
            .order_by("entry__number", "entry_id")]


def parcel_codes(entry: Any) -> list[str]:
    codes = [p.code for p in entry.parcels.all()]
    return codes or ([entry.parcel.code] if entry.parcel_id else [])


def _place(entry: Any) -> str:
    """The parcel's name (or the block's label) followed by a comma, unless it only repeats the code."""
    name = entry.parcel.name if entry.parcel_id and entry.parcel.name else entry.label
    return f"{name}，" if name and name not in parcel_codes(entry) else ""


def _status_label(entry: Any) -> str:
    from pandi.screening.choices import ScreeningStatus

    return dict(ScreeningStatus.choices).get(entry.status, "") if entry.status else "连片空闲地块"


def _as_of(entry: Any, campaign: Any) -> date:
    run = entry.inventory_list.run if entry.inventory_list.run_id else None
    return run.as_of if run is not None else campaign.survey_deadline


def notice_date(plan: Any) -> date:
    """The notice's date: the day the plan (the case) was opened."""
    return timezone.localdate(plan.created_at) if plan.created_at else timezone.localdate()


def notice(plan: Any, *, issued_on: date | None = None) -> FormalDocument:
    """限期整改告知书 to the plan's enterprise about the plan's inventory entries."""
    c, t, ent = plan.campaign, plan.township, plan.enterprise
    issued_on = issued_on or notice_date(plan)
    issuer = issuer_name(t)
    me = "我街道" if issuer.endswith("办事处") else "我镇" if t.name.endswith("镇") else "我乡"
    doc = FormalDocument("关于限期整改闲置工业用地的告知书", f"限期整改告知书-{ent.name}")
    doc.add("issuer", issuer)
    doc.add("docno", document_number(plan))
    doc.add("redline")
    doc.add("title", doc.title)
    doc.add("addressee", f"{ent.name}：")
    entries = _entries(plan)
    numbers = "、".join(e.number for e in entries if e.number)
    plan_name = f"《{c.name}》" + (f"（{c.document_no}）" if c.document_no else "")
    doc.add("para", f"根据{plan_name}，经调查核实，你单位在{me}辖区内取得的下列工业用地已列入闲置工业用地清单"
                    + (f"（清单编号：{numbers}）" if numbers else "") + "，现将有关事实告知如下：")
    for i, e in enumerate(entries):
        codes = "、".join(parcel_codes(e)) or e.label
        named = f"（{_place(e).rstrip('，')}）" if _place(e) else ""
        facts = [f"（{CN_NUMBERS[i % 10]}）宗地编号{codes}{named}，面积{_mu(e.area_m2)}亩"]
        if e.deemed_start:
            facts.append(f"约定开工日期为{cn_date(e.deemed_start)}")
            if e.days_past_start is not None and e.days_past_start > 0:
                facts.append(f"截至{cn_date(_as_of(e, c))}已超过约定开工日期{e.days_past_start}天")
        facts.append(f"现状为“{_status_label(e)}”")
        doc.add("para", "，".join(facts) + "。")
        basis = [str(line).strip().rstrip("。；") for line in (e.basis or []) if str(line).strip()]
        if basis:
            doc.add("para", "认定依据：" + "；".join(basis) + "。")
    doc.add("para", f"依据《闲置土地处置办法》（国土资源部令第53号）和{plan_name}的规定，请你单位对上述土地限期整改。"
                    "具体要求告知如下：")
    doc.add("heading", "一、整改要求")
    doc.add("para", f"（一）自收到本告知书之日起{NOTICE_DAYS}日内，向{me}提交整改方案。整改方案应当写明整改措施、"
                    "具体做法、按月实施步骤、完成期限和预期效益（新增建筑面积、投资额、年产值、年税收、新增就业等）。"
                    "你单位可登录盘地系统，或通过我们发送的填报链接在线填写。")
    doc.add("para", f"（二）整改须于{cn_date(c.rectification_start_deadline)}前启动，原则上自启动之日起"
                    f"{c.rectification_months}个月内完成；确需延长的，应在方案中说明理由并经批准。")
    doc.add("para", "（三）整改方案经乡镇（街道）审核、区经济商务局备案后实施。"
                    "实施期间，请于每月5日前报送上月整改进展，并附现场照片、许可证照、发票、合同等佐证材料。")
    doc.add("heading", "二、逾期不整改的后果")
    doc.add("para", "对未按期提交整改方案、未按期启动整改、整改进度严重滞后、逾期未完成整改或拒不整改的，"
                    "将依法依规采取以下措施：")
    doc.add("para", "（一）在工业企业亩均效益综合评价中不得评为A类、B类；")
    doc.add("para", "（二）按亩均效益综合评价结果实行差别化电价、水价等资源要素价格政策；")
    doc.add("para", "（三）依照《闲置土地处置办法》等规定，依法征缴土地闲置费直至无偿收回国有建设用地使用权，"
                    "或采取协议收回、收购收储等方式依法处置。")
    doc.add("heading", "三、联系方式")
    contact = t.contact_person or "__________"
    phone = t.contact_phone or "______________"
    doc.add("para", f"联系单位：{issuer}；联系人：{contact}；联系电话：{phone}。")
    doc.add("para", "特此告知。")
    doc.add("signature", issuer)
    doc.add("signature", cn_date(issued_on))
    district = getattr(settings, "PANDI_DISTRICT_NAME", "金东区")
    doc.add("cc", f"抄送：{district}经济商务局。")
    return doc


def plan_document(plan: Any) -> FormalDocument:
    """整改方案 as the enterprise submitted it, with its status and filing record."""
    ent, t = plan.enterprise, plan.township
    doc = FormalDocument(f"{ent.name}闲置工业用地整改方案", f"整改方案-{ent.name}-第{plan.version}版")
    doc.add("title", doc.title)
    doc.add("subtitle", f"（第{plan.version}版　状态：{plan.get_status_display()}）")
    entries = _entries(plan)
    land = "；".join(f"{e.number or '—'}　宗地{'、'.join(parcel_codes(e)) or e.label}（{_place(e)}{_mu(e.area_m2)}亩）"
                     for e in entries)
    period = (f"{cn_date(plan.start)}至{cn_date(plan.deadline)}" if plan.start and plan.deadline else "未填写")
    info = [("项目", "内容"), ("整改企业", ent.name), ("所在乡镇（街道）", t.name), ("清单地块", land or "—"),
            ("整改路径", (ROUTE_LABELS.get(plan.route, "") if plan.route else "未填写")
             + (f"（{plan.route_note}）" if plan.route_note else "")),
            ("整改期限", period)]
    if plan.exception_reason:
        info.append(("延期理由", plan.exception_reason))
    doc.add("heading", "一、基本情况")
    doc.add("table", rows=tuple(info), widths=(1, 3), align=("l", "l"))
    doc.add("heading", "二、整改措施")
    doc.paras(plan.measures or "未填写")
    doc.add("heading", "三、具体做法")
    doc.paras(plan.approach or "未填写")
    doc.add("heading", "四、按月实施步骤")
    steps = list(plan.steps.all().order_by("month"))
    rows: list[tuple[str, ...]] = [
        ("序号", "月份", "实施内容", "节点", "计划开工建筑面积（平方米）", "计划投资（万元）")]
    for i, s in enumerate(steps, 1):
        rows.append((str(i), f"{s.month:%Y-%m}", s.action, MILESTONES.get(s.milestone, "")
                     if s.milestone else "", _num(s.floor_area_m2), _num(s.investment_wan)))
    rows.append(("", "合计", f"{len(steps)}个月", "", _num(sum((s.floor_area_m2 for s in steps), Decimal(0))),
                 _num(sum((s.investment_wan for s in steps), Decimal(0)))))
    doc.add("table", rows=tuple(rows), widths=(0.8, 1.3, 3.0, 1.6, 1.9, 1.5), align=("c", "c", "l", "c", "r", "r"))
    doc.add("heading", "五、预期效益")
    benefits = [("项目", "预期")]
    for key, label in BENEFIT_LABELS.items():
        value = getattr(plan, key)
        benefits.append((label, "未填写" if value is None else str(value) if key == "jobs" else _num(value)))
    doc.add("table", rows=tuple(benefits), widths=(2, 2), align=("l", "r"))
    doc.add("heading", "六、审核与备案")
    record = [f"当前状态：{plan.get_status_display()}"]
    for label, at in (("提交审核", plan.submitted_at), ("乡镇（街道）审核通过", plan.approved_at),
                      ("区经济商务局备案", plan.filed_at), ("开始实施", plan.started_at), ("办结", plan.closed_at)):
        if at:
            record.append(f"{label}：{cn_date(timezone.localdate(at))}")
    doc.add("para", "；".join(record) + "。")
    events = list(plan.events.all())
    if events:
        erows: list[tuple[str, ...]] = [("时间", "办理事项", "办理人", "意见")]
        for e in events:
            erows.append((f"{timezone.localtime(e.at):%Y-%m-%d %H:%M}", e.label, e.actor_name, e.comment or ""))
        doc.add("table", rows=tuple(erows), widths=(2.1, 1.6, 1.4, 2.5), align=("c", "l", "l", "l"))
    versions = list(plan.versions.all())
    if versions:
        doc.add("para", "历史版本：" + "；".join(
            f"第{v.version}版" + (f"（{cn_date(timezone.localdate(v.filed_at))}备案）" if v.filed_at else "")
            for v in versions) + "。")
    signed = plan.submitted_at or plan.created_at
    doc.add("signature", f"编制单位：{ent.name}（盖章）")
    doc.add("signature", cn_date(timezone.localdate(signed) if signed else timezone.localdate()))
    return doc


# --- .docx -----------------------------------------------------------------------------------------

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NO_FONT = "宋体"
RED = "FF0000"
BODY_PT, TITLE_PT, ISSUER_PT, TABLE_PT, CC_PT = 16, 22, 26, 12, 14
LINE_PT = 28
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


def _fonts(run: Any, name: str, size: float, *, bold: bool = False, color: str | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), name)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)


def _border(paragraph: Any, side: str, color: str, size: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    el = OxmlElement(f"w:{side}")
    for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
        el.set(qn(k), v)
    bdr.append(el)


def _para(docx_doc: Any, text: str, font: str, size: float, *, align: str = "left", indent: bool = False,
          bold: bool = False, color: str | None = None, line: float | None = LINE_PT, right_chars: float = 0,
          before: float = 0, after: float = 0) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    p = docx_doc.add_paragraph()
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if line:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if right_chars:
        fmt.right_indent = Pt(size * right_chars)
    if text:
        _fonts(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _page_number_footer(section: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), PAGE_NO_FONT, CC_PT)
    run = p.add_run()
    _fonts(run, PAGE_NO_FONT, CC_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText" if text.strip() == "PAGE" else "w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    _fonts(p.add_run(" —"), PAGE_NO_FONT, CC_PT)


def _table(docx_doc: Any, b: Block) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    width_mm = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
    total = sum(b.widths) or 1
    table = docx_doc.add_table(rows=len(b.rows), cols=len(b.rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    aligns = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": WD_ALIGN_PARAGRAPH.CENTER, "r": WD_ALIGN_PARAGRAPH.RIGHT}
    for r, row in enumerate(b.rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.width = Mm(width_mm * (b.widths[c] if c < len(b.widths) else 1) / total)
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER if r == 0 else aligns.get(
                b.align[c] if c < len(b.align) else "l")
            p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(2)
            _fonts(p.add_run(value), HEADING_FONT if r == 0 else BODY_FONT, TABLE_PT)
    _para(docx_doc, "", BODY_FONT, BODY_PT, line=LINE_PT / 2)


def to_docx(doc: FormalDocument) -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    d = docx.Document()
    section = d.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(20)
    normal = d.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(BODY_PT)
    from docx.oxml.ns import qn

    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    d.core_properties.title = doc.title
    d.core_properties.author = "盘地 Pandi"
    _page_number_footer(section)
    first_signature = True
    for b in doc.blocks:
        if b.kind == "issuer":
            _para(d, b.text, TITLE_FONT, ISSUER_PT, align="center", color=RED, line=None, before=12, after=18)
        elif b.kind == "docno":
            _para(d, b.text, BODY_FONT, BODY_PT, align="center")
        elif b.kind == "redline":
            p = _para(d, "", BODY_FONT, 4, line=4, after=LINE_PT)
            _border(p, "bottom", RED, 18)
        elif b.kind == "title":
            _para(d, b.text, TITLE_FONT, TITLE_PT, align="center", line=35, after=LINE_PT)
        elif b.kind == "subtitle":
            _para(d, b.text, BODY_FONT, BODY_PT, align="center", after=LINE_PT / 2)
        elif b.kind == "addressee":
            _para(d, b.text, BODY_FONT, BODY_PT)
        elif b.kind == "heading":
            _para(d, b.text, HEADING_FONT, BODY_PT, indent=True)
        elif b.kind == "para":
            _para(d, b.text, BODY_FONT, BODY_PT, indent=True)
        elif b.kind == "table":
            _table(d, b)
        elif b.kind == "signature":
            # 落款: the issuer above the date, both right-aligned, the date four characters from the edge
            _para(d, b.text, BODY_FONT, BODY_PT, align="right", right_chars=2 if first_signature else 4,
                  before=LINE_PT * 2 if first_signature else 0)
            first_signature = False
        elif b.kind == "cc":
            _para(d, "", BODY_FONT, BODY_PT, line=LINE_PT * 2)
            p = _para(d, b.text, BODY_FONT, CC_PT)
            _border(p, "top", "000000", 6)
            _border(p, "bottom", "000000", 6)
            p.paragraph_format.left_indent = Pt(CC_PT)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


# --- PDF and PNG (matplotlib Agg, like the printed map) ---------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0
X0, X1 = float(MARGINS_MM["left"]), PAGE_W - MARGINS_MM["right"]
Y_TOP, Y_BOTTOM = float(MARGINS_MM["top"]), PAGE_H - MARGINS_MM["bottom"]
PT_MM = 25.4 / 72.0
INK = "#111111"


@lru_cache(maxsize=8192)
def _char_width(font_path: str, ch: str) -> float:
    """The advance of one character at 100 pt, in points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    if ch == " ":
        return 27.0
    w, _, _ = TextToPath().get_text_width_height_descent(ch, FontProperties(fname=font_path, size=100),
                                                         ismath=False)
    return w


class _Layout:
    """Lays blocks out top to bottom on A4 pages; every page is a matplotlib Figure."""

    def __init__(self, dpi: int):
        from pandi.screening.mapprint import find_cjk_font

        self.font = find_cjk_font()
        self.dpi = dpi
        self.pages: list[Any] = []
        self.y = Y_TOP
        self._new_page()

    def _new_page(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.transforms import Affine2D

        fig = Figure(figsize=(PAGE_W / 25.4, PAGE_H / 25.4), dpi=self.dpi, facecolor="white")
        FigureCanvasAgg(fig)
        fig._pandi_mm = Affine2D().scale(1 / 25.4, -1 / 25.4).translate(0, PAGE_H / 25.4) + fig.dpi_scale_trans
        self.pages.append(fig)
        self.y = Y_TOP

    @property
    def fig(self) -> Any:
        return self.pages[-1]

    def path(self, bold: bool) -> str:
        return str(self.font.bold if bold else self.font.regular)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        p = self.path(bold)
        return sum(_char_width(p, ch) for ch in text) * size / 100 * PT_MM

    def wrap(self, text: str, width: float, size: float, *, bold: bool = False, indent: float = 0) -> list[str]:
        from pandi.screening.mapprint import _break_at

        lines: list[str] = []
        rest = text
        avail = width - indent
        while rest:
            if self.width(rest, size, bold) <= avail:
                lines.append(rest)
                break
            k, w = 0, 0.0
            p = self.path(bold)
            while k < len(rest):
                cw = _char_width(p, rest[k]) * size / 100 * PT_MM
                if w + cw > avail:
                    break
                w += cw
                k += 1
            k = _break_at(rest, max(k, 1))
            lines.append(rest[:k])
            rest = rest[k:]
            avail = width
        return lines or [""]

    def text(self, x: float, y: float, s: str, size: float, *, bold: bool = False, color: str = INK,
             ha: str = "left") -> None:
        from matplotlib.font_manager import FontProperties

        self.fig.text(x, y, s, transform=self.fig._pandi_mm, fontproperties=FontProperties(
            fname=self.path(bold), size=size), color=color, ha=ha, va="baseline")

    def hline(self, x0: float, x1: float, y: float, lw: float, color: str = INK) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D([x0, x1], [y, y], transform=self.fig._pandi_mm, lw=lw, color=color))

    def vline(self, x: float, y0: float, y1: float, lw: float = 0.5) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D([x, x], [y0, y1], transform=self.fig._pandi_mm, lw=lw, color=INK))

    def need(self, h: float) -> None:
        if self.y + h > Y_BOTTOM + 0.01:
            self._new_page()

    def lines(self, lines: list[str], size: float, lh: float, *, bold: bool = False, color: str = INK,
              align: str = "left", indent: float = 0, right: float = 0) -> None:
        for i, line in enumerate(lines):
            self.need(lh)
            base = self.y + lh * 0.72
            if align == "center":
                self.text((X0 + X1) / 2, base, line, size, bold=bold, color=color, ha="center")
            elif align == "right":
                self.text(X1 - right, base, line, size, bold=bold, color=color, ha="right")
            else:
                self.text(X0 + (indent if i == 0 else 0), base, line, size, bold=bold, color=color)
            self.y += lh

    def table(self, b: Block) -> None:
        size, pad = TABLE_PT, 1.6
        lh = size * PT_MM * 1.45
        total = sum(b.widths) or 1
        widths = [(X1 - X0) * (w / total) for w in b.widths]
        xs = [X0]
        for w in widths:
            xs.append(xs[-1] + w)

        def row_lines(row: tuple[str, ...], header: bool) -> list[list[str]]:
            return [self.wrap(v or "", widths[c] - 2 * pad, size, bold=header) for c, v in enumerate(row)]

        header = row_lines(b.rows[0], True)
        header_h = max(len(c) for c in header) * lh + 2 * pad

        def draw_row(cells: list[list[str]], row: tuple[str, ...], is_header: bool) -> None:
            h = max(len(c) for c in cells) * lh + 2 * pad
            top = self.y
            self.hline(X0, X1, top, 0.6)
            for c, lines in enumerate(cells):
                a = "c" if is_header else (b.align[c] if c < len(b.align) else "l")
                for i, line in enumerate(lines):
                    base = top + pad + lh * i + lh * 0.75
                    if a == "c":
                        self.text((xs[c] + xs[c + 1]) / 2, base, line, size, bold=is_header, ha="center")
                    elif a == "r":
                        self.text(xs[c + 1] - pad, base, line, size, bold=is_header, ha="right")
                    else:
                        self.text(xs[c] + pad, base, line, size, bold=is_header)
            for x in xs:
                self.vline(x, top, top + h)
            self.y = top + h
            self.hline(X0, X1, self.y, 0.6)

        self.need(header_h + lh + 2 * pad)
        draw_row(header, b.rows[0], True)
        for row in b.rows[1:]:
            cells = row_lines(row, False)
            h = max(len(c) for c in cells) * lh + 2 * pad
            if self.y + h > Y_BOTTOM:
                self._new_page()
                draw_row(header, b.rows[0], True)  # the header again on the next page
            draw_row(cells, row, False)
        self.y += LINE_PT * PT_MM / 2

    def images(self) -> list[Any]:
        from PIL import Image

        out = []
        for n, fig in enumerate(self.pages, 1):
            self.text_on(fig, (X0 + X1) / 2, Y_BOTTOM + 14, f"— {n} —", CC_PT)
            fig.canvas.draw()
            w, h = fig.canvas.get_width_height()
            out.append(Image.frombuffer("RGBA", (w, h), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
                       .convert("RGB"))
        return out

    def text_on(self, fig: Any, x: float, y: float, s: str, size: float) -> None:
        from matplotlib.font_manager import FontProperties

        fig.text(x, y, s, transform=fig._pandi_mm, fontproperties=FontProperties(fname=self.path(False), size=size),
                 color=INK, ha="center", va="baseline")


def _layout(doc: FormalDocument, dpi: int) -> _Layout:
    lay = _Layout(dpi)
    body_lh = LINE_PT * PT_MM
    width = X1 - X0
    first_signature = True
    for b in doc.blocks:
        if b.kind == "issuer":
            size = ISSUER_PT
            while lay.width(b.text, size, True) > width and size > 16:
                size -= 1
            lay.y += 4
            lay.lines([b.text], size, size * PT_MM * 1.5, bold=True, color="#" + RED, align="center")
            lay.y += 6
        elif b.kind == "docno":
            lay.lines([b.text], BODY_PT, body_lh, align="center")
        elif b.kind == "redline":
            lay.y += 2
            lay.hline(X0, X1, lay.y, 1.6, color="#" + RED)
            lay.y += body_lh
        elif b.kind == "title":
            lh = 35 * PT_MM
            lay.lines(lay.wrap(b.text, width, TITLE_PT, bold=True), TITLE_PT, lh, bold=True, align="center")
            lay.y += body_lh
        elif b.kind == "subtitle":
            lay.lines(lay.wrap(b.text, width, BODY_PT), BODY_PT, body_lh, align="center")
            lay.y += body_lh / 2
        elif b.kind == "addressee":
            lay.lines(lay.wrap(b.text, width, BODY_PT), BODY_PT, body_lh)
        elif b.kind in ("para", "heading"):
            indent = 2 * BODY_PT * PT_MM
            bold = b.kind == "heading"
            if bold:
                lay.need(body_lh * 2)  # keep a heading with its first line
            lay.lines(lay.wrap(b.text, width, BODY_PT, bold=bold, indent=indent), BODY_PT, body_lh, bold=bold,
                      indent=indent)
        elif b.kind == "table":
            lay.table(b)
        elif b.kind == "signature":
            if first_signature:
                lay.need(body_lh * 4)
                lay.y += body_lh * 2
            right = (2 if first_signature else 4) * BODY_PT * PT_MM
            lay.lines([b.text], BODY_PT, body_lh, align="right", right=right)
            first_signature = False
        elif b.kind == "cc":
            lay.y += body_lh
            lay.need(body_lh * 1.4)
            lay.hline(X0, X1, lay.y, 0.8)
            lay.lines([b.text], CC_PT, body_lh, indent=CC_PT * PT_MM)
            lay.hline(X0, X1, lay.y, 0.8)
    return lay


def to_pdf(doc: FormalDocument, *, dpi: int = 200) -> bytes:
    """The document as a PDF of A4 raster pages (see the module docstring)."""
    images = _layout(doc, dpi).images()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=90,
                   subsampling=0, title=doc.title, author="盘地 Pandi", creator="盘地 Pandi")
    return out.getvalue()


def to_png(doc: FormalDocument, *, page: int = 1, dpi: int = 110) -> bytes:
    """One page as PNG (a preview)."""
    images = _layout(doc, dpi).images()
    out = io.BytesIO()
    images[max(0, min(page, len(images)) - 1)].save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def render(doc: FormalDocument, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the document as docx or pdf."""
    if fmt == "docx":
        return to_docx(doc), DOCX, f"{doc.file_stem}.docx"
    if fmt == "pdf":
        return to_pdf(doc), PDF, f"{doc.file_stem}.pdf"
    raise ValueError(f"不支持的格式：{fmt}（应为 docx 或 pdf）")

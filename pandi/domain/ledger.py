"""The supply ledger (供地台账, import-formats.md §1): headers, values and the district filter.

Pure rules, no Django: the importer (pandi/land/importers/supplies.py) reads the file, hands each
row here as ``{field: cell value}`` and gets back a typed ``LedgerRow`` plus the problems found,
each naming its field so the importer can report row, column and value in Chinese.

Decisions written down here:
- Headers match after NFKC (full-width brackets and digits become ASCII), with spaces, brackets,
  ``*`` marks and a trailing colon removed: ``面积（公顷）``, ``面积 (公顷)`` and ``面积公顷`` are one
  column. ``面积`` without a unit is not accepted (the unit cannot be guessed).
- ``1900-01-01`` (any style, and Excel serial 1) is landchina's "no date": it reads as empty.
- A 划拨 (allocation) row without 土地使用权人 is a warning, not an error: landchina does not
  publish the user of allocated land (41 of the 196 金东 rows). Any other row needs a holder.
- District filter (``district="金东区"``): a row is kept when its 电子监管号 starts with 330703 or
  the legacy 金华县 code 330721, or its 行政区 is 金东区 or a 330703…/330721… code. A row supplied
  by the city (行政区 金华市本级, or no 行政区 and 电子监管号 3307002…) is kept only when its
  项目位置 or 项目名称 names 金东 or one of the 11 townships (stem match, see
  ``townships_named``). A row with neither 行政区 nor 电子监管号 (a local ledger) is kept.
- 约定容积率上限 0 means no upper bound (landchina writes 0.00): it reads as empty. Otherwise an
  upper bound below the lower one is taken as the two swapped, with a warning.
- 土地使用年限 is whole years; landchina gives remaining terms with decimals (rounded, warning)
  and per-use terms "商服用地40年; 住宅用地70" (the longest is kept, warning).
- Township stems: ``江东``/``源东`` directly followed by 路, 街 or 大道 is a road name (婺江东路 and
  临江东路 lie in 婺城区), and ``浙江东…`` is the province, so neither names a township.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .uscc import normalise_uscc, uscc_problem

# --- townships of 金东区 ------------------------------------------------------------------------


@dataclass(frozen=True)
class Township:
    code: str  # 9-digit NBS code
    name: str
    stem: str


TOWNSHIPS: tuple[Township, ...] = (
    Township("330703001", "多湖街道", "多湖"),
    Township("330703002", "东孝街道", "东孝"),
    Township("330703101", "孝顺镇", "孝顺"),
    Township("330703102", "傅村镇", "傅村"),
    Township("330703103", "曹宅镇", "曹宅"),
    Township("330703104", "澧浦镇", "澧浦"),
    Township("330703105", "岭下镇", "岭下"),
    Township("330703106", "江东镇", "江东"),
    Township("330703107", "塘雅镇", "塘雅"),
    Township("330703108", "赤松镇", "赤松"),
    Township("330703200", "源东乡", "源东"),
)
TOWNSHIP_BY_CODE = {t.code: t for t in TOWNSHIPS}
DISTRICT_NAME = "金东区"
DISTRICT_CODE = "330703"
LEGACY_CODE = "330721"  # 金华县, still the prefix of 金东区's 电子监管号
CITY_LEVEL = "金华市本级"
CITY_PREFIX = "3307002"


def _stem_positions(text: str, stem: str) -> list[int]:
    found = []
    start = text.find(stem)
    while start != -1:
        after = text[start + len(stem):start + len(stem) + 2]
        before = text[start - 1:start] if start else ""
        road = stem.endswith("东") and (after[:1] in ("路", "街") or after == "大道")
        province = stem == "江东" and before == "浙"
        if not road and not province:
            found.append(start)
        start = text.find(stem, start + 1)
    return found


def townships_named(text: str) -> list[Township]:
    """The townships `text` names, in the order they first appear (no repeats)."""
    hits = []
    for t in TOWNSHIPS:
        positions = _stem_positions(text or "", t.stem)
        if positions:
            hits.append((positions[0], t))
    return [t for _, t in sorted(hits, key=lambda h: h[0])]


def names_jindong(text: str) -> bool:
    return "金东" in (text or "") or bool(townships_named(text))


def township_from_texts(*texts: str) -> Township | None:
    """The one township the first informative text names (项目位置 before 项目名称); None when none
    is named or several are (then the parcel's geometry decides)."""
    for text in texts:
        named = townships_named(text)
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            return None
    return None


def township_from_value(value: str) -> Township | None:
    """A 乡镇街道 cell: a name (多湖街道, 多湖) or a 9- or 12-digit code (330703001[000])."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))
    if not text:
        return None
    if text.isdigit():
        return TOWNSHIP_BY_CODE.get(text[:9]) if len(text) in (9, 12) else None
    for t in TOWNSHIPS:
        if text == t.name:
            return t
    named = townships_named(text)
    return named[0] if len(named) == 1 else None


# --- district filter -----------------------------------------------------------------------------

ALL_DISTRICTS = ("all", "全部")
SKIP_OTHER_DISTRICT = "行政区不属于金东区"
SKIP_CITY_ELSEWHERE = "金华市本级供地，项目位置不在金东区"


def normalise_district_option(value: str | None) -> str:
    """"金东区" (the default, also for an empty value) or "all"; ValueError for anything else."""
    text = (value or "").strip()
    if text in ("", DISTRICT_NAME, DISTRICT_CODE, "金东"):
        return DISTRICT_NAME
    if text.lower() in ALL_DISTRICTS:
        return "all"
    raise ValueError(f"行政区过滤只支持“{DISTRICT_NAME}”或“all”，不支持“{text}”")


def district_skip_reason(*, supervision_no: str, district_text: str, project_location: str = "",
                         project_name: str = "", district: str = DISTRICT_NAME) -> str | None:
    """None when the row belongs to the district (keep it), else why it is skipped."""
    if normalise_district_option(district) == "all":
        return None
    sup = (supervision_no or "").strip()
    region = re.sub(r"\s+", "", district_text or "")
    if sup.startswith((DISTRICT_CODE, LEGACY_CODE)):
        return None
    if region in (DISTRICT_NAME, "金东") or (region.isdigit() and region.startswith((DISTRICT_CODE, LEGACY_CODE))):
        return None
    if region == CITY_LEVEL or (not region and sup.startswith(CITY_PREFIX)):
        if names_jindong(project_location) or names_jindong(project_name):
            return None
        return SKIP_CITY_ELSEWHERE
    if not region and not sup:
        return None  # a local ledger without national references: it is the district's own
    return SKIP_OTHER_DISTRICT


# --- columns --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    field: str
    label: str  # the canonical header, used in messages when the file's own header is unknown
    aliases: tuple[str, ...] = ()
    kind: str = "text"  # text, key, date, decimal, int
    max_length: int | None = None
    max_digits: int | None = None
    places: int | None = None
    scale: Decimal = Decimal(1)  # multiply the cell value by this to get the field's unit


def _units(bases: Iterable[str], units: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{b}({u})" for b in bases for u in units)


_AREA = ("面积", "宗地面积", "供地面积", "出让面积", "用地面积", "土地面积", "划拨面积", "供应面积")
_PRICE = ("成交价格", "成交价", "出让价款", "出让金", "成交金额", "土地价款", "出让价格")

COLUMNS: tuple[Column, ...] = (
    Column("code", "宗地编号", ("宗地号", "地块编号", "宗地代码", "宗地统一编号"), "key", 64),
    Column("supervision_no", "电子监管号", ("电子监管编号", "监管号", "合同电子监管号"), "key", 32),
    Column("district_text", "行政区", ("行政区划", "所在区县", "区县", "行政区名称"), max_length=50),
    Column("township", "乡镇街道", ("乡镇(街道)", "所属乡镇", "乡镇", "所在乡镇", "所在乡镇(街道)", "街道乡镇",
                                   "乡镇街道代码"), max_length=50),
    Column("project_name", "项目名称", ("项目名", "地块名称"), max_length=300),
    Column("project_location", "项目位置", ("坐落", "宗地坐落", "土地坐落", "宗地位置", "地块位置"), max_length=300),
    Column("holder", "土地使用权人", ("使用权人", "受让人", "受让单位", "土地受让人", "用地单位", "权利人", "竞得人"),
           max_length=300),
    Column("uscc", "统一社会信用代码", ("信用代码", "社会信用代码", "统一信用代码")),
    Column("area_ha", "面积(公顷)", _units(_AREA, ("公顷", "hm2", "ha")), "decimal", max_digits=12, places=6),
    Column("area_m2", "面积(平方米)", _units(_AREA, ("平方米", "m2", "平米")), "decimal", max_digits=14, places=2),
    Column("area_mu", "面积(亩)", _units(_AREA, ("亩",)), "decimal", max_digits=14, places=4),
    Column("land_source", "土地来源", (), max_length=50),
    Column("land_use", "土地用途", ("用途", "规划用途", "用地性质", "土地用途名称"), max_length=40),
    Column("supply_method", "供地方式", ("供应方式", "出让方式", "供地类型")),
    Column("term_years", "土地使用年限", ("使用年限", "出让年限", "土地使用年限(年)", "使用年限(年)", "出让年限(年)"),
           "int"),
    Column("industry", "行业分类", ("行业", "所属行业", "行业类别"), max_length=100),
    Column("land_grade", "土地级别", ("级别",), max_length=20),
    Column("price_wan", "成交价格(万元)", _units(_PRICE, ("万元",)), "decimal", max_digits=14, places=4),
    Column("price_yuan", "成交价格(元)", _units(_PRICE, ("元",)), "decimal", max_digits=18, places=4,
           scale=Decimal("0.0001")),
    Column("far_min", "约定容积率下限", ("容积率下限", "容积率(下限)", "约定容积率(下限)"), "decimal", max_digits=6,
           places=2),
    Column("far_max", "约定容积率上限", ("容积率上限", "容积率(上限)", "约定容积率(上限)"), "decimal", max_digits=6,
           places=2),
    Column("contract_date", "合同签订日期", ("签订日期", "合同签订时间", "签约日期", "出让合同签订日期"), "date"),
    Column("agreed_handover", "约定交地时间", ("约定交地日期",), "date"),
    Column("actual_handover", "实际交地时间", ("实际交地日期", "交地日期", "交地确认书日期"), "date"),
    Column("agreed_start", "约定开工时间", ("约定开工日期", "约定动工时间", "约定动工日期"), "date"),
    Column("agreed_completion", "约定竣工时间", ("约定竣工日期",), "date"),
    Column("reported_start", "实际开工时间", ("实际开工日期", "实际动工时间", "实际动工日期"), "date"),
    Column("reported_completion", "实际竣工时间", ("实际竣工日期",), "date"),
    Column("approval_authority", "批准单位", ("批准机关",), max_length=100),
    Column("permit_no", "施工许可证号", ("施工许可证编号", "施工许可证"), max_length=60),
    Column("permit_date", "施工许可日期", ("施工许可证日期", "施工许可证发证日期", "施工许可发证日期"), "date"),
    Column("required_dev_area_m2", "应开发建设面积(平方米)",
           ("应开发建设面积", "应动工开发建设用地面积(平方米)", "应动工开发建设用地面积"), "decimal", max_digits=14,
           places=2),
    Column("developed_area_m2", "已开发建设面积(平方米)",
           ("已开发建设面积", "已动工开发建设用地面积(平方米)", "已动工开发建设用地面积"), "decimal", max_digits=14,
           places=2),
    Column("invested_wan", "已投资额(万元)", ("已投资额", "已完成投资(万元)", "已完成投资额(万元)"), "decimal",
           max_digits=14, places=2),
    Column("total_investment_wan", "总投资额(万元)", ("总投资额", "总投资(万元)", "计划总投资(万元)"), "decimal",
           max_digits=14, places=2),
    Column("suspended_since", "停工日期", ("停工时间",), "date"),
    Column("idle_cause", "闲置原因", ()),
    Column("government_cause_item", "政府原因项目", ("第八条项目", "政府原因(第八条项目)", "政府原因条款")),
    Column("remarks", "备注", ("说明",)),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
AREA_FIELDS = ("area_ha", "area_m2", "area_mu")
CONSTRUCTION_FIELDS = ("permit_no", "permit_date", "required_dev_area_m2", "developed_area_m2", "invested_wan",
                       "total_investment_wan", "suspended_since", "idle_cause", "government_cause_item")


def normalise_header(text: Any) -> str:
    """Full-width to half-width, no spaces, brackets, star marks or trailing colon; lower case."""
    s = unicodedata.normalize("NFKC", "" if text is None else str(text))
    s = re.sub(r"[\s*※]+", "", s).rstrip(":：").lower()
    s = s.replace("m²", "m2").replace("㎡", "m2")
    return re.sub(r"[()\[\]【】〔〕{}<>《》/]", "", s)


_ALIASES: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.label, *_c.aliases):
        _ALIASES.setdefault(normalise_header(_name), _c.field)


def header_field(header: Any) -> str | None:
    return _ALIASES.get(normalise_header(header))


@dataclass
class HeaderMap:
    columns: dict[str, int]  # field -> column index (first occurrence)
    labels: dict[str, str]  # field -> the header as written in the file
    unknown: list[str]  # headers that mean nothing to the ledger
    repeated: list[str]  # headers that name a field already taken by an earlier column

    def missing_required(self) -> list[str]:
        """Chinese descriptions of the required columns that are absent."""
        missing = []
        if "code" not in self.columns and "supervision_no" not in self.columns:
            missing.append("宗地编号或电子监管号")
        if "holder" not in self.columns:
            missing.append("土地使用权人")
        if not any(f in self.columns for f in AREA_FIELDS):
            missing.append("面积(公顷)、面积(平方米)或面积(亩)")
        if "land_use" not in self.columns:
            missing.append("土地用途")
        return missing

    def label(self, field_name: str) -> str:
        return self.labels.get(field_name) or COLUMN_BY_FIELD[field_name].label


def match_headers(headers: list[Any]) -> HeaderMap:
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for i, h in enumerate(headers):
        text = "" if h is None else str(h).strip()
        if not text:
            continue
        f = header_field(text)
        if f is None:
            unknown.append(text)
        elif f in columns:
            repeated.append(text)
        else:
            columns[f] = i
            labels[f] = text
    return HeaderMap(columns, labels, unknown, repeated)


def header_score(cells: list[Any]) -> int:
    """How many cells of a row are ledger headers (to find the header row below a title)."""
    return sum(1 for c in cells if c is not None and str(c).strip() and header_field(c))


# --- values ---------------------------------------------------------------------------------------

class ValueProblem(ValueError):
    """A cell that cannot be read; the message is Chinese and names what was expected."""


EMPTY_MARKS = {"", "-", "--", "—", "——", "/", "\\", "无", "空", "null", "none", "nan", "n/a", "#n/a"}
PLACEHOLDER_DATE = date(1900, 1, 1)
EXCEL_EPOCH = date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1949, 2100


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", dates as ISO, strings stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_empty(value: Any) -> bool:
    return cell_text(value).lower() in EMPTY_MARKS


def _checked_date(y: int, m: int, d: int, raw: Any) -> date | None:
    try:
        result = date(y, m, d)
    except ValueError as exc:
        raise ValueProblem(f"日期“{cell_text(raw)}”不存在") from exc
    if result == PLACEHOLDER_DATE:
        return None
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise ValueProblem(f"日期“{cell_text(raw)}”超出合理范围（{MIN_YEAR}–{MAX_YEAR} 年）")
    return result


def _serial_date(serial: float, raw: Any) -> date | None:
    if serial < 0 or serial >= 2958466:
        raise ValueProblem(f"“{cell_text(raw)}”不是有效的 Excel 日期序号")
    if int(serial) in (0, 1):
        return None  # 1900-01-00 and 1900-01-01: Excel's and landchina's "no date"
    d = EXCEL_EPOCH + timedelta(days=int(serial))
    return _checked_date(d.year, d.month, d.day, raw)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:\s*[T\s]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: Any) -> date | None:
    """A date in any of the styles of government spreadsheets; None for empty or 1900-01-01."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _checked_date(value.year, value.month, value.day, value)
    if isinstance(value, date):
        return _checked_date(value.year, value.month, value.day, value)
    if isinstance(value, bool):
        raise ValueProblem(f"“{cell_text(value)}”不是日期")
    if isinstance(value, int | float | Decimal):
        return _serial_date(float(value), value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.lower() in EMPTY_MARKS:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return _checked_date(int(m[1]), int(m[2]), int(m[3]), value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial that became text (e.g. 44316)
        return _serial_date(float(text), value)
    raise ValueProblem(f"“{cell_text(value)}”不是可识别的日期（应为 2021-04-30、2021/4/30、2021年04月30日 等）")


def parse_decimal(value: Any, *, unit: str = "") -> Decimal | None:
    """A number: Excel numbers, "1,234.5", full-width digits, an optional trailing `unit`."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"“{cell_text(value)}”不是数字")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, date):
        raise ValueProblem(f"“{cell_text(value)}”是日期，不是数字")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.lower() in EMPTY_MARKS:
        return None
    text = text.replace(",", "").replace(" ", "")
    if unit and text.endswith(unit):
        text = text[: -len(unit)]
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueProblem(f"“{cell_text(value)}”不是有效的数字") from exc
    if not number.is_finite():
        raise ValueProblem(f"“{cell_text(value)}”不是有效的数字")
    return number


def fit_decimal(number: Decimal, *, max_digits: int, places: int) -> Decimal:
    """Round half up to `places`; ValueProblem when the value is too large for the column."""
    q = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if abs(q) >= Decimal(10) ** (max_digits - places):
        raise ValueProblem(f"数值 {number} 过大")
    return q


def parse_term(value: Any) -> tuple[int | None, str]:
    """土地使用年限 in whole years, and a note when the cell needed reading: landchina gives
    remaining terms with decimals ("37.17") and per-use terms ("商服用地40年; 住宅用地70")."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        numbers = [Decimal(repr(value)) if isinstance(value, float) else Decimal(value)]
    else:
        text = unicodedata.normalize("NFKC", cell_text(value))
        if text.lower() in EMPTY_MARKS:
            return None, ""
        numbers = [Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]
        if not numbers or not re.fullmatch(r"[\s\d.年;；,，、:：()\u4e00-\u9fff]*", text):
            raise ValueProblem(f"土地使用年限“{cell_text(value)}”不是年数")
    longest = max(numbers)
    years = int(longest.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not 0 < years <= 100:
        raise ValueProblem(f"土地使用年限“{cell_text(value)}”应在 1–100 年之间")
    notes = []
    if len(set(numbers)) > 1:
        notes.append(f"含多个用途的年限，记为最长的 {years} 年")
    elif longest != years:
        notes.append(f"年限不是整数，按 {years} 年记录")
    return years, "；".join(notes)


def order_far(far_min: Decimal | None, far_max: Decimal | None) -> tuple[Decimal | None, Decimal | None, bool]:
    """(lower, upper, swapped): an upper bound below the lower one is taken as the two swapped."""
    if far_min is not None and far_max is not None and far_max < far_min:
        return far_max, far_min, True
    return far_min, far_max, False


SUPPLY_METHODS = ("划拨", "协议出让", "招标出让", "拍卖出让", "挂牌出让", "租赁")
_SUPPLY_ALIASES = {"行政划拨": "划拨", "协议": "协议出让", "招标": "招标出让", "拍卖": "拍卖出让", "挂牌": "挂牌出让",
                   "出租": "租赁", "租赁出让": "租赁", "协议出租": "租赁", "招拍挂": "挂牌出让"}


def parse_supply_method(text: str) -> tuple[str, bool]:
    """(choice, recognised). An unknown method becomes "其他" (recognised=False)."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    if not s:
        return "", True
    if s in SUPPLY_METHODS or s == "其他":
        return s, True
    if s in _SUPPLY_ALIASES:
        return _SUPPLY_ALIASES[s], True
    return "其他", False


_ITEM_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_ITEM_KEYWORDS = ((1, ("交付土地", "交地")), (2, ("规划",)), (3, ("政策",)), (4, ("军事", "文物")),
                  (5, ("政府部门", "政府行为")), (6, ("其他政府原因",)))


def parse_cause_item(text: str) -> int | None:
    """53号令 Art. 8 item 1–6 from "（二）", "第二项", "2", "规划修改" …; None when not stated."""
    s = unicodedata.normalize("NFKC", text or "")
    s = re.sub(r"第八条", "", s)
    m = re.search(r"\(?\s*([一二三四五六])\s*\)|第\s*([一二三四五六1-6])\s*项"
                  r"|^\s*([一二三四五六1-6])\s*$|\(\s*([1-6])\s*\)", s)
    if m:
        token = next(g for g in m.groups() if g)
        return _ITEM_NUMERALS.get(token) or int(token)
    for item, words in _ITEM_KEYWORDS:
        if any(w in s for w in words):
            return item
    return None


def parse_idle_cause(text: str, item_text: str = "") -> tuple[str | None, int | None]:
    """("holder"|"government"|"force_majeure", item) from 闲置原因 (and an optional item column);
    (None, None) when empty."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    if not s and not (item_text or "").strip():
        return None, None
    if "不可抗力" in s:
        return "force_majeure", None
    if "政府" in s or (not s and item_text.strip()):
        item = parse_cause_item(item_text) or parse_cause_item(s)
        if item is None:
            raise ValueProblem("政府原因须注明 53号令第八条的项目（一）至（六）")
        return "government", item
    if "企业" in s or "自身" in s or "使用权人" in s:
        return "holder", None
    raise ValueProblem(f"闲置原因“{text}”应为企业原因、政府原因（注明第八条项目）或不可抗力")


_HOLDER_SPLIT = re.compile(r"[、,，;；]")
_HOLDER_TAIL = re.compile(r"(等各受让人|等[\d一二两三四五六七八九十]*[人家户名]|等)$")


def split_holders(text: str) -> list[str]:
    """Co-holders joined with 、 , ； — one name each, in order, without repeats."""
    names: list[str] = []
    for part in _HOLDER_SPLIT.split(text or ""):
        name = part.strip().strip("\u3000")
        if len(name) > 2:
            name = _HOLDER_TAIL.sub("", name).strip()
        if name and name not in names:
            names.append(name)
    return names


def parse_key(value: Any, label: str) -> str:
    """宗地编号/电子监管号 as text. A number Excel turned into 3.30721E+15 cannot be trusted."""
    if isinstance(value, float) and not value.is_integer():
        raise ValueProblem(f"{label}被当作小数读取，请将该列设为文本格式")
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise ValueProblem(f"{label}被 Excel 转成了科学计数法，请将该列设为文本格式后重新导出")
    return text.upper() if label == "电子监管号" else text


# --- a row ----------------------------------------------------------------------------------------

@dataclass
class Problem:
    field: str
    value: Any
    message: str
    level: str = "error"


@dataclass
class LedgerRow:
    present: frozenset[str]  # the fields whose columns the file has
    code: str = ""
    supervision_no: str = ""
    district_text: str = ""
    township: Township | None = None
    township_text: str = ""
    township_from_names: Township | None = None
    project_name: str = ""
    project_location: str = ""
    holder_text: str = ""
    holders: list[str] = field(default_factory=list)
    uscc: str = ""
    area_ha: Decimal | None = None
    area_m2: Decimal | None = None
    land_source: str = ""
    land_use: str = ""
    supply_method: str = ""
    term_years: int | None = None
    industry: str = ""
    land_grade: str = ""
    price_wan: Decimal | None = None
    far_min: Decimal | None = None
    far_max: Decimal | None = None
    contract_date: date | None = None
    agreed_handover: date | None = None
    actual_handover: date | None = None
    agreed_start: date | None = None
    agreed_completion: date | None = None
    reported_start: date | None = None
    reported_completion: date | None = None
    approval_authority: str = ""
    remarks: str = ""
    permit_no: str = ""
    permit_date: date | None = None
    required_dev_area_m2: Decimal | None = None
    developed_area_m2: Decimal | None = None
    invested_wan: Decimal | None = None
    total_investment_wan: Decimal | None = None
    suspended_since: date | None = None
    idle_cause: str | None = None
    government_cause_item: int | None = None

    @property
    def key(self) -> str:
        """宗地编号 if given, else 电子监管号."""
        return self.code or self.supervision_no

    @property
    def has_area(self) -> bool:
        return any(f in self.present for f in AREA_FIELDS)

    @property
    def has_price(self) -> bool:
        return "price_wan" in self.present or "price_yuan" in self.present

    def has_construction(self) -> bool:
        return any(f in self.present for f in CONSTRUCTION_FIELDS)


CONTRACT_DATE_FIELDS = ("contract_date", "agreed_handover", "actual_handover", "agreed_start", "agreed_completion",
                        "reported_start", "reported_completion")
TEXT_FIELDS = ("district_text", "project_name", "project_location", "land_source", "land_use", "industry",
               "land_grade", "approval_authority", "remarks", "permit_no")
DECIMAL_FIELDS = ("far_min", "far_max", "required_dev_area_m2", "developed_area_m2", "invested_wan",
                  "total_investment_wan")


def parse_row(values: Mapping[str, Any]) -> tuple[LedgerRow, list[Problem]]:
    """Read one row given as {field: cell}; only the fields of the file's columns are present."""
    row = LedgerRow(present=frozenset(values))
    problems: list[Problem] = []

    def err(f: str, message: str, level: str = "error") -> None:
        problems.append(Problem(f, cell_text(values.get(f)), message, level))

    # keys
    for f, label in (("code", "宗地编号"), ("supervision_no", "电子监管号")):
        if f in values:
            try:
                key = parse_key(values[f], label)
            except ValueProblem as exc:
                err(f, str(exc))
                key = ""
            if key and COLUMN_BY_FIELD[f].max_length and len(key) > COLUMN_BY_FIELD[f].max_length:
                err(f, f"{label}过长（最多 {COLUMN_BY_FIELD[f].max_length} 个字符）")
                key = ""
            setattr(row, f, key)
    key_unreadable = any(p.field in ("code", "supervision_no") for p in problems)
    if not row.code and not row.supervision_no and not key_unreadable:
        err("code" if "code" in values else "supervision_no", "缺少宗地编号和电子监管号，无法识别宗地")
    if row.supervision_no and not re.fullmatch(r"[0-9A-Z][0-9A-Z\-]*", row.supervision_no):
        err("supervision_no", "电子监管号只能由数字、字母和“-”组成")

    # plain text
    for f in TEXT_FIELDS:
        if f in values:
            text = cell_text(values[f])
            limit = COLUMN_BY_FIELD[f].max_length
            if limit and len(text) > limit:
                err(f, f"{COLUMN_BY_FIELD[f].label}过长（{len(text)} 个字符，最多 {limit} 个）")
                text = text[:limit]
            setattr(row, f, text)
    if "land_use" in values and not row.land_use:
        err("land_use", "缺少土地用途")

    # supply method (before the holder: 划拨 rows may have no holder)
    if "supply_method" in values:
        raw = cell_text(values["supply_method"])
        row.supply_method, known = parse_supply_method(raw)
        if not known:
            err("supply_method", f"供地方式“{raw}”不在标准选项中（{'、'.join(SUPPLY_METHODS)}），记为“其他”",
                "warning")

    # holder
    if "holder" in values:
        row.holder_text = cell_text(values["holder"])
        row.holders = split_holders(row.holder_text)
        if len(row.holder_text) > 300:
            err("holder", "土地使用权人过长（最多 300 个字符）")
        for name in row.holders:
            if len(name) > 200:
                err("holder", f"权利人名称“{name[:20]}…”过长（最多 200 个字符）")
        if not row.holders:
            if row.supply_method == "划拨":
                err("holder", "划拨供地未登记土地使用权人，未建立权利人", "warning")
            else:
                err("holder", "缺少土地使用权人")
    if "uscc" in values and not is_empty(values["uscc"]):
        code = normalise_uscc(cell_text(values["uscc"]))
        problem = uscc_problem(code)
        if problem:
            err("uscc", problem)
        elif len(row.holders) > 1:
            err("uscc", "有多个权利人，无法确定统一社会信用代码属于哪一个，已忽略", "warning")
        else:
            row.uscc = code

    # township
    if "township" in values and not is_empty(values["township"]):
        row.township_text = cell_text(values["township"])
        row.township = township_from_value(row.township_text)
        if row.township is None:
            err("township", f"无法识别乡镇（街道）“{row.township_text}”，留空，待导入边界后按位置确定", "warning")
    row.township_from_names = township_from_texts(row.project_location, row.project_name)

    # area: the first area column with a value
    area_fields = [f for f in AREA_FIELDS if f in values]
    filled = [f for f in area_fields if not is_empty(values[f])]
    if area_fields and not filled:
        err(area_fields[0], "缺少面积")
    if filled:
        f = filled[0]
        try:
            number = parse_decimal(values[f])
            if number is None or number <= 0:
                raise ValueProblem("面积必须大于 0")
            if f == "area_ha":
                ha, m2 = number, number * 10000
            elif f == "area_m2":
                ha, m2 = number / 10000, number
            else:
                ha, m2 = number / 15, number * 10000 / 15
            row.area_ha = fit_decimal(ha, max_digits=12, places=6)
            row.area_m2 = fit_decimal(m2, max_digits=14, places=2)
        except ValueProblem as exc:
            err(f, str(exc))

    # price
    for f in ("price_wan", "price_yuan"):
        if f in values and not is_empty(values[f]) and row.price_wan is None:
            c = COLUMN_BY_FIELD[f]
            try:
                number = parse_decimal(values[f]) * c.scale
                if number < 0:
                    raise ValueProblem("成交价格不能为负数")
                row.price_wan = fit_decimal(number, max_digits=14, places=4)
            except ValueProblem as exc:
                err(f, str(exc))

    # term
    if "term_years" in values:
        try:
            row.term_years, note = parse_term(values["term_years"])
            if note:
                err("term_years", note, "warning")
        except ValueProblem as exc:
            err("term_years", str(exc))

    # other numbers
    for f in DECIMAL_FIELDS:
        if f in values:
            c = COLUMN_BY_FIELD[f]
            try:
                number = parse_decimal(values[f])
                if number is not None:
                    if number < 0:
                        raise ValueProblem(f"{c.label}不能为负数")
                    setattr(row, f, fit_decimal(number, max_digits=c.max_digits or 14, places=c.places or 2))
            except ValueProblem as exc:
                err(f, str(exc))
    if row.far_max == 0:
        row.far_max = None  # landchina writes 0.00 for "no upper bound"
    row.far_min, row.far_max, swapped = order_far(row.far_min, row.far_max)
    if swapped:
        problems.append(Problem("far_max", f"{row.far_min}/{row.far_max}",
                                "约定容积率上限小于下限，已将上下限对调", "warning"))

    # dates
    for f in (*CONTRACT_DATE_FIELDS, "permit_date", "suspended_since"):
        if f in values:
            try:
                setattr(row, f, parse_date(values[f]))
            except ValueProblem as exc:
                err(f, str(exc))
    if row.agreed_start and row.contract_date and row.agreed_start < row.contract_date:
        problems.append(Problem("agreed_start", row.agreed_start.isoformat(),
                                f"约定开工时间早于合同签订日期（{row.contract_date.isoformat()}）", "warning"))
    if row.agreed_completion and row.agreed_start and row.agreed_completion < row.agreed_start:
        problems.append(Problem("agreed_completion", row.agreed_completion.isoformat(),
                                f"约定竣工时间早于约定开工时间（{row.agreed_start.isoformat()}）", "warning"))

    # idle cause
    if "idle_cause" in values or "government_cause_item" in values:
        try:
            row.idle_cause, row.government_cause_item = parse_idle_cause(
                cell_text(values.get("idle_cause")), cell_text(values.get("government_cause_item")))
        except ValueProblem as exc:
            err("idle_cause" if "idle_cause" in values else "government_cause_item", str(exc))
    return row, problems

"""The supply ledger's reading rules (pandi.domain.ledger) and the spreadsheet reader: no database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from pandi.domain import ledger as L
from pandi.land.importers.readers import ReadError, detect_encoding, read_table

# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2021-04-30", date(2021, 4, 30)),
    ("2021/4/30", date(2021, 4, 30)),
    ("2021年04月30日", date(2021, 4, 30)),
    ("2021年4月3日", date(2021, 4, 3)),
    ("2021.4.30", date(2021, 4, 30)),
    ("2021-04-30 00:00:00", date(2021, 4, 30)),
    ("2021/4/30 9:15", date(2021, 4, 30)),
    ("20210430", date(2021, 4, 30)),
    (" ２０２１年０４月３０日 ", date(2021, 4, 30)),  # full-width digits
    (44316, date(2021, 4, 30)),  # Excel serial
    (44316.0, date(2021, 4, 30)),
    ("44316", date(2021, 4, 30)),  # a serial that became text
    (datetime(2021, 4, 30, 0, 0), date(2021, 4, 30)),
    (date(2021, 4, 30), date(2021, 4, 30)),
    ("1900-01-01", None),  # landchina's "no date"
    ("1900年01月01日", None),
    (datetime(1900, 1, 1), None),
    (1, None),  # serial 1 = 1900-01-01
    (0, None),  # Excel shows 0 as 1900-01-00
    ("", None),
    (None, None),
    ("-", None),
    ("无", None),
])
def test_dates_in_every_style(value, expected):
    assert L.parse_date(value) == expected


@pytest.mark.parametrize(("value", "fragment"), [
    ("2021-02-30", "不存在"),
    ("2021年13月01日", "不存在"),
    ("明年春天", "不是可识别的日期"),
    ("30/04/2021", "不是可识别的日期"),
    ("1800-01-01", "超出合理范围"),
    (-5, "Excel 日期序号"),
])
def test_unreadable_dates_say_why_in_chinese(value, fragment):
    with pytest.raises(L.ValueProblem, match=fragment):
        L.parse_date(value)


# --- numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("1.000000", Decimal("1")),
    ("1,234.5", Decimal("1234.5")),
    ("１２．５", Decimal("12.5")),
    (12, Decimal(12)),
    (0.6084, Decimal("0.6084")),
    (" 7 ", Decimal(7)),
    ("", None),
    ("—", None),
    (None, None),
])
def test_numbers(value, expected):
    assert L.parse_decimal(value) == expected


@pytest.mark.parametrize("value", ["abc", "1.2.3", "Infinity", "∞", date(2021, 1, 1)])
def test_unreadable_numbers(value):
    with pytest.raises(L.ValueProblem):
        L.parse_decimal(value)


def test_fit_decimal_rounds_half_up_and_refuses_too_large():
    assert L.fit_decimal(Decimal("1.255"), max_digits=6, places=2) == Decimal("1.26")
    with pytest.raises(L.ValueProblem, match="过大"):
        L.fit_decimal(Decimal("10000"), max_digits=6, places=2)


@pytest.mark.parametrize(("value", "years", "noted"), [
    ("50", 50, False),
    (50.0, 50, False),
    ("50年", 50, False),
    ("其他工业用地50年;", 50, False),
    ("37.17", 37, True),
    ("其他商服用地40年; 普通商品住房用地70", 70, True),
    ("", None, False),
])
def test_land_use_terms(value, years, noted):
    result, note = L.parse_term(value)
    assert result == years
    assert bool(note) is noted


@pytest.mark.parametrize("value", ["0", "150", "永久"])
def test_impossible_terms(value):
    with pytest.raises(L.ValueProblem):
        L.parse_term(value)


def test_far_bounds():
    assert L.order_far(Decimal("2.0"), Decimal("1.2")) == (Decimal("1.2"), Decimal("2.0"), True)
    assert L.order_far(Decimal("1.2"), Decimal("2.0")) == (Decimal("1.2"), Decimal("2.0"), False)
    assert L.order_far(Decimal("1.2"), None) == (Decimal("1.2"), None, False)


# --- headers --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "field"), [
    ("面积(公顷)", "area_ha"),
    ("面积（公顷）", "area_ha"),
    ("面积 (公顷)", "area_ha"),
    ("面积公顷", "area_ha"),
    ("面积(平方米)", "area_m2"),
    ("面积（㎡）", "area_m2"),
    ("面积(亩)", "area_mu"),
    ("成交价格(万元)", "price_wan"),
    ("成交价格（万元）", "price_wan"),
    ("成交价格(元)", "price_yuan"),
    ("约定容积率下限", "far_min"),
    ("约定容积率 上限", "far_max"),
    ("*宗地编号", "code"),
    ("电子监管号：", "supervision_no"),
    ("乡镇（街道）", "township"),
    ("土地使用权人", "holder"),
    ("实际开工时间", "reported_start"),
    ("应开发建设面积(平方米)", "required_dev_area_m2"),
    ("已投资额（万元）", "invested_wan"),
    ("闲置原因", "idle_cause"),
    ("面积", None),  # no unit: cannot be guessed
    ("source_file", None),
])
def test_header_matching_is_tolerant(header, field):
    assert L.header_field(header) == field


LANDCHINA_HEADER = ["行政区", "电子监管号", "项目名称", "项目位置", "面积(公顷)", "土地来源", "土地用途", "供地方式",
                    "土地使用年限", "行业分类", "土地级别", "成交价格(万元)", "土地使用权人", "约定容积率下限",
                    "约定容积率上限", "约定交地时间", "约定开工时间", "约定竣工时间", "实际开工时间", "实际竣工时间",
                    "批准单位", "合同签订日期", "source_file"]


def test_the_landchina_header_is_understood_as_it_comes():
    m = L.match_headers(LANDCHINA_HEADER)
    assert m.missing_required() == []
    assert m.unknown == ["source_file"]
    assert len(m.columns) == 22


@pytest.mark.parametrize(("header", "missing"), [
    (["项目名称", "土地使用权人", "面积(亩)", "土地用途"], ["宗地编号或电子监管号"]),
    (["宗地编号", "面积(亩)", "土地用途"], ["土地使用权人"]),
    (["宗地编号", "土地使用权人", "面积", "土地用途"], ["面积(公顷)、面积(平方米)或面积(亩)"]),
    (["电子监管号", "土地使用权人", "面积(平方米)"], ["土地用途"]),
])
def test_missing_required_columns(header, missing):
    assert L.match_headers(header).missing_required() == missing


# --- district filter and townships ------------------------------------------------------------------

@pytest.mark.parametrize(("sup", "region", "location", "name", "reason"), [
    ("3307212013B00068", "金东区", "", "", None),  # legacy 金华县 prefix
    ("3307032021B00001", "", "", "", None),  # new prefix
    ("3307212012B00037", "330721901", "金东经济开发区", "", None),  # raw code in 行政区
    ("3307212015A00388-2", "金华市本级", "金东区多湖街道泉源村", "", None),  # prefix wins
    ("", "金东区", "", "", None),
    ("", "330703101", "", "", None),
    ("3307002014A00457-1", "金华市本级", "金东新区东孝街道王牌村", "", None),
    ("3307002016B00398", "金华市本级", "宋濂路南侧、政和街东侧", "金华市金东国有资产经营有限公司位于宋濂路南侧", None),
    ("3307002015A00159", "金华市本级", "多湖区块城中村配套道路", "", None),
    ("3307002013B00100", "", "赤松镇下杨村以西", "", None),  # 3307002 without 行政区
    ("3307002014A00081", "金华市本级", "金华市区婺江东路北侧", "水门地块南侧地下空间", L.SKIP_CITY_ELSEWHERE),
    ("3307002014A00296", "金华市本级", "婺城新城区桑田街以东、临江东路以南", "", L.SKIP_CITY_ELSEWHERE),
    ("3307002013B00001", "金华市本级", "婺城区二环西路", "", L.SKIP_CITY_ELSEWHERE),
    ("3307822013B00001", "义乌市", "江东街道", "", L.SKIP_OTHER_DISTRICT),  # 义乌 has a 江东街道 too
    ("3307022012B00021", "330702901", "", "", L.SKIP_OTHER_DISTRICT),
    ("3307002013B00001", "婺城区", "", "", L.SKIP_OTHER_DISTRICT),
    ("", "", "", "", None),  # a local ledger without national references
])
def test_district_filter(sup, region, location, name, reason):
    assert L.district_skip_reason(supervision_no=sup, district_text=region, project_location=location,
                                  project_name=name) == reason


def test_district_filter_all_keeps_everything():
    assert L.district_skip_reason(supervision_no="3307822013B00001", district_text="义乌市", district="all") is None
    with pytest.raises(ValueError, match="只支持"):
        L.normalise_district_option("婺城区")


@pytest.mark.parametrize(("texts", "township"), [
    (("金东区江东镇横店村", ""), "江东镇"),
    (("孝顺镇工业功能区", ""), "孝顺镇"),
    (("金东经济开发区", "金华市曹宅镇某项目"), "曹宅镇"),  # name when the location says nothing
    (("孝顺镇至傅村镇", ""), None),  # two townships: the geometry decides
    (("婺江东路北侧", ""), None),  # a road, not 江东镇
    (("浙江东方集团地块", ""), None),  # the province
    (("多湖大道东侧", ""), "多湖街道"),
    (("金义都市新区金港大道以南", ""), None),
])
def test_township_from_place_names(texts, township):
    found = L.township_from_texts(*texts)
    assert (found.name if found else None) == township


@pytest.mark.parametrize(("value", "code"), [
    ("多湖街道", "330703001"), ("多湖", "330703001"), ("330703106", "330703106"), ("330703106000", "330703106"),
    (" 源东乡 ", "330703200"), ("金东经济开发区", None), ("330721901", None),
])
def test_township_column(value, code):
    found = L.township_from_value(value)
    assert (found.code if found else None) == code


# --- holders, causes, methods -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "names"), [
    ("金华富祥化纤有限公司", ["金华富祥化纤有限公司"]),
    ("俞志坚、刘朝阳、俞成金", ["俞志坚", "刘朝阳", "俞成金"]),
    ("甲公司,乙公司，甲公司", ["甲公司", "乙公司"]),
    ("应春明、叶海庆等各受让人", ["应春明", "叶海庆"]),
    ("张文虎等6人", ["张文虎"]),
    ("", []),
])
def test_co_holders_are_split(text, names):
    assert L.split_holders(text) == names


@pytest.mark.parametrize(("text", "item_text", "expected"), [
    ("企业原因", "", ("holder", None)),
    ("不可抗力", "", ("force_majeure", None)),
    ("政府原因（二）", "", ("government", 2)),
    ("政府原因", "第三项", ("government", 3)),
    ("政府原因：规划修改", "", ("government", 2)),
    ("政府原因", "5", ("government", 5)),
    ("", "", (None, None)),
])
def test_idle_causes(text, item_text, expected):
    assert L.parse_idle_cause(text, item_text) == expected


@pytest.mark.parametrize(("text", "item"), [("政府原因", ""), ("天气", "")])
def test_idle_cause_problems(text, item):
    with pytest.raises(L.ValueProblem):
        L.parse_idle_cause(text, item)


@pytest.mark.parametrize(("text", "expected"), [
    ("挂牌出让", ("挂牌出让", True)), ("挂牌", ("挂牌出让", True)), ("划拨", ("划拨", True)),
    ("先租后让", ("其他", False)), ("", ("", True)),
])
def test_supply_methods(text, expected):
    assert L.parse_supply_method(text) == expected


# --- a whole row ------------------------------------------------------------------------------------

def _row(**extra):
    values = {"supervision_no": "3307212013B00068", "holder": "金华某某有限公司", "area_ha": "1.5",
              "land_use": "工业用地", "supply_method": "挂牌出让"}
    values.update(extra)
    return L.parse_row(values)


def _messages(problems, level="error"):
    return [(p.field, p.message) for p in problems if p.level == level]


def test_a_clean_row():
    row, problems = _row(contract_date="2013年01月05日", agreed_start="2013年07月05日", far_min="1.2", far_max="2.0")
    assert problems == []
    assert row.key == "3307212013B00068"
    assert row.area_ha == Decimal("1.500000") and row.area_m2 == Decimal("15000.00")
    assert row.far_min == Decimal("1.20") and row.far_max == Decimal("2.00")


@pytest.mark.parametrize(("column", "value", "ha", "m2"), [
    ("area_ha", "0.6084", "0.608400", "6084.00"),
    ("area_m2", "6084", "0.608400", "6084.00"),
    ("area_mu", "15", "1.000000", "10000.00"),
])
def test_area_units(column, value, ha, m2):
    row, problems = L.parse_row({"code": "X", "holder": "甲", "land_use": "工业用地", column: value})
    assert problems == []
    assert (row.area_ha, row.area_m2) == (Decimal(ha), Decimal(m2))


@pytest.mark.parametrize(("extra", "field", "fragment"), [
    ({"area_ha": "-1"}, "area_ha", "大于 0"),
    ({"area_ha": "0"}, "area_ha", "大于 0"),
    ({"area_ha": ""}, "area_ha", "缺少面积"),
    ({"area_ha": "一公顷"}, "area_ha", "不是有效的数字"),
    ({"holder": ""}, "holder", "缺少土地使用权人"),
    ({"supervision_no": ""}, "supervision_no", "缺少宗地编号和电子监管号"),
    ({"supervision_no": "3.30721E+15"}, "supervision_no", "科学计数法"),
    ({"contract_date": "2013-02-30"}, "contract_date", "不存在"),
    ({"uscc": "91330703MA28D1234F"}, "uscc", "校验位错误"),
    ({"land_use": ""}, "land_use", "缺少土地用途"),
    ({"idle_cause": "政府原因"}, "idle_cause", "第八条"),
])
def test_row_errors(extra, field, fragment):
    _parsed, problems = _row(**extra)
    errors = _messages(problems)
    assert any(f == field and fragment in m for f, m in errors), errors


def test_allocated_land_without_holder_is_a_warning():
    row, problems = _row(holder="", supply_method="划拨")
    assert _messages(problems) == []
    assert _messages(problems, "warning") == [("holder", "划拨供地未登记土地使用权人，未建立权利人")]
    assert row.holders == []


def test_swapped_far_and_early_start_are_warnings():
    row, problems = _row(far_min="2.0", far_max="1.2", contract_date="2013-06-01", agreed_start="2013-05-01")
    assert _messages(problems) == []
    warnings = dict(_messages(problems, "warning"))
    assert "对调" in warnings["far_max"]
    assert "早于合同签订日期" in warnings["agreed_start"]
    assert (row.far_min, row.far_max) == (Decimal("1.20"), Decimal("2.00"))


def test_zero_far_upper_bound_means_none():
    row, problems = _row(far_min="1.2", far_max="0.00")
    assert problems == [] and row.far_max is None


def test_placeholder_dates_are_empty():
    row, problems = _row(reported_start="1900年01月01日", reported_completion="1900-01-01")
    assert problems == []
    assert row.reported_start is None and row.reported_completion is None


def test_uscc_with_several_holders_is_ignored_with_a_warning():
    row, problems = _row(holder="甲公司、乙公司", uscc="91330703MA28D1234E")
    assert row.uscc == "" and row.holders == ["甲公司", "乙公司"]
    assert _messages(problems, "warning")[0][0] == "uscc"


def test_valid_uscc_is_kept():
    row, problems = _row(uscc="91330703ma28d1234e")
    assert problems == [] and row.uscc == "91330703MA28D1234E"


# --- reading files ----------------------------------------------------------------------------------

TEXT = "宗地编号,土地使用权人,面积(亩),土地用途\nJD-1,金华东孝实业有限公司,12,工业用地\n"


@pytest.mark.parametrize(("data", "label"), [
    (TEXT.encode("utf-8"), "UTF-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8-BOM"),
    (TEXT.encode("gbk"), "GBK"),
    ((TEXT + "㙟\n").encode("gb18030"), "GB18030"),  # outside GBK
    (TEXT.encode("utf-16"), "UTF-16"),
])
def test_encodings_are_detected(data, label):
    text, found = detect_encoding(data)
    assert found == label
    assert "金华东孝实业有限公司" in text


def test_header_below_a_title_and_tab_separated():
    data = ("金东区供地台账\n\n" + TEXT.replace(",", "\t")).encode("gbk")
    table = read_table(data, "台账.csv", header_score=L.header_score)
    assert table.header_row == 3 and table.encoding == "GBK"
    assert table.rows == [(4, ["JD-1", "金华东孝实业有限公司", "12", "工业用地"])]


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "空"),
    (b"<html><table><tr><td>1</td></tr></table></html>", "网页"),
    (b'{"type": "FeatureCollection", "features": []}', "JSON"),
    (b"\x81\x30\xff\xfe\x00\x81" * 3, "编码"),
])
def test_unreadable_files(data, fragment):
    with pytest.raises(ReadError, match=fragment):
        read_table(data, "x.csv", header_score=L.header_score)

"""The supply ledger import (import-formats.md §1) end to end: real landchina files, broken files,
encodings, Excel formats, idempotence, the district filter and the `pandi import` command."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from pandi.audit.models import AuditEntry
from pandi.land.importers import common
from pandi.land.importers.common import ImportContext, run_import
from pandi.land.models import ConstructionFacts, Enterprise, ImportBatch, Parcel, SupplyContract

pytestmark = pytest.mark.django_db

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "landchina-jinhua"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "supplies"
JINDONG = Path(__file__).resolve().parents[1] / "data" / "landchina" / "jindong_landchina_2012_2016.csv"
JINHUA = SHARED / "jinhua_landchina_2012_2016.csv"
ZHEJIANG = SHARED / "zhejiang_industrial_landchina_2012_2016.csv"


def shared_file(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"real landchina data not present at {path} (see /work/shared/data/landchina-jinhua)")
    return path.read_bytes()


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def import_bytes(world, data: bytes, name: str = "台账.csv", **kwargs):
    return run_import(kind="supplies", user=world.users["nr"], file_name=name, data=data, **kwargs)


def issues(ctx, level="error"):
    return [(i.row, i.column, i.value, i.message) for i in ctx.issues if i.level == level]


# --- the real landchina files ------------------------------------------------------------------------

STEM_PATTERNS = [re.compile(p) for p in (
    "多湖", "东孝", "孝顺", "傅村", "曹宅", "澧浦", "岭下", "(?<!浙)江东(?!路|街|大道)", "塘雅", "赤松",
    "源东(?!路|街|大道)")]


def expected_district_split(rows: list[dict[str, str]]) -> Counter:
    """The district rule as documented (pandi/domain/ledger.py docstring), in plain Python."""

    def names_jindong(text: str) -> bool:
        return "金东" in text or any(p.search(text) for p in STEM_PATTERNS)

    result: Counter = Counter()
    for r in rows:
        sup, region = r["电子监管号"], r["行政区"]
        if sup.startswith(("330703", "330721")) or region == "金东区" or (
                region.isdigit() and region.startswith(("330703", "330721"))):
            result["kept"] += 1
        elif region == "金华市本级":
            if names_jindong(r["项目位置"]) or names_jindong(r["项目名称"]):
                result["kept"] += 1
            else:
                result["金华市本级供地，项目位置不在金东区"] += 1
        else:
            result["行政区不属于金东区"] += 1
    return result


def _import_jindong_twice(world):
    """The real 金东 file (a copy in tests/data): imports with zero errors, and again with nothing changed."""
    data = JINDONG.read_bytes()
    rows = csv_rows(JINDONG)
    expected = len({r["电子监管号"] for r in rows})  # one parcel per 电子监管号 (the file has no 宗地编号)
    parcels_before = Parcel.objects.count()

    ctx = import_bytes(world, data, JINDONG.name)

    assert ctx.errors == []
    assert ctx.batch.status == "done" and ctx.encoding == "UTF-8"
    assert ctx.counts["total"] == len(rows) == 196
    assert ctx.counts["created"] == expected == 196
    assert Parcel.objects.count() - parcels_before == expected
    assert SupplyContract.objects.filter(parcel__code="").count() == expected
    # allocated land without a published holder: a warning per row, never an error
    no_holder = sum(1 for r in rows if not r["土地使用权人"].strip())
    assert len(ctx.warnings) == no_holder == 41

    contract = SupplyContract.objects.get(supervision_no="3307212012B00037")
    assert contract.area_ha == Decimal("0.608400") and contract.parcel.area_m2 == Decimal("6084.00")
    assert (contract.contract_date, contract.agreed_start, contract.agreed_completion) == (
        date(2012, 1, 17), date(2012, 10, 17), date(2013, 4, 17))
    assert contract.reported_start is None and contract.far_min == Decimal("1.20") and contract.far_max is None
    assert contract.price_wan == Decimal("209.8932") and contract.term_years == 50
    assert contract.parcel.holder_names == "金华富祥化纤有限公司"
    assert contract.parcel.supply_year == 2012
    # co-holders: one enterprise and one holding each
    shared = Parcel.objects.get(contracts__holder_name="俞志坚、刘朝阳、俞成金")
    assert set(shared.holdings.values_list("enterprise__name", flat=True)) == {"俞志坚", "刘朝阳", "俞成金"}
    # the one parcel that names a township the test world has (多湖街道 = township A)
    assert Parcel.objects.filter(township=world.township_a, supervision_no__startswith="330721").count() == 1
    # audit rows name the importing user and the source
    entries = AuditEntry.objects.filter(source="import")
    assert entries.exists() and set(entries.values_list("actor", flat=True)) == {world.users["nr"].pk}

    audit_before = AuditEntry.objects.count()
    again = import_bytes(world, data, JINDONG.name)
    assert again.errors == []
    assert again.counts["unchanged"] == expected
    assert again.counts.get("created", 0) == again.counts.get("updated", 0) == 0
    assert AuditEntry.objects.count() == audit_before
    assert Parcel.objects.count() - parcels_before == expected

    # 金华: the district filter
    return expected, parcels_before


def test_real_jindong_file_imports_without_errors_and_reimports_unchanged(world):
    _import_jindong_twice(world)


def test_real_landchina_files_jindong_then_jinhua_then_zhejiang(world):
    """One journey through the three real files (in one test: importing is the slow part).

    金东 (196 rows): imports with zero errors, and again with nothing changed. 金华 (4,987 rows): the
    district filter keeps exactly the rows the documented rule keeps (computed here from the CSV) —
    the 196 金东 rows are already there, the city-supplied ones inside 金东区 are new. 浙江 (13,793
    rows): a dry run filters every row and writes nothing."""
    for path in (JINHUA, ZHEJIANG):
        shared_file(path)  # skips when ../shared/data is not beside the checkout
    expected, parcels_before = _import_jindong_twice(world)
    jinhua_rows = csv_rows(JINHUA)
    split = expected_district_split(jinhua_rows)
    ctx = import_bytes(world, shared_file(JINHUA), JINHUA.name)
    assert ctx.errors == []
    assert ctx.counts["total"] == len(jinhua_rows) == 4987
    assert ctx.counts["unchanged"] == expected  # the 金东 rows, already imported
    assert ctx.counts["created"] + ctx.counts["unchanged"] == split["kept"]
    assert ctx.counts["skipped"] == len(jinhua_rows) - split["kept"]
    assert dict(ctx.skipped_reasons) == {k: v for k, v in split.items() if k != "kept"}
    assert ctx.batch.counts["skipped_reasons"] == dict(ctx.skipped_reasons)
    assert Parcel.objects.count() - parcels_before == split["kept"]
    # city-supplied land inside 金东区 is kept; 婺江东路 (婺城区) is not
    assert Parcel.objects.filter(supervision_no="3307002014A00457-1", township=world.township_b).exists()
    assert not Parcel.objects.filter(supervision_no="3307002014A00081").exists()

    # 浙江: a dry run over 13,793 rows
    parcels_before, audit_before = Parcel.objects.count(), AuditEntry.objects.count()
    zj_rows = csv_rows(ZHEJIANG)
    ctx = import_bytes(world, shared_file(ZHEJIANG), ZHEJIANG.name, dry_run=True)
    assert ctx.batch.status == "dry_run" and ctx.errors == []
    assert ctx.counts["total"] == len(zj_rows) == 13793
    assert sum(ctx.counts.get(k, 0) for k in ("created", "updated", "unchanged", "skipped")) == len(zj_rows)
    assert Parcel.objects.count() == parcels_before and AuditEntry.objects.count() == audit_before


def test_zhejiang_file_reads_every_row_without_the_filter(world):
    """All 13,793 rows through the row checks (validation only; the filter off)."""
    from pandi.land.importers.supplies import validate

    data = shared_file(ZHEJIANG)
    rows = csv_rows(ZHEJIANG)
    ctx = ImportContext(kind="supplies", user=world.users["nr"], file_name=ZHEJIANG.name, data=data,
                        options={"district": "all"})
    prepared = validate(ctx)
    assert len(prepared) == len(rows)
    missing_holder = sum(1 for r in rows if not r["土地使用权人"].strip() and r["供地方式"] != "划拨")
    assert Counter(i.message for i in ctx.errors) == Counter({"缺少土地使用权人": missing_holder})
    placeholders = sum(1 for r in rows if "1900年01月01日" in (r["约定开工时间"], r["约定竣工时间"]))
    assert placeholders == 48
    early = [i for i in ctx.warnings if "早于合同签订日期" in i.message]
    assert len(early) == sum(1 for r in rows if r["约定开工时间"] not in ("", "1900年01月01日")
                             and r["约定开工时间"] < r["合同签订日期"])


# --- broken files ------------------------------------------------------------------------------------

HEADER = ("宗地编号,电子监管号,行政区,项目名称,项目位置,土地使用权人,面积(公顷),土地用途,供地方式,"
          "合同签订日期,约定开工时间\n")
BROKEN = HEADER + """\
JD-001,3307212021B00001,金东区,好项目,多湖街道光南路,甲公司,1.5,工业用地,挂牌出让,2021年04月30日,2021年10月30日
JD-002,3307212021B00002,金东区,坏日期,,乙企业,2.0,工业用地,挂牌出让,2021年02月30日,2021-08-01
JD-003,3307212021B00003,金东区,无权利人,,,1.0,工业用地,挂牌出让,2021-04-01,2021-10-01
JD-001,3307212021B00004,金东区,重复,,丙企业,1.0,工业用地,挂牌出让,2021-04-01,2021-10-01
JD-005,3307212021B00005,金东区,负面积,,丁企业,-3,工业用地,挂牌出让,2021-04-01,2021-10-01
JD-006,3307212021B00006,金东区,又一个好项目,东孝街道,戊企业,0.8,工业用地,挂牌出让,2021/5/6,2021/11/6
"""
BROKEN_ERRORS = [
    (3, "合同签订日期", "2021年02月30日", "日期“2021年02月30日”不存在"),
    (4, "土地使用权人", "", "缺少土地使用权人"),
    (5, "宗地编号", "JD-001", "宗地编号与第 2 行重复，同一文件中每宗地只能出现一次"),
    (6, "面积(公顷)", "-3", "面积必须大于 0"),
]


def test_broken_file_reports_each_row_in_chinese_and_writes_nothing(world):
    parcels_before = Parcel.objects.count()
    for dry_run in (True, False):
        ctx = import_bytes(world, BROKEN.encode(), "坏台账.csv", dry_run=dry_run)
        assert issues(ctx) == BROKEN_ERRORS
        assert Parcel.objects.count() == parcels_before
        assert not AuditEntry.objects.filter(source="import").exists()
    assert ctx.batch.status == "failed" and ctx.batch.counts["errors"] == 4
    assert ctx.batch.issues[0] == {"row": 3, "column": "合同签订日期", "value": "2021年02月30日",
                                   "message": "日期“2021年02月30日”不存在", "level": "error"}


def test_valid_only_writes_exactly_the_valid_rows(world):
    parcels_before = Parcel.objects.count()
    ctx = import_bytes(world, BROKEN.encode(), "坏台账.csv", valid_only=True)
    assert ctx.batch.status == "partial"
    assert ctx.counts["created"] == 2 and ctx.counts["invalid_rows"] == 4
    assert Parcel.objects.count() - parcels_before == 2
    assert set(Parcel.objects.filter(code__startswith="JD-").values_list("code", flat=True)) == {"JD-001", "JD-006"}
    good = Parcel.objects.get(code="JD-001")
    assert good.township == world.township_a  # 多湖 named in 项目位置
    assert list(good.holdings.values_list("enterprise", flat=True)) == [world.enterprise_a.pk]  # the existing 甲公司
    assert Parcel.objects.get(code="JD-006").township == world.township_b


def test_missing_required_columns_are_file_errors(world):
    ctx = import_bytes(world, "项目名称,面积\n某项目,12\n".encode())
    assert [(i.row, i.message) for i in ctx.errors] == [
        (1, "缺少必填列：宗地编号或电子监管号"), (1, "缺少必填列：土地使用权人"),
        (1, "缺少必填列：面积(公顷)、面积(平方米)或面积(亩)"), (1, "缺少必填列：土地用途")]
    assert ctx.batch.status == "failed"


def test_duplicate_electronic_number_under_different_codes_is_an_error(world):
    data = ("宗地编号,电子监管号,土地使用权人,面积(亩),土地用途\n"
            "JD-1,3307212021B00009,甲公司,10,工业用地\nJD-2,3307212021B00009,乙公司,12,工业用地\n").encode()
    ctx = import_bytes(world, data, dry_run=True)
    assert issues(ctx) == [(3, "电子监管号", "3307212021B00009", "电子监管号与第 2 行重复")]


def test_an_unreadable_file_is_one_error(world):
    ctx = import_bytes(world, b"<html><body><table><tr><td>x</td></tr></table></body></html>", "台账.xls")
    assert len(ctx.errors) == 1 and "网页" in ctx.errors[0].message and ctx.errors[0].row is None


# --- encodings and Excel -----------------------------------------------------------------------------

SMALL = """宗地编号,电子监管号,乡镇街道,项目名称,土地使用权人,面积(亩),土地用途,合同签订日期,约定开工时间,实际开工时间
JD-101,3307212021B00101,东孝街道,东孝新材料,金华东孝实业有限公司,15,工业用地,2021年04月30日,2021年10月30日,1900年01月01日
"""


@pytest.mark.parametrize(("encoding", "label"), [("gbk", "GBK"), ("utf-8-sig", "UTF-8-BOM"), ("utf-8", "UTF-8")])
def test_csv_encodings_are_detected_and_reported(world, encoding, label):
    ctx = import_bytes(world, SMALL.encode(encoding))
    assert ctx.errors == [] and ctx.encoding == label and ctx.batch.encoding == label
    parcel = Parcel.objects.get(code="JD-101")
    assert parcel.township == world.township_b and parcel.area_m2 == Decimal("10000.00")
    assert parcel.holder_names == "金华东孝实业有限公司"
    contract = parcel.contracts.get()
    assert contract.reported_start is None  # 1900年01月01日 = empty
    assert contract.agreed_start == date(2021, 10, 30)


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "供地台账"
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_with_a_title_row_serial_dates_and_full_width_headers(world):
    data = _xlsx([
        ["金东区供地台账（测试）"],
        [],
        ["宗地编号", "土地使用权人", "面积（平方米）", "土地用途", "乡镇（街道）", "合同签订日期", "约定开工时间",
         "约定竣工时间", "约定容积率下限", "约定容积率上限", "成交价格（万元）"],
        ["JD-201", "金华智造装备有限公司", 20000, "工业用地", "东孝", 44316, datetime(2021, 10, 30), "1900年01月01日",
         2.0, 1.2, 888.5],
    ])
    ctx = import_bytes(world, data, "台账.xlsx")
    assert ctx.errors == []
    assert issues(ctx, "warning") == [(4, "约定容积率上限", "1.20/2.00", "约定容积率上限小于下限，已将上下限对调")]
    assert ctx.encoding == ""
    contract = SupplyContract.objects.get(parcel__code="JD-201")
    assert contract.contract_date == date(2021, 4, 30)  # Excel serial 44316
    assert contract.agreed_start == date(2021, 10, 30)
    assert contract.agreed_completion is None
    assert (contract.far_min, contract.far_max) == (Decimal("1.20"), Decimal("2.00"))
    assert contract.area_ha == Decimal("2.000000") and contract.price_wan == Decimal("888.5000")
    assert contract.parcel.township == world.township_b


def test_old_excel_xls_with_construction_facts_and_co_holders(world):
    data = (FIXTURES / "ledger_local.xls").read_bytes()
    ctx = import_bytes(world, data, "ledger_local.xls")
    assert ctx.errors == [] and ctx.counts["created"] == 2

    first = Parcel.objects.get(code="JD2021-001")
    assert first.supervision_no == "3307032021B00001" and first.township == world.township_a
    assert first.area_m2 == Decimal("30000.00")  # 45 亩
    enterprise = Enterprise.objects.get(name="金华智造装备有限公司")
    assert enterprise.uscc == "91330703MA28D1234E" and enterprise.township == world.township_a
    facts = ConstructionFacts.objects.get(parcel=first)
    assert facts.permit_no == "330703202109150101" and facts.invested_wan == Decimal("800.00")
    assert facts.idle_cause == "holder"
    assert first.contracts.get().agreed_completion == date(2023, 3, 15)

    second = Parcel.objects.get(code="JD2021-002")
    assert second.township == world.township_b  # 乡镇街道 given as code 330703002
    assert second.holdings.count() == 2
    facts = ConstructionFacts.objects.get(parcel=second)
    assert (facts.idle_cause, facts.government_cause_item) == ("government", 2)
    contract = second.contracts.get()
    assert contract.supervision_no == "" and contract.agreed_completion is None  # 1900年01月01日
    assert contract.contract_date == date(2021, 5, 10)

    again = import_bytes(world, data, "ledger_local.xls")
    assert again.counts["unchanged"] == 2


# --- updating in place -------------------------------------------------------------------------------

def test_a_changed_row_updates_the_same_parcel_and_contract(world):
    import_bytes(world, SMALL.encode())
    changed = SMALL.replace("2021年10月30日", "2021年12月01日").replace(",15,", ",16,")
    ctx = import_bytes(world, changed.encode())
    assert ctx.counts["updated"] == 1 and ctx.counts.get("created", 0) == 0
    parcel = Parcel.objects.get(code="JD-101")
    contract = parcel.contracts.get()
    assert contract.agreed_start == date(2021, 12, 1)
    assert contract.area_ha == Decimal("1.066667")
    assert SupplyContract.objects.filter(supervision_no="3307212021B00101").count() == 1


def test_a_later_file_with_the_parcel_code_adopts_the_parcel_known_by_its_number(world):
    import_bytes(world, "电子监管号,土地使用权人,面积(公顷),土地用途\n3307212021B00301,甲公司,1,工业用地\n".encode())
    ctx = import_bytes(world, ("宗地编号,电子监管号,土地使用权人,面积(公顷),土地用途\n"
                               "JD-301,3307212021B00301,甲公司,1,工业用地\n").encode())
    assert ctx.counts["updated"] == 1
    assert Parcel.objects.get(supervision_no="3307212021B00301").code == "JD-301"


def test_a_number_registered_on_another_parcel_is_an_error(world):
    import_bytes(world, ("宗地编号,电子监管号,土地使用权人,面积(公顷),土地用途\n"
                         "JD-401,3307212021B00401,甲公司,1,工业用地\n").encode())
    ctx = import_bytes(world, ("宗地编号,电子监管号,土地使用权人,面积(公顷),土地用途\n"
                               "JD-402,3307212021B00401,甲公司,1,工业用地\n").encode(), dry_run=True)
    assert [i.message for i in ctx.errors] == ["该电子监管号已登记在宗地 JD-401 上，与本行宗地编号 JD-402 不符"]


def test_ledger_area_does_not_override_a_surveyed_boundary(world):
    before = world.parcel_a.area_m2
    ctx = import_bytes(world, ("宗地编号,土地使用权人,面积(公顷),土地用途\nA-001,甲公司,9,工业用地\n").encode())
    assert ctx.errors == []
    world.parcel_a.refresh_from_db()
    assert world.parcel_a.area_m2 == before and world.parcel_a.area_source == "geometry"


def test_a_row_the_services_refuse_is_reported_and_rolled_back(world, monkeypatch):
    """A safety net: rows are checked before writing, but should a service still refuse one, the
    row is reported and (without valid_only) nothing at all is written."""
    from django.core.exceptions import ValidationError

    from pandi.land import services

    real = services.contract_create

    def refuse_second(*, parcel, data, **kwargs):
        if data["supervision_no"] == "3307212021B00006":
            raise ValidationError({"price_wan": "成交价格不合理"})
        return real(parcel=parcel, data=data, **kwargs)

    monkeypatch.setattr(services, "contract_create", refuse_second)
    good = BROKEN.splitlines()
    text = "\n".join([good[0], good[1], good[6]]) + "\n"
    parcels = Parcel.objects.count()
    ctx = import_bytes(world, text.encode())
    assert issues(ctx) == [(3, "成交价格(万元)", "", "成交价格不合理")]
    assert Parcel.objects.count() == parcels and ctx.batch.counts["errors"] == 1
    assert "已全部撤销" in ctx.batch.notes
    ctx = import_bytes(world, text.encode(), valid_only=True)
    assert ctx.counts["created"] == 1 and ctx.counts["failed"] == 1
    assert Parcel.objects.count() == parcels + 1


def test_the_ledger_limits_match_the_model():
    from pandi.domain.ledger import COLUMN_BY_FIELD

    for name in ("area_ha", "price_wan", "far_min", "far_max"):
        field = SupplyContract._meta.get_field(name)
        column = COLUMN_BY_FIELD[name]
        assert (column.max_digits, column.places) == (field.max_digits, field.decimal_places), name
    for name in ("district_text", "project_name", "project_location", "land_source", "land_use", "industry",
                 "land_grade", "approval_authority"):
        assert COLUMN_BY_FIELD[name].max_length == SupplyContract._meta.get_field(name).max_length, name
    for name in ("required_dev_area_m2", "developed_area_m2", "invested_wan", "total_investment_wan"):
        field = ConstructionFacts._meta.get_field(name)
        assert (COLUMN_BY_FIELD[name].max_digits, COLUMN_BY_FIELD[name].places) == (
            field.max_digits, field.decimal_places), name
    assert COLUMN_BY_FIELD["permit_no"].max_length == ConstructionFacts._meta.get_field("permit_no").max_length
    assert COLUMN_BY_FIELD["code"].max_length == Parcel._meta.get_field("code").max_length
    assert COLUMN_BY_FIELD["supervision_no"].max_length == Parcel._meta.get_field("supervision_no").max_length


def test_importing_needs_the_permission(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(kind="supplies", user=world.users["town_a"], file_name="x.csv", data=SMALL.encode())
    assert not ImportBatch.objects.exists()


def test_progress_is_reported_every_500_rows(world):
    lines = ["电子监管号,土地使用权人,面积(亩),土地用途"] + [
        f"33072120219{i:05d},企业{i},1,工业用地" for i in range(1200)]
    messages: list[str] = []
    from pandi.land.importers.supplies import validate

    ctx = ImportContext(kind="supplies", user=world.users["nr"], file_name="x.csv",
                        data="\n".join(lines).encode(), progress=messages.append)
    assert len(validate(ctx)) == 1200
    assert messages == ["已检查 500/1200 行", "已检查 1000/1200 行", "已检查 1200 行"]


# --- the command -------------------------------------------------------------------------------------

def _run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_command_imports_and_summarises_in_chinese(world, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_bytes(SMALL.encode("gbk"))
    out, err, exc = _run("supplies", str(path), user="nr")
    assert exc is None and err == ""
    assert "编码：GBK" in out and "共 1 行，新增 1，更新 0，未变 0，跳过 0，错误 0，警告 0" in out
    assert "导入完成" in out
    batch = ImportBatch.objects.get()
    assert batch.user == world.users["nr"] and batch.source == "import"


def test_command_prints_errors_and_fails_without_writing(world, tmp_path):
    path = tmp_path / "坏台账.csv"
    path.write_text(BROKEN, encoding="utf-8")
    parcels = Parcel.objects.count()
    out, err, exc = _run("supplies", str(path), user="nr")
    assert isinstance(exc, CommandError) and "未写入任何数据" in str(exc)
    assert "第 3 行 [合同签订日期] 2021年02月30日：日期“2021年02月30日”不存在" in err.splitlines()
    assert "第 6 行 [面积(公顷)] -3：面积必须大于 0" in err.splitlines()
    assert Parcel.objects.count() == parcels

    out, err, exc = _run("supplies", str(path), user="nr", valid_only=True)
    assert exc is None and "新增 2" in out
    assert Parcel.objects.count() == parcels + 2


def test_command_dry_run_and_district_option(world, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_text(SMALL.replace("3307212021B00101", "3307822021B00101"), encoding="utf-8")
    out, _err, exc = _run("supplies", str(path), user="nr", dry_run=True)
    assert exc is None and "跳过：行政区不属于金东区 1 行" in out
    out, _err, exc = _run("supplies", str(path), user="nr", dry_run=True, district="all")
    assert exc is None and "新增 1" in out
    assert not Parcel.objects.filter(code="JD-101").exists()


def test_command_user_defaults_to_the_only_administrator(world, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_text(SMALL, encoding="utf-8")
    _out, _err, exc = _run("supplies", str(path))
    assert exc is None
    assert ImportBatch.objects.get().user == world.users["admin"]


def test_command_refuses_unknown_users_and_users_without_permission(world, tmp_path):
    path = tmp_path / "台账.csv"
    path.write_text(SMALL, encoding="utf-8")
    assert "不存在" in str(_run("supplies", str(path), user="nobody")[2])
    assert "没有导入权限" in str(_run("supplies", str(path), user="town_a")[2])
    assert "不存在" in str(_run("supplies", str(tmp_path / "missing.csv"), user="nr")[2])


def test_command_runs_geometry_kinds_through_the_same_engine(world, tmp_path, monkeypatch):
    seen = {}

    def validate(ctx):
        seen["kind"] = ctx.kind
        ctx.crs = "EPSG:4490"
        return []

    common._load_importers()
    monkeypatch.setitem(common.IMPORTERS, "parcels", (validate, lambda ctx, rows: None))
    path = tmp_path / "parcels.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    out, _err, exc = _run("parcels", str(path), user="nr")
    assert exc is None and seen == {"kind": "parcels"} and "坐标系：EPSG:4490" in out
    assert ImportBatch.objects.get().kind == "parcels"

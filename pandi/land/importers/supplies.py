"""Supply ledger importer (供地台账, import-formats.md §1): `run_import(kind="supplies", ...)`.

validate: read the sheet (readers), match the Chinese headers and read every row (pandi.domain.
ledger), drop rows outside the district (a skip with its reason, not an error), find duplicate
keys within the file and conflicts with parcels already registered.
apply: one parcel per 宗地编号 (else 电子监管号), one supply contract per parcel and 电子监管号,
one enterprise per holder and a holding for each, construction facts when the file has them —
all through pandi.land.services, writing only what differs, so a re-import changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pandi.domain.ledger import (
    LedgerRow,
    cell_text,
    district_skip_reason,
    header_score,
    match_headers,
    normalise_district_option,
    parse_row,
)

from .. import services
from ..choices import AreaSource, HoldingRole, IdleCause
from ..models import ConstructionFacts, Holding, Parcel, SupplyContract
from .common import AbortImport, ImportContext, register
from .readers import ReadError, read_table

PROGRESS_EVERY = 500

# ledger field -> SupplyContract field, for the plain columns copied as they are
CONTRACT_COPY = ("district_text", "project_name", "project_location", "land_source", "land_use", "supply_method",
                 "term_years", "industry", "land_grade", "far_min", "far_max", "contract_date", "agreed_handover",
                 "actual_handover", "agreed_start", "agreed_completion", "reported_start", "reported_completion",
                 "approval_authority", "remarks")
CONSTRUCTION_COPY = ("permit_no", "permit_date", "required_dev_area_m2", "developed_area_m2", "invested_wan",
                     "total_investment_wan", "suspended_since")
# model field -> ledger field, to name the column of an error raised while writing
MODEL_TO_LEDGER = {"name": "project_name", "location": "project_location", "area_m2": "area_ha",
                   "area_ha": "area_ha", "holder_name": "holder", "price_wan": "price_wan", "code": "code",
                   "supervision_no": "supervision_no", "uscc": "uscc"}


@dataclass
class SupplyRow:
    row: int
    data: LedgerRow
    township: Any = None  # OrgUnit named in 乡镇街道
    inferred_township: Any = None  # OrgUnit named in 项目位置/项目名称


class _Lookup:
    """Parcels already registered, by 宗地编号 and by 电子监管号 (of the parcel or of a contract)."""

    def __init__(self) -> None:
        self.code_of: dict[int, str] = {}
        self.by_code: dict[str, int] = {}
        self.by_sup: dict[str, int] = {}
        for pk, code, sup in Parcel.objects.values_list("pk", "code", "supervision_no"):
            self.code_of[pk] = code
            if code:
                self.by_code[code] = pk
            if sup:
                self.by_sup[sup] = pk
        for parcel_id, sup in SupplyContract.objects.exclude(supervision_no="").values_list("parcel_id",
                                                                                              "supervision_no"):
            self.by_sup.setdefault(sup, parcel_id)


def _townships() -> dict[str, Any]:
    from pandi.accounts.models import OrgUnit

    found: dict[str, Any] = {}
    for t in OrgUnit.objects.townships():
        found[t.code] = t
        found.setdefault(t.name, t)
    return found


def _resolve(townships: dict[str, Any], ref: Any) -> Any:
    if ref is None:
        return None
    return townships.get(ref.code) or townships.get(ref.name)


def validate(ctx: ImportContext) -> list[SupplyRow]:
    try:
        district = normalise_district_option(ctx.options.get("district"))
    except ValueError as exc:
        ctx.error(None, "行政区过滤", ctx.options.get("district"), str(exc))
        return []
    try:
        table = read_table(ctx.data, ctx.file_name, header_score=header_score)
    except ReadError as exc:
        ctx.error(None, "文件", ctx.file_name, str(exc))
        return []
    ctx.encoding = table.encoding
    ctx.notes.extend(table.notes)
    headers = match_headers(table.header)
    missing = headers.missing_required()
    for what in missing:
        ctx.error(table.header_row, "表头", "", f"缺少必填列：{what}")
    if missing:
        return []
    if headers.unknown:
        ctx.notes.append("未识别的列（已忽略）：" + "、".join(headers.unknown))
    if headers.repeated:
        ctx.warning(table.header_row, "表头", "、".join(headers.repeated), "列名重复，只读取第一列")
    ctx.notes.append("行政区过滤：" + ("不过滤（全部行）" if district == "all" else district))

    townships = _townships()
    known = _Lookup()
    first_row_of_key: dict[tuple[str, str], int] = {}
    first_row_of_sup: dict[str, int] = {}
    rows: list[SupplyRow] = []
    total = len(table.rows)
    for i, (number, cells) in enumerate(table.rows, start=1):
        if i % PROGRESS_EVERY == 0:
            ctx.progress(f"已检查 {i}/{total} 行")
        values = {f: cells[index] for f, index in headers.columns.items()}
        reason = district_skip_reason(
            supervision_no=cell_text(values.get("supervision_no")),
            district_text=cell_text(values.get("district_text")),
            project_location=cell_text(values.get("project_location")),
            project_name=cell_text(values.get("project_name")), district=district)
        if reason:
            ctx.skip(reason)
            continue
        data, problems = parse_row(values)
        for p in problems:
            report = ctx.error if p.level == "error" else ctx.warning
            report(number, headers.label(p.field), p.value, p.message)
        _check_keys(ctx, number, data, headers, known, first_row_of_key, first_row_of_sup)
        row = SupplyRow(number, data, _resolve(townships, data.township), _resolve(townships, data.township_from_names))
        if data.township is not None and row.township is None:
            ctx.warning(number, headers.label("township"), data.township_text,
                        f"系统中还没有“{data.township.name}”，乡镇（街道）暂留空")
        rows.append(row)
    if total >= PROGRESS_EVERY:
        ctx.progress(f"已检查 {total} 行")
    return rows


def _check_keys(ctx: ImportContext, number: int, data: LedgerRow, headers: Any, known: _Lookup,
                first_row_of_key: dict[tuple[str, str], int], first_row_of_sup: dict[str, int]) -> None:
    """Duplicates within the file (an error on the later row) and conflicts with the registry."""
    key_field = "code" if data.code else "supervision_no"
    if data.key:
        key = (key_field, data.key)
        if key in first_row_of_key:
            what = "宗地编号" if data.code else "电子监管号"
            ctx.error(number, headers.label(key_field), data.key,
                      f"{what}与第 {first_row_of_key[key]} 行重复，同一文件中每宗地只能出现一次")
            return
        first_row_of_key[key] = number
    sup = data.supervision_no
    if sup:
        if sup in first_row_of_sup:
            ctx.error(number, headers.label("supervision_no"), sup, f"电子监管号与第 {first_row_of_sup[sup]} 行重复")
            return
        first_row_of_sup[sup] = number
    if not (sup and data.code):
        return
    by_code = known.by_code.get(data.code)
    by_sup = known.by_sup.get(sup)
    if by_sup is None:
        return
    if by_code is not None and by_code != by_sup:
        other = known.code_of.get(by_sup) or "无宗地编号"
        ctx.error(number, headers.label("supervision_no"), sup,
                  f"该电子监管号已登记在另一宗地（{other}）上，与宗地编号 {data.code} 不符")
    elif by_code is None and known.code_of.get(by_sup):
        ctx.error(number, headers.label("supervision_no"), sup,
                  f"该电子监管号已登记在宗地 {known.code_of[by_sup]} 上，与本行宗地编号 {data.code} 不符")


# --- writing ----------------------------------------------------------------------------------------

def apply(ctx: ImportContext, rows: list[SupplyRow]) -> None:
    total = len(rows)
    failed = False
    for i, row in enumerate(rows, start=1):
        try:
            with transaction.atomic():
                outcome = _apply_row(ctx, row)
        except ValidationError as exc:
            failed = True
            _report_write_error(ctx, row, exc)
            ctx.counts["failed"] += 1
            continue
        ctx.counts[outcome] += 1
        if i % PROGRESS_EVERY == 0:
            ctx.progress(f"已写入 {i}/{total} 行")
    if failed and not ctx.valid_only:
        for k in ("enterprises_created", "contracts_created"):
            ctx.counts.pop(k, None)
        raise AbortImport  # the engine rolls the whole file back and marks the batch failed


def _report_write_error(ctx: ImportContext, row: SupplyRow, exc: ValidationError) -> None:
    from pandi.domain.ledger import COLUMN_BY_FIELD

    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            ledger_field = MODEL_TO_LEDGER.get(name, name)
            column = COLUMN_BY_FIELD[ledger_field].label if ledger_field in COLUMN_BY_FIELD else name
            ctx.error(row.row, column, "", "；".join(errors))
    else:
        ctx.error(row.row, "", "", "；".join(exc.messages))


def _sup_free(sup: str, parcel: Parcel | None = None) -> bool:
    qs = Parcel.objects.filter(supervision_no=sup)
    if parcel is not None:
        qs = qs.exclude(pk=parcel.pk)
    return not qs.exists()


def _find_parcel(d: LedgerRow) -> Parcel | None:
    """By 宗地编号; else (or when no parcel has that code yet) by 电子监管号, of the parcel or of one
    of its contracts — a parcel first known only by its 电子监管号 is adopted by its 宗地编号."""
    if d.code:
        found = Parcel.objects.filter(code=d.code).first()
        if found is not None or not d.supervision_no:
            return found
    found = Parcel.objects.filter(supervision_no=d.supervision_no).first()
    if found is None:
        contract = SupplyContract.objects.filter(supervision_no=d.supervision_no).select_related("parcel").first()
        found = contract.parcel if contract else None
    if found is not None and d.code and found.code:
        return None  # another parcel's number (validation reports it); never merge two codes
    return found


def _apply_row(ctx: ImportContext, row: SupplyRow) -> str:
    d = row.data
    user = ctx.user
    parcel = _find_parcel(d)
    created = parcel is None
    changed = False
    if parcel is None:
        data: dict[str, Any] = {
            "code": d.code, "supervision_no": d.supervision_no if d.supervision_no and _sup_free(d.supervision_no)
            else "", "name": d.project_name[:200], "location": d.project_location[:300],
            "township": row.township or row.inferred_township, "land_use": d.land_use or "工业用地",
            "area_m2": d.area_m2, "area_source": AreaSource.LEDGER,
        }
        parcel = services.parcel_create(user=user, data=data, check=False)
    else:
        updates = _parcel_changes(parcel, row)
        if updates:
            parcel = services.parcel_update(user=user, parcel=parcel, data=updates, check=False)
            changed = True

    changed |= _apply_contract(ctx, parcel, d)
    changed |= _apply_holders(ctx, parcel, d)
    if d.has_construction():
        changed |= _apply_construction(ctx, parcel, d)
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def _parcel_changes(parcel: Parcel, row: SupplyRow) -> dict[str, Any]:
    d = row.data
    wanted: dict[str, Any] = {}
    if d.code and not parcel.code:
        wanted["code"] = d.code
    if d.supervision_no and not parcel.supervision_no and _sup_free(d.supervision_no, parcel):
        wanted["supervision_no"] = d.supervision_no
    if d.project_name:
        wanted["name"] = d.project_name[:200]
    if d.project_location:
        wanted["location"] = d.project_location[:300]
    if d.land_use:
        wanted["land_use"] = d.land_use
    if d.area_m2 is not None and parcel.area_source == AreaSource.LEDGER:
        wanted["area_m2"] = d.area_m2
    updates = {k: v for k, v in wanted.items() if getattr(parcel, k) != v}
    township = row.township or (row.inferred_township if parcel.township_id is None else None)
    if township is not None and parcel.township_id != township.pk:
        updates["township"] = township
    return updates


def _contract_data(d: LedgerRow) -> dict[str, Any]:
    data: dict[str, Any] = {"supervision_no": d.supervision_no}
    for name in CONTRACT_COPY:
        if name in d.present:
            data[name] = getattr(d, name)
    if d.has_area:
        data["area_ha"] = d.area_ha
    if d.has_price:
        data["price_wan"] = d.price_wan
    if "holder" in d.present:
        data["holder_name"] = d.holder_text
    return data


def _apply_contract(ctx: ImportContext, parcel: Parcel, d: LedgerRow) -> bool:
    data = _contract_data(d)
    contract = parcel.contracts.filter(supervision_no=d.supervision_no).order_by("id").first()
    if contract is None:
        services.contract_create(user=ctx.user, parcel=parcel, data=data, check=False)
        ctx.counts["contracts_created"] += 1
        return True
    changes = {k: v for k, v in data.items() if getattr(contract, k) != v}
    if changes:
        services.contract_update(user=ctx.user, contract=contract, data=changes, check=False)
    return bool(changes)


def _apply_holders(ctx: ImportContext, parcel: Parcel, d: LedgerRow) -> bool:
    changed = False
    for name in d.holders:
        uscc = d.uscc if len(d.holders) == 1 else ""
        enterprise, made = services.enterprise_find_or_create(user=ctx.user, name=name, uscc=uscc,
                                                              township=parcel.township, check=False)
        if made:
            ctx.counts["enterprises_created"] += 1
            changed = True
        held = Holding.objects.filter(parcel=parcel, enterprise=enterprise, role=HoldingRole.RIGHT_HOLDER,
                                      is_current=True).exists()
        if not held:
            services.holding_add(user=ctx.user, parcel=parcel, enterprise=enterprise, check=False)
            changed = True
    return changed


def _apply_construction(ctx: ImportContext, parcel: Parcel, d: LedgerRow) -> bool:
    data: dict[str, Any] = {name: getattr(d, name) for name in CONSTRUCTION_COPY if name in d.present}
    if "idle_cause" in d.present or "government_cause_item" in d.present:
        data["idle_cause"] = d.idle_cause or IdleCause.HOLDER
        data["government_cause_item"] = d.government_cause_item
    facts = ConstructionFacts.objects.filter(parcel=parcel).first()
    if facts is None:
        meaningful = {k: v for k, v in data.items() if v not in (None, "") and (k, v) != ("idle_cause", "holder")}
        if not meaningful:
            return False
        changes = data
    else:
        changes = {k: v for k, v in data.items() if getattr(facts, k) != v}
    if changes:
        services.construction_update(user=ctx.user, parcel=parcel, data=changes, check=False)
    return bool(changes)


register("supplies", validate, apply)

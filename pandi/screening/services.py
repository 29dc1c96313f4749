"""Writes for screening: save a run, propose the lists from it, the township review and the
district's acceptance, the official inventory's numbers and the annual work plan. Every write is
permission-checked, atomic and audited."""

from __future__ import annotations

import itertools
import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from pandi.audit.services import record_change, record_changes_bulk, snapshot
from pandi.core.permissions import has_perm, require, require_township
from pandi.core.services import model_create, model_update
from pandi.domain.access import Perm
from pandi.domain.geo import ground_area_m2
from pandi.domain.idle import IdleStatus
from pandi.domain.lists import TransitionError, entry_number, next_status
from pandi.domain.screening import ParameterError, ScreeningParams, m2_to_mu2
from pandi.supervision.models import Campaign

from . import engine
from .choices import EntryKind, EntrySource, ExclusionReason, ListKind, ListStatus, Route
from .models import (
    InventoryEntry,
    InventoryList,
    ScreeningResult,
    ScreeningRun,
    VacantBlock,
    WorkPlanItem,
    WorkPlanTarget,
)

INSERT_BATCH = 5000


def _current_campaign() -> Campaign | None:
    return Campaign.objects.filter(is_current=True).first()


# --- runs --------------------------------------------------------------------------------------

def run_counts(outcome: engine.Outcome) -> dict[str, Any]:
    by_status: dict[str, int] = {s.value: 0 for s in IdleStatus}
    by_township: dict[str, dict[str, Any]] = {}
    flags = outcome.district_flags()
    for r, tid, flag, p in zip(outcome.results, outcome.township_ids, flags, outcome.parcels, strict=True):
        by_status[r.status.value] += 1
        t = by_township.setdefault(str(tid or 0), {"statuses": {}, "district_list": 0, "district_list_m2": 0.0,
                                                     "blocks": 0, "blocks_m2": 0.0})
        t["statuses"][r.status.value] = t["statuses"].get(r.status.value, 0) + 1
        if flag:
            t["district_list"] += 1
            t["district_list_m2"] += float(p.area_m2 or 0)
    names = {v: k for k, v in outcome.township_names.items()}
    for b in outcome.blocks:
        t = by_township.setdefault(str(names.get(b.township) or 0), {"statuses": {}, "district_list": 0,
                                                                    "district_list_m2": 0.0, "blocks": 0,
                                                                    "blocks_m2": 0.0})
        t["blocks"] += 1
        t["blocks_m2"] += b.area_m2
    return {
        "parcels": len(outcome.results), "by_status": by_status, "by_township": by_township,
        "district_list": sum(flags), "district_list_m2": round(sum(float(p.area_m2 or 0) for p, f in
                                                                   zip(outcome.parcels, flags, strict=True) if f), 2),
        "blocks": len(outcome.blocks), "blocks_m2": round(sum(b.area_m2 for b in outcome.blocks), 2),
        "vacant_unknown": len(outcome.unknown_vacant), "not_yet_supplied": outcome.not_yet_supplied,
        "timings": {k: round(v, 3) for k, v in outcome.timings.items()},
    }


_RESULT_COLUMNS = ["run_id", "parcel_id", "parcel_code", "township_id", "area_m2", "status", "unbuilt",
                   "deemed_start", "days_past_start", "idle_fee_due", "idle_fee_wan", "free_recovery_due", "cause",
                   "basis", "in_district_list", "vacant_m2"]


def _result_rows(run: ScreeningRun, outcome: engine.Outcome, basis_value: Any) -> Any:
    """One tuple per parcel in `_RESULT_COLUMNS` order; `basis_value` turns the basis list into the
    value the database takes (JSON text)."""
    flags = outcome.district_flags()
    vacant = outcome.vacant_m2
    run_pk = run.pk
    for p, r, pk, tid, flag in zip(outcome.parcels, outcome.results, outcome.pks, outcome.township_ids, flags,
                                   strict=True):
        vac = vacant.get(pk)
        yield (run_pk, pk, p.code[:64], tid, p.area_m2, r.status.value, r.unbuilt, r.deemed_start,
               r.days_past_start, r.idle_fee_due, r.idle_fee_wan, r.free_recovery_due, r.cause.value,
               basis_value(list(r.basis)), flag, Decimal(str(round(vac, 2))) if vac is not None else None)


def _insert_results(run: ScreeningRun, outcome: engine.Outcome, progress: engine.Progress) -> None:
    """A million rows without a million model instances: COPY on PostgreSQL, batched executemany
    elsewhere (inside run_save's transaction)."""
    table = connection.ops.quote_name(ScreeningResult._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _RESULT_COLUMNS)
    total = len(outcome.results)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # the same JSON text Django's JSONField would send (json.dumps); jsonb stores it alike
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for i, row in enumerate(_result_rows(run, outcome, json.dumps), 1):
                    copy.write_row(row)
                    if i % INSERT_BATCH == 0:
                        progress("保存结果", i, total)
        else:
            basis_field = ScreeningResult._meta.get_field("basis")
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_RESULT_COLUMNS))})"
            rows = _result_rows(run, outcome, lambda b: basis_field.get_db_prep_save(b, connection))
            done = 0
            while batch := list(itertools.islice(rows, INSERT_BATCH)):
                cur.executemany(sql, batch)
                done += len(batch)
                progress("保存结果", done, total)
    progress("保存结果", total, total)


@transaction.atomic
def run_save(*, outcome: engine.Outcome, user: Any, campaign: Campaign | None = None, note: str = "",
             source: str = "web", progress: engine.Progress = engine._quiet) -> ScreeningRun:
    """Store a run with its parameters, results and blocks — all or nothing."""
    run = ScreeningRun(campaign=campaign or _current_campaign(), as_of=outcome.as_of,
                       parameters=outcome.params.as_dict(), counts=run_counts(outcome),
                       created_by=user if getattr(user, "is_authenticated", False) else None, source=source,
                       duration_s=round(outcome.timings.get("total", 0.0), 3), note=note[:200])
    run.full_clean()
    run.save()
    with engine.gc_paused():
        _insert_results(run, outcome, progress)
    names = {v: k for k, v in outcome.township_names.items()}
    blocks = VacantBlock.objects.bulk_create([
        VacantBlock(run=run, block_id=b.block_id, township_id=names.get(b.township), area_m2=Decimal(str(round(
            b.area_m2, 2))), listed=b.listed, parcel_codes=b.parcel_codes, holders=b.holders,
            township_shares={k: round(v, 2) for k, v in b.township_shares.items()}, geometry=g)
        for b, g in zip(outcome.blocks, outcome.block_geometries, strict=True)], batch_size=2000)
    _insert_links(VacantBlock.parcels.through, "vacantblock", [(b.pk, pid) for b, pids in
                                                                zip(blocks, outcome.block_parcel_pks, strict=True)
                                                                for pid in pids])
    record_change(obj=run, user=user, before=None, comment=f"筛查 {run.counts['parcels']} 宗")
    return run


def run_execute(*, user: Any, as_of: date, values: dict[str, Any] | None = None, save: bool = True,
                campaign: Campaign | None = None, note: str = "", source: str = "web",
                progress: engine.Progress = engine._quiet) -> tuple[engine.Outcome, ScreeningRun | None]:
    """Screen as of a date with parameters from user input; save it when asked."""
    if save:
        require(user, Perm.RUN_SCREENING)
    try:
        params = ScreeningParams.from_values(values or {})
    except ParameterError as e:
        raise ValidationError(str(e)) from None
    outcome = engine.screen(as_of=as_of, params=params, progress=progress)
    run = run_save(outcome=outcome, user=user, campaign=campaign, note=note, source=source,
                   progress=progress) if save else None
    return outcome, run


# --- the lists -----------------------------------------------------------------------------------

def _entry_from_result(res: ScreeningResult, lst: InventoryList) -> InventoryEntry:
    parcel = res.parcel
    return InventoryEntry(
        inventory_list=lst, township_id=res.township_id, kind=EntryKind.PARCEL, source=EntrySource.PROPOSED,
        parcel=parcel, label=parcel.key + (f" {parcel.name}" if parcel.name else ""),
        holders=parcel.holder_names, area_m2=res.area_m2 or Decimal(0), status=res.status,
        deemed_start=res.deemed_start, days_past_start=res.days_past_start, idle_fee_due=res.idle_fee_due,
        free_recovery_due=res.free_recovery_due, basis=res.basis, geometry=parcel.geometry_simple or parcel.geometry)


def _entry_from_block(block: VacantBlock, lst: InventoryList) -> InventoryEntry:
    codes = block.parcel_codes
    label = f"连片地块（{'、'.join(codes[:3])}{'等' + str(len(codes)) + '宗' if len(codes) > 3 else ''}）"
    basis = [f"涉及宗地 {'、'.join(codes)}，空闲部分连片面积 {m2_to_mu2(block.area_m2)} 亩（扣除建筑物占地）",
             "依据：行动方案（R7）原则上连片 5 亩以上的供而未建企业用地"]
    if len(block.township_shares) > 1:
        shares = "，".join(f"{k} {m2_to_mu2(v)} 亩" for k, v in sorted(block.township_shares.items()))
        basis.append(f"跨乡镇（街道）：{shares}，归面积最大者")
    return InventoryEntry(
        inventory_list=lst, township_id=block.township_id, kind=EntryKind.BLOCK, source=EntrySource.PROPOSED,
        block_id=block.block_id, label=label[:300], holders="、".join(block.holders)[:500], area_m2=block.area_m2,
        basis=basis, geometry=None)  # the outline is copied in SQL after the insert (see lists_propose)


@transaction.atomic
def lists_propose(*, run: ScreeningRun, user: Any, campaign: Campaign | None = None) -> list[InventoryList]:
    """Create or refresh the district list and every township's list from a saved run. Lists already
    submitted or accepted are left alone; in a draft or returned list the township's own additions and
    exclusions are kept."""
    require(user, Perm.REVIEW_LISTS)
    campaign = campaign or run.campaign or _current_campaign()
    if campaign is None:
        raise ValidationError("没有当前行动，无法生成清单：请先在“行动设置”中设定当前行动")
    from pandi.accounts.models import OrgUnit

    touched: list[InventoryList] = []
    townships = list(OrgUnit.objects.filter(kind="township").defer("boundary_geojson").order_by("sort_order", "code"))
    by_id = {t.pk: t for t in townships}
    specs: list[tuple[str, Any]] = [(ListKind.DISTRICT, None)] + [(ListKind.TOWNSHIP, t) for t in townships]
    through = InventoryEntry.parcels.through
    block_parcels: dict[str, list[int]] = {}
    for block_id, parcel_id in (VacantBlock.parcels.through.objects.filter(vacantblock__run=run)
                                .values_list("vacantblock__block_id", "parcel_id")):
        block_parcels.setdefault(block_id, []).append(parcel_id)
    for kind, township in specs:
        lst, _created = InventoryList.objects.get_or_create(
            campaign=campaign, kind=kind, township=township,
            defaults={"deadline": campaign.survey_deadline, "run": run})
        if not lst.editable:
            continue
        before = snapshot(lst)
        lst.run = run
        lst.save(update_fields=["run", "updated_at"])
        record_change(obj=lst, user=user, before=before, comment=f"由筛查 #{run.pk} 生成初筛清单")
        if kind == ListKind.DISTRICT:
            results = (ScreeningResult.objects.filter(run=run, in_district_list=True)
                       .select_related("parcel").defer("parcel__geometry"))
            proposed = {r.parcel_id: _entry_from_result(r, lst) for r in results}
            existing = {e.parcel_id: e for e in lst.entries.filter(source=EntrySource.PROPOSED)}
        else:
            proposed = {b.block_id: _entry_from_block(b, lst) for b in
                        VacantBlock.objects.filter(run=run, township=township, listed=True).defer("geometry")}
            existing = {e.block_id: e for e in lst.entries.filter(source=EntrySource.PROPOSED)}
        for e in [*proposed.values(), *existing.values()]:
            e.township = by_id.get(e.township_id)  # the audit's display values without a query per entry
            e.inventory_list = lst
        gone = [e for k, e in existing.items() if k not in proposed and not e.number]
        for e in gone:
            record_change(obj=e, user=user, before=snapshot(e), action="delete", comment="新的筛查不再包含此条目")
            e.delete()
        # entries still proposed and not yet numbered take the new run's facts
        kept = [(existing[k], p) for k, p in proposed.items() if k in existing and not existing[k].number]
        befores = [snapshot(e) for e, _p in kept]
        fields = REFRESHED_FIELDS if kind == ListKind.DISTRICT else [f for f in REFRESHED_FIELDS if f != "geometry"]
        for e, p in kept:
            for f in fields:
                setattr(e, f, getattr(p, f))
        InventoryEntry.objects.bulk_update([e for e, _p in kept], fields, batch_size=1000)
        record_changes_bulk(objs=[e for e, _p in kept], user=user, befores=befores, comment=f"筛查 #{run.pk} 更新")
        new = [e for k, e in proposed.items() if k not in existing]
        InventoryEntry.objects.bulk_create(new, batch_size=1000)
        _insert_links(through, "inventoryentry", [
            (e.pk, pid) for e in new
            for pid in (block_parcels.get(e.block_id, []) if kind == ListKind.TOWNSHIP else [e.parcel_id])])
        record_changes_bulk(objs=new, user=user, befores=[None] * len(new), comment=f"筛查 #{run.pk} 初筛")
        if kind == ListKind.TOWNSHIP:
            # block outlines: copied from the run's blocks in one statement (no JSON round trip in Python)
            outline = VacantBlock.objects.filter(run=run, block_id=OuterRef("block_id")).values("geometry")[:1]
            (InventoryEntry.objects.filter(inventory_list=lst, source=EntrySource.PROPOSED, number="")
             .exclude(block_id="").update(geometry=Subquery(outline)))
        touched.append(lst)
    return touched


def _insert_links(through: Any, owner: str, pairs: list[tuple[int, int]], batch: int = 10000) -> None:
    """Many-to-many links (owner id, parcel id) with a raw batched INSERT: no model instance per link."""
    if not pairs:
        return
    quote = connection.ops.quote_name
    owner_col = through._meta.get_field(owner).column
    parcel_col = through._meta.get_field("parcel").column
    sql = (f"INSERT INTO {quote(through._meta.db_table)} ({quote(owner_col)}, {quote(parcel_col)}) "
           "VALUES (%s, %s)")
    unique = list(dict.fromkeys(pairs))
    with connection.cursor() as cur:
        for i in range(0, len(unique), batch):
            cur.executemany(sql, unique[i:i + batch])


REFRESHED_FIELDS = ["label", "holders", "area_m2", "status", "deemed_start", "days_past_start", "idle_fee_due",
                    "free_recovery_due", "basis", "geometry"]


def _check_list_edit(user: Any, lst: InventoryList) -> None:
    if has_perm(user, Perm.REVIEW_LISTS):
        pass
    elif has_perm(user, Perm.SUBMIT_LIST) and lst.kind == ListKind.TOWNSHIP:
        require_township(user, lst.township_id)
    else:
        raise PermissionDenied("您没有修改此清单的权限")
    if not lst.editable:
        raise ValidationError(f"清单状态为“{lst.get_status_display()}”，不能修改")


@transaction.atomic
def entry_exclude(*, user: Any, entry: InventoryEntry, reason: str, note: str = "") -> InventoryEntry:
    _check_list_edit(user, entry.inventory_list)
    if reason not in ExclusionReason.values:
        raise ValidationError("请选择剔除原因")
    if reason == ExclusionReason.OTHER and not note.strip():
        raise ValidationError("剔除原因为“其他”时须填写说明")
    return model_update(obj=entry, user=user, data={"included": False, "exclusion_reason": reason,
                                                    "exclusion_note": note.strip()[:300]}, comment="剔除")


@transaction.atomic
def entry_include(*, user: Any, entry: InventoryEntry) -> InventoryEntry:
    _check_list_edit(user, entry.inventory_list)
    return model_update(obj=entry, user=user, data={"included": True, "exclusion_reason": "", "exclusion_note": ""},
                        comment="恢复列入")


@transaction.atomic
def entry_set_remarks(*, user: Any, entry: InventoryEntry, remarks: str) -> InventoryEntry:
    _check_list_edit(user, entry.inventory_list)
    return model_update(obj=entry, user=user, data={"remarks": remarks.strip()[:300]})


@transaction.atomic
def entry_add_parcel(*, user: Any, inventory_list: InventoryList, parcel: Any, reason: str) -> InventoryEntry:
    """A parcel the data missed. It must lie in the list's township (a township list) and not be listed yet."""
    _check_list_edit(user, inventory_list)
    if not reason.strip():
        raise ValidationError("请填写补充理由")
    if inventory_list.kind == ListKind.TOWNSHIP and parcel.township_id != inventory_list.township_id:
        raise ValidationError(f"宗地 {parcel.key} 不在{inventory_list.township.name}，不能列入本清单")
    if inventory_list.entries.filter(parcel=parcel).exists() or inventory_list.entries.filter(
            parcels=parcel, kind=EntryKind.BLOCK).exists():
        raise ValidationError(f"宗地 {parcel.key} 已在本清单中")
    res = None
    if inventory_list.run_id:
        res = ScreeningResult.objects.filter(run_id=inventory_list.run_id, parcel=parcel).first()
    entry = InventoryEntry(
        inventory_list=inventory_list, township_id=parcel.township_id, kind=EntryKind.PARCEL,
        source=EntrySource.ADDED, parcel=parcel, label=parcel.key + (f" {parcel.name}" if parcel.name else ""),
        holders=parcel.holder_names, area_m2=parcel.area_m2 or Decimal(0), add_reason=reason.strip()[:300],
        status=res.status if res else "", deemed_start=res.deemed_start if res else None,
        days_past_start=res.days_past_start if res else None, idle_fee_due=bool(res and res.idle_fee_due),
        free_recovery_due=bool(res and res.free_recovery_due),
        basis=(res.basis if res else []) + [f"乡镇补充：{reason.strip()}"],
        geometry=parcel.geometry_simple or parcel.geometry)
    entry.full_clean()
    entry.save()
    entry.parcels.set([parcel])
    record_change(obj=entry, user=user, before=None, comment="补充宗地")
    return entry


@transaction.atomic
def entry_add_block(*, user: Any, inventory_list: InventoryList, geometry: dict[str, Any], label: str,
                    reason: str, holders: str = "") -> InventoryEntry:
    """A block drawn on the map (or uploaded): checked, measured on the ground, located in the township."""
    from pandi.domain.geometry import boundary_problems, extract_geometry
    from pandi.land.services import _locate_township

    _check_list_edit(user, inventory_list)
    try:
        geometry = extract_geometry(geometry)
    except ValueError as e:
        raise ValidationError(f"地块范围：{e}") from None
    if not reason.strip():
        raise ValidationError("请填写补充理由")
    if not label.strip():
        raise ValidationError("请填写地块名称或位置")
    problems = boundary_problems(geometry)
    if problems:
        raise ValidationError("；".join(problems))
    township = _locate_township(geometry)
    if inventory_list.kind == ListKind.TOWNSHIP and (township is None or township.pk != inventory_list.township_id):
        raise ValidationError(f"所画地块不在{inventory_list.township.name}范围内")
    area = ground_area_m2(geometry)
    entry = InventoryEntry(
        inventory_list=inventory_list, township_id=township.pk if township else None, kind=EntryKind.BLOCK,
        source=EntrySource.ADDED, label=label.strip()[:300], holders=holders.strip()[:500], area_m2=area,
        add_reason=reason.strip()[:300], basis=[f"乡镇补充（图上勾绘）：{reason.strip()}"], geometry=geometry)
    entry.full_clean()
    entry.save()
    record_change(obj=entry, user=user, before=None, comment="补充地块（勾绘）")
    return entry


@transaction.atomic
def list_submit(*, user: Any, inventory_list: InventoryList, note: str = "", at: Any = None) -> InventoryList:
    """A township submits its reviewed list. `at` (the demo's dated scenario only) defaults to now."""
    require(user, Perm.SUBMIT_LIST) if not has_perm(user, Perm.REVIEW_LISTS) else None
    if inventory_list.kind != ListKind.TOWNSHIP:
        raise ValidationError("区级清单无需报送，由区经商局直接确认")
    require_township(user, inventory_list.township_id)
    try:
        status = next_status(inventory_list.status, "submit")
    except TransitionError as e:
        raise ValidationError(str(e)) from None
    return model_update(obj=inventory_list, user=user, comment="报送", data={
        "status": status, "submitted_at": at or timezone.now(), "submitted_by": user, "note": note.strip()})


def _number_entries(lst: InventoryList, user: Any) -> None:
    year = lst.campaign.start.year
    code = lst.township.code if lst.township_id else ""
    numbered = lst.entries.exclude(number="")
    seq = numbered.count()
    todo = list(lst.entries.filter(number="", included=True).order_by("-area_m2", "label", "id"))
    befores = [snapshot(e) for e in todo]
    for e in todo:
        seq += 1
        e.number = entry_number(year=year, district_list=lst.kind == ListKind.DISTRICT, township_code=code, seq=seq)
    InventoryEntry.objects.bulk_update(todo, ["number"])
    record_changes_bulk(objs=todo, user=user, befores=befores, comment="确认清单，编号")


@transaction.atomic
def list_review(*, user: Any, inventory_list: InventoryList, accept: bool, comment: str = "",
                at: Any = None) -> InventoryList:
    """区经商局 accepts a submitted township list (or adopts the district list), or returns it with comments."""
    require(user, Perm.REVIEW_LISTS)
    action = ("adopt" if inventory_list.kind == ListKind.DISTRICT else "accept") if accept else "return"
    if not accept and not comment.strip():
        raise ValidationError("退回时请填写审核意见")
    try:
        status = next_status(inventory_list.status, action)
    except TransitionError as e:
        raise ValidationError(str(e)) from None
    data: dict[str, Any] = {"status": status, "reviewed_at": at or timezone.now(), "reviewed_by": user,
                            "review_comment": comment.strip()}
    lst = model_update(obj=inventory_list, user=user, data=data, comment="确认" if accept else "退回")
    if status == ListStatus.ACCEPTED:
        _number_entries(lst, user)
    return lst


# --- the annual work plan (R8) -------------------------------------------------------------------------

@transaction.atomic
def workplan_assign(*, user: Any, entry: InventoryEntry, year: int, route: str, responsible_township: Any = None,
                    responsible_department: Any = None, note: str = "") -> WorkPlanItem:
    require(user, Perm.EDIT_WORK_PLAN)
    if not entry.number or not entry.included:
        raise ValidationError("只有已确认清单中的条目才能列入年度工作方案")
    if route not in Route.values:
        raise ValidationError(f"处置路径“{route}”无效")
    start = entry.inventory_list.campaign.start.year
    if not (start <= int(year) <= start + 5):
        raise ValidationError(f"处置年度 {year} 超出行动期（{start}–{start + 5}）")
    if responsible_township is not None and responsible_township.kind != "township":
        raise ValidationError("责任乡镇须为乡镇（街道）")
    if responsible_department is not None and responsible_department.kind not in ("department", "state_company",
                                                                                   "court"):
        raise ValidationError("责任部门须为区级部门、国资公司或法院")
    data = {"year": int(year), "route": route, "responsible_township": responsible_township or entry.township,
            "responsible_department": responsible_department, "note": note.strip()[:300], "township": entry.township}
    item = WorkPlanItem.objects.filter(entry=entry).first()
    if item is None:
        return model_create(model=WorkPlanItem, user=user, data={"entry": entry, **data})
    return model_update(obj=item, user=user, data=data)


@transaction.atomic
def workplan_target_set(*, user: Any, campaign: Campaign, township: Any, year: int, target_mu: Any,
                        target_m2: Any) -> WorkPlanTarget:
    require(user, Perm.EDIT_WORK_PLAN)
    data = {"target_mu": Decimal(str(target_mu or 0)), "target_m2": Decimal(str(target_m2 or 0))}
    if data["target_mu"] < 0 or data["target_m2"] < 0:
        raise ValidationError("目标不能为负数")
    item = WorkPlanTarget.objects.filter(campaign=campaign, township=township, year=year).first()
    if item is None:
        return model_create(model=WorkPlanTarget, user=user,
                            data={"campaign": campaign, "township": township, "year": int(year), **data})
    return model_update(obj=item, user=user, data=data)


def json_dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)

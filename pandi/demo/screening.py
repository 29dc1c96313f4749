"""The demo district's screening (R6–R8), told as it happened in spring 2021: 区经商局 screens as
of 30 April, the townships review and submit their lists (one late, one returned for rework, one not
submitted at all), the district list is adopted, and the annual work plan assigns every entry a
year, a route and the units responsible.

Everything goes through the services, as the users would do it; the review dates of the scenario
(late April – May 2021) are passed to the services explicitly, the audit log keeps the real time of
writing. Re-running does nothing once the campaign has a screening run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.utils import timezone

from pandi.accounts.models import Membership, OrgUnit, User
from pandi.screening import services
from pandi.screening.models import InventoryEntry, InventoryList, ScreeningRun
from pandi.supervision.models import Campaign

AS_OF = date(2021, 4, 30)
LATE_NOT_SUBMITTED = "330703200"   # 源东乡: has not submitted (flagged 逾期)
RETURNED = "330703108"             # 赤松镇: submitted, returned for rework
SUBMITTED_LATE = "330703107"       # 塘雅镇: submitted after the deadline, accepted
EXCLUSIONS = [("under_construction", "企业已取得施工许可，正在进场施工"),
              ("planning", "地块位于规划调整范围，暂缓处置"),
              ("data_error", "经现场核实，该地块已建成投产，台账数据有误")]
ROUTE_UNITS = {"self": "JSJ", "acquisition": "GZGS", "lease": "GZGS", "judicial": "FY", "recovery": "ZGJ",
               "enforcement": "ZFJ"}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


def _route_for(entry: InventoryEntry, i: int) -> str:
    if entry.free_recovery_due:
        return "recovery"
    if entry.kind == "block":
        return ("acquisition", "self", "lease")[i % 3]
    if entry.idle_fee_due:
        return ("self", "judicial", "enforcement")[i % 3]
    return "self"


def seed_screening(*, progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    campaign = Campaign.objects.filter(is_current=True).first()
    if campaign is None or ScreeningRun.objects.filter(campaign=campaign).exists():
        return {"skipped": True}
    lead = User.objects.get(username="jsj")
    _outcome, run = services.run_execute(user=lead, as_of=AS_OF, values={}, save=True, campaign=campaign,
                                         note="2021 年度排摸（演示）", source="seed")
    progress(f"筛查 #{run.pk}：{run.counts['parcels']} 宗，区级清单 {run.counts['district_list']} 宗，"
             f"连片空闲地块 {run.counts['blocks']} 处")
    services.lists_propose(run=run, user=lead, campaign=campaign)
    orgs = {o.code: o for o in OrgUnit.objects.all()}
    officers = {m.org_unit_id: m.user for m in
                Membership.objects.filter(role="township_officer", is_active=True).select_related("user")}
    lists = InventoryList.objects.filter(campaign=campaign, kind="township").select_related("township")
    for n, lst in enumerate(lists.order_by("township__sort_order", "township__code")):
        officer = officers[lst.township_id]
        entries = list(lst.entries.order_by("area_m2", "id"))
        if len(entries) >= 3:  # the smallest proposed block turns out to be wrong
            reason, note = EXCLUSIONS[n % len(EXCLUSIONS)]
            services.entry_exclude(user=officer, entry=entries[0], reason=reason, note=note)
        code = lst.township.code
        if code == LATE_NOT_SUBMITTED:
            continue
        submitted = date(2021, 5, 6) if code == SUBMITTED_LATE else date(2021, 4, 20 + n % 9)
        services.list_submit(user=officer, inventory_list=lst, note="已逐宗现场核实", at=_at(submitted, 15))
        if code == RETURNED:
            services.list_review(user=lead, inventory_list=lst, accept=False, at=_at(date(2021, 5, 6)),
                                 comment="部分连片地块未扣除已建厂房，请补充建筑物调查后重新报送")
            continue
        services.list_review(user=lead, inventory_list=lst, accept=True, at=_at(date(2021, 5, 8)))
    district = InventoryList.objects.get(campaign=campaign, kind="district")
    largest = district.entries.order_by("-area_m2").first()
    if largest is not None and district.entries.count() > 5:
        services.entry_exclude(user=lead, entry=largest, reason="government",
                               note="因规划调整未能动工（第八条第（二）项），按第十二条协商处置，另行处理")
    services.list_review(user=lead, inventory_list=district, accept=True, at=_at(date(2021, 5, 10)))
    progress("清单：区级清单已确认；乡镇清单 8 个已确认、1 个退回、1 个逾期报送后确认、1 个逾期未报送")

    entries = list(InventoryEntry.objects.filter(inventory_list__campaign=campaign, inventory_list__status="accepted",
                                                 included=True).exclude(number="").order_by("number"))
    totals: dict[tuple[int, int], Decimal] = {}
    for i, e in enumerate(entries):
        route = _route_for(e, i)
        year = 2021 if i % 2 == 0 else 2022
        services.workplan_assign(user=lead, entry=e, year=year, route=route, responsible_township=e.township,
                                 responsible_department=orgs.get(ROUTE_UNITS[route]),
                                 note="" if route != "recovery" else "满两年未动工，报区政府批准后无偿收回")
        if e.township_id:
            key = (e.township_id, year)
            totals[key] = totals.get(key, Decimal(0)) + Decimal(e.area_m2) * 15 / 10000
    for (tid, year), mu in sorted(totals.items()):
        services.workplan_target_set(user=lead, campaign=campaign, township=orgs_by_id(orgs)[tid], year=year,
                                     target_mu=mu.quantize(Decimal("1"), rounding=ROUND_CEILING),
                                     target_m2=(mu * Decimal("400")).quantize(Decimal("1"), rounding=ROUND_CEILING))
    progress(f"年度工作方案：{len(entries)} 个清单条目已安排处置年度、路径和责任单位")
    return {"run": run.pk, "entries": len(entries)}


def orgs_by_id(orgs: dict[str, OrgUnit]) -> dict[int, OrgUnit]:
    return {o.pk: o for o in orgs.values()}

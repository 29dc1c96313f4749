"""The 53号令 idle status of a parcel on a date (screening.md §2–3; rules.md §1.1, §1.5, §1.7).

Pure rules: facts in, one status with the facts and articles that decided it out. The screening
module (next issue) loads the facts from the registry, runs this for every parcel and builds the
lists; here only the law.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .dates import add_years

IDLE_FEE_RATE = Decimal("0.20")  # Art. 14(一): 20 % of the grant or allocation price


class IdleStatus(StrEnum):
    WITHIN_PERIOD = "within_period"
    OVERDUE_NOT_STARTED = "overdue_not_started"
    IDLE_NOT_STARTED = "idle_not_started"
    STALLED_CANDIDATE = "stalled_candidate"
    UNDER_CONSTRUCTION = "under_construction"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


IDLE_STATUS_LABELS = {
    IdleStatus.WITHIN_PERIOD: "未到约定动工日期",
    IdleStatus.OVERDUE_NOT_STARTED: "超过约定动工日期未动工（未满一年）",
    IdleStatus.IDLE_NOT_STARTED: "超过约定动工日期满一年未动工（闲置）",
    IdleStatus.STALLED_CANDIDATE: "已动工但开发不足且中止满一年（可认定闲置，待核定）",
    IdleStatus.UNDER_CONSTRUCTION: "在建",
    IdleStatus.COMPLETED: "已竣工",
    IdleStatus.UNKNOWN: "日期不详，无法判断",
}


class Cause(StrEnum):
    HOLDER = "holder"
    GOVERNMENT = "government"
    FORCE_MAJEURE = "force_majeure"


@dataclass(frozen=True)
class ParcelFacts:
    agreed_start: date | None = None
    agreed_handover: date | None = None
    actual_handover: date | None = None
    contract_date: date | None = None
    actual_start: date | None = None
    actual_completion: date | None = None
    area_m2: Decimal | None = None
    required_dev_area_m2: Decimal | None = None  # defaults to the parcel area
    developed_area_m2: Decimal | None = None
    invested_wan: Decimal | None = None
    total_investment_wan: Decimal | None = None
    suspended_since: date | None = None
    cause: Cause = Cause.HOLDER
    contract_price_wan: Decimal | None = None


@dataclass(frozen=True)
class StatusResult:
    status: IdleStatus
    deemed_start: date | None
    days_past_start: int | None
    idle_fee_due: bool
    idle_fee_wan: Decimal | None
    free_recovery_due: bool
    unbuilt: bool
    cause: Cause
    basis: list[str] = field(default_factory=list)


def deemed_start(f: ParcelFacts) -> tuple[date | None, str]:
    """D: the agreed start; else handover (actual, else agreed) + 1 year (Art. 22). With its reason."""
    if f.agreed_start:
        return f.agreed_start, f"约定动工开发日期 {f.agreed_start:%Y-%m-%d}"
    handover = f.actual_handover or f.agreed_handover
    if handover:
        which = "实际交地" if f.actual_handover else "约定交地"
        return add_years(handover, 1), (f"未约定动工开发日期，按{which}日期 {handover:%Y-%m-%d} 起满一年"
                                        f"（第二十二条）即 {add_years(handover, 1):%Y-%m-%d} 计")
    return None, "约定动工日期、约定交地日期和实际交地日期均不详"


def _ratio(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or whole is None or whole <= 0:
        return None
    return Decimal(part) / Decimal(whole)


def parcel_status(f: ParcelFacts, as_of: date) -> StatusResult:
    """Exactly one status per parcel on `as_of` (T), in the order of screening.md §3."""
    T = as_of
    D, d_reason = deemed_start(f)
    supplied = bool((f.contract_date and f.contract_date <= T) or (f.actual_handover and f.actual_handover <= T))
    started = bool(f.actual_start and f.actual_start <= T)
    basis: list[str] = []

    def result(status: IdleStatus, **kw) -> StatusResult:
        return StatusResult(status=status, deemed_start=D, cause=f.cause, basis=basis,
                            unbuilt=supplied and not started, **{
                                "days_past_start": None, "idle_fee_due": False, "idle_fee_wan": None,
                                "free_recovery_due": False, **kw})

    if f.actual_completion and f.actual_completion <= T:
        basis.append(f"实际竣工日期 {f.actual_completion:%Y-%m-%d}，不晚于判断日 {T:%Y-%m-%d}")
        return result(IdleStatus.COMPLETED)
    if started:
        basis.append(f"实际动工日期 {f.actual_start:%Y-%m-%d}（第三十条：取得施工许可且达到动工标准）")
        area = _ratio(f.developed_area_m2, f.required_dev_area_m2 or f.area_m2)
        money = _ratio(f.invested_wan, f.total_investment_wan)
        low_area = area is not None and area < Decimal(1) / Decimal(3)
        low_money = money is not None and money < Decimal("0.25")
        suspended_year = bool(f.suspended_since and f.suspended_since <= add_years(T, -1))
        if (low_area or low_money) and suspended_year:
            if low_area:
                basis.append(f"已动工开发面积占应动工开发面积 {area:.1%}，不足三分之一")
            if low_money:
                basis.append(f"已投资额占总投资额 {money:.1%}，不足百分之二十五")
            basis.append(f"自 {f.suspended_since:%Y-%m-%d} 中止开发建设已满一年")
            basis.append("第二条第二款：可以认定为闲置土地，须经人工核定")
            return result(IdleStatus.STALLED_CANDIDATE)
        return result(IdleStatus.UNDER_CONSTRUCTION)
    basis.append(d_reason)
    if D is None:
        return result(IdleStatus.UNKNOWN)
    if T <= D:
        basis.append(f"判断日 {T:%Y-%m-%d} 未超过动工日期")
        return result(IdleStatus.WITHIN_PERIOD)
    days = (T - D).days
    one_year, two_years = add_years(D, 1), add_years(D, 2)
    holder = f.cause is Cause.HOLDER
    if f.cause is not Cause.HOLDER:
        basis.append("闲置原因为" + ("政府原因（第八条）" if f.cause is Cause.GOVERNMENT else "不可抗力")
                     + "，不征收闲置费、不无偿收回，按第十二条协商处置")
    if one_year > T:
        basis.append(f"超过动工日期 {days} 天，未满一年（满一年之日为 {one_year:%Y-%m-%d}）")
        return result(IdleStatus.OVERDUE_NOT_STARTED, days_past_start=days)
    basis.append(f"超过动工日期满一年未动工（第二条第一款，满一年之日为 {one_year:%Y-%m-%d}）")
    fee = None
    if holder:
        basis.append("第十四条第（一）项：按土地出让或划拨价款的百分之二十征缴土地闲置费")
        if f.contract_price_wan is not None:
            fee = (Decimal(f.contract_price_wan) * IDLE_FEE_RATE).quantize(Decimal("0.0001"))
    free = holder and two_years <= T
    if free:
        basis.append(f"未动工满两年（{two_years:%Y-%m-%d} 起），第十四条第（二）项：可无偿收回国有建设用地使用权")
    return result(IdleStatus.IDLE_NOT_STARTED, days_past_start=days, idle_fee_due=holder, idle_fee_wan=fee,
                  free_recovery_due=free)

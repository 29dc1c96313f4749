"""Screening (screening.md §4–6): parameters, the district list, which parcels the township comb
looks at, and the JSON contract of `pandi screen`. Pure: the service loads the facts and geometry,
`idle.parcel_status` decides each parcel, `vacant.vacant_blocks` finds the blocks, this module
puts them together."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .idle import IdleStatus, ParcelFacts, StatusResult

M2_PER_MU = Decimal(10000) / Decimal(15)

# statuses listed by default (§4) and those whose vacant land the comb looks for (§5)
DISTRICT_LIST_STATUSES = frozenset({IdleStatus.OVERDUE_NOT_STARTED, IdleStatus.IDLE_NOT_STARTED})
VACANT_STATUSES = frozenset({IdleStatus.OVERDUE_NOT_STARTED, IdleStatus.IDLE_NOT_STARTED,
                             IdleStatus.STALLED_CANDIDATE, IdleStatus.COMPLETED})
NEEDS_SURVEY_STATUSES = frozenset({IdleStatus.STALLED_CANDIDATE, IdleStatus.COMPLETED})


class ParameterError(ValueError):
    """A screening parameter out of range; the message is in Chinese and names the parameter."""


def mu_threshold_m2(mu: Decimal | float | int) -> Decimal:
    """A threshold in 亩 as m² at the register's precision (0.01 m²): 20 亩 = 13,333.33 m², 5 亩 = 3,333.33 m².
    An area is "≥ N 亩" when its m², rounded to 0.01, is at least this."""
    return (Decimal(str(mu)) * M2_PER_MU).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def at_least_mu(area_m2: Decimal | float | None, mu: Decimal | float | int) -> bool:
    if area_m2 is None:
        return False
    return Decimal(str(area_m2)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) >= mu_threshold_m2(mu)


def m2_to_mu2(area_m2: Decimal | float | None) -> float | None:
    """m² → 亩 rounded to 0.01, for display and JSON."""
    if area_m2 is None:
        return None
    return float((Decimal(str(area_m2)) / M2_PER_MU).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ScreeningParams:
    district_min_mu: Decimal = Decimal(20)
    township_min_mu: Decimal = Decimal(5)
    contiguity_tolerance_m: float = 1.0
    include_stalled: bool = False
    min_width_m: float | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["district_min_mu"] = float(self.district_min_mu)
        d["township_min_mu"] = float(self.township_min_mu)
        return d

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> ScreeningParams:
        """Parse and check user input (strings or numbers); raise ParameterError in Chinese."""
        def num(key: str, label: str, lo: float, hi: float, default: Any, *, optional: bool = False) -> Any:
            raw = values.get(key, default)
            if raw in (None, ""):
                if optional:
                    return None
                raw = default
            try:
                value = Decimal(str(raw).strip())
            except (InvalidOperation, ValueError):
                raise ParameterError(f"参数“{label}”的值“{raw}”不是数字") from None
            if not value.is_finite() or not (Decimal(str(lo)) <= value <= Decimal(str(hi))):
                raise ParameterError(f"参数“{label}”的值“{raw}”超出范围（{lo}～{hi}）")
            return value

        stalled = values.get("include_stalled", False)
        if isinstance(stalled, str):
            stalled = stalled.strip().lower() in ("1", "true", "on", "yes", "是")
        width = num("min_width_m", "最小可建宽度（米）", 0, 200, None, optional=True)
        return cls(
            district_min_mu=num("district_min_mu", "区级清单面积门槛（亩）", 0, 10000, cls.district_min_mu),
            township_min_mu=num("township_min_mu", "乡镇连片面积门槛（亩）", 0, 10000, cls.township_min_mu),
            contiguity_tolerance_m=float(num("contiguity_tolerance_m", "连片容差（米）", 0, 50,
                                             cls.contiguity_tolerance_m)),
            include_stalled=bool(stalled),
            min_width_m=float(width) if width else None,
        )


@dataclass(frozen=True)
class ParcelInput:
    """What the screening needs of one parcel, loaded by the service."""

    pk: int
    code: str                       # 宗地编号 where known, else 电子监管号 (parcel_code)
    supervision_no: str | None
    township: str | None
    area_m2: Decimal | None
    facts: ParcelFacts
    industrial: bool = True
    holders: tuple[str, ...] = ()   # current enterprise holders (names)
    surveyed: bool = False          # marked surveyed or has footprints


def in_district_list(p: ParcelInput, r: StatusResult, params: ScreeningParams) -> bool:
    statuses = DISTRICT_LIST_STATUSES | ({IdleStatus.STALLED_CANDIDATE} if params.include_stalled else set())
    return r.status in statuses and at_least_mu(p.area_m2, params.district_min_mu)


def vacant_eligible(p: ParcelInput, r: StatusResult) -> bool:
    """§5: industrial parcels held by enterprises, in a state the comb looks at."""
    return p.industrial and bool(p.holders) and r.status in VACANT_STATUSES


def parcel_json(p: ParcelInput, r: StatusResult) -> dict[str, Any]:
    area = float(p.area_m2) if p.area_m2 is not None else None
    return {
        "parcel_code": p.code,
        "supervision_no": p.supervision_no or None,
        "township": p.township,
        "area_m2": area,
        "area_mu": m2_to_mu2(p.area_m2),
        "status": r.status.value,
        "unbuilt": r.unbuilt,
        "deemed_start": r.deemed_start.isoformat() if r.deemed_start else None,
        "days_past_start": r.days_past_start,
        "idle_fee_due": r.idle_fee_due,
        "idle_fee_wan": float(r.idle_fee_wan) if r.idle_fee_wan is not None else None,
        "free_recovery_due": r.free_recovery_due,
        "cause": r.cause.value,
        "basis": list(r.basis),
    }


@dataclass
class BlockOut:
    block_id: str
    township: str | None
    area_m2: float
    parcel_codes: list[str]
    holders: list[str]
    listed: bool
    township_shares: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"block_id": self.block_id, "township": self.township, "area_m2": round(self.area_m2, 2),
                "area_mu": m2_to_mu2(self.area_m2), "parcel_codes": self.parcel_codes, "holders": self.holders,
                "township_shares": {k: round(v, 2) for k, v in sorted(self.township_shares.items())}}


def screening_json(*, as_of: date, params: ScreeningParams, parcels: list[ParcelInput], results: list[StatusResult],
                   blocks: list[BlockOut], unknown_vacant: list[str], townships: list[str]) -> dict[str, Any]:
    """The §6 object. `townships` lists every township so each has a (possibly empty) list."""
    district = [p.code for p, r in zip(parcels, results, strict=True) if in_district_list(p, r, params)]
    lists: dict[str, list[str]] = {t: [] for t in townships}
    for b in blocks:
        if b.listed and b.township is not None:
            lists.setdefault(b.township, []).append(b.block_id)
    return {
        "as_of": as_of.isoformat(),
        "parameters": params.as_dict(),
        "parcels": [parcel_json(p, r) for p, r in zip(parcels, results, strict=True)],
        "district_list": district,
        "vacant_blocks": [b.as_json() for b in blocks if b.listed],
        "township_lists": lists,
        "vacant_unknown": sorted(unknown_vacant),
        "counts": status_counts(results),
    }


def status_counts(results: list[StatusResult]) -> dict[str, int]:
    counts = {s.value: 0 for s in IdleStatus}
    for r in results:
        counts[r.status.value] += 1
    return counts

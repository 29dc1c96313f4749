"""A parcel's construction state for the registry and the map (not the 53号令 idle status, which
the screening module decides with its own rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .dates import add_years


class ConstructionState(StrEnum):
    NO_SUPPLY = "no_supply"            # no supply contract recorded
    NOT_DUE = "not_due"                # supplied, agreed start still ahead
    OVERDUE = "overdue"                # supplied, agreed start passed, not started
    UNDER_CONSTRUCTION = "under_construction"
    COMPLETED = "completed"
    UNKNOWN = "unknown"                # supplied but no date to judge by


STATE_LABELS = {
    ConstructionState.NO_SUPPLY: "无供地记录",
    ConstructionState.NOT_DUE: "已供地·未到约定开工",
    ConstructionState.OVERDUE: "已供地·逾期未开工",
    ConstructionState.UNDER_CONSTRUCTION: "在建",
    ConstructionState.COMPLETED: "已竣工",
    ConstructionState.UNKNOWN: "已供地·日期不详",
}

STATE_COLOURS = {
    ConstructionState.NO_SUPPLY: "#9ca3af",
    ConstructionState.NOT_DUE: "#60a5fa",
    ConstructionState.OVERDUE: "#dc2626",
    ConstructionState.UNDER_CONSTRUCTION: "#f59e0b",
    ConstructionState.COMPLETED: "#16a34a",
    ConstructionState.UNKNOWN: "#a855f7",
}


@dataclass(frozen=True)
class SupplyFacts:
    has_contract: bool
    agreed_start: date | None = None
    agreed_handover: date | None = None
    actual_handover: date | None = None
    actual_start: date | None = None
    actual_completion: date | None = None


def deemed_start(f: SupplyFacts) -> date | None:
    """The agreed start, else handover + 1 year (53号令 Art. 22)."""
    if f.agreed_start:
        return f.agreed_start
    handover = f.actual_handover or f.agreed_handover
    return add_years(handover, 1) if handover else None


def construction_state(f: SupplyFacts, as_of: date) -> ConstructionState:
    if f.actual_completion and f.actual_completion <= as_of:
        return ConstructionState.COMPLETED
    if f.actual_start and f.actual_start <= as_of:
        return ConstructionState.UNDER_CONSTRUCTION
    if not f.has_contract:
        return ConstructionState.NO_SUPPLY
    start = deemed_start(f)
    if start is None:
        return ConstructionState.UNKNOWN
    return ConstructionState.OVERDUE if as_of > start else ConstructionState.NOT_DUE

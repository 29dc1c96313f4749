"""The review of the lists (R6, R7): allowed transitions, lateness, and the stable 清单编号.

A township list moves draft → submitted → accepted, or submitted → returned → submitted again.
The district list is adopted by the district lead directly (draft → accepted). An accepted list is
final: its entries carry their 清单编号 for the rest of the campaign.
"""

from __future__ import annotations

from datetime import date, datetime

DRAFT, SUBMITTED, RETURNED, ACCEPTED = "draft", "submitted", "returned", "accepted"

TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, "submit"): SUBMITTED,
    (RETURNED, "submit"): SUBMITTED,
    (SUBMITTED, "return"): RETURNED,
    (SUBMITTED, "accept"): ACCEPTED,
    (DRAFT, "adopt"): ACCEPTED,      # the district list
    (RETURNED, "adopt"): ACCEPTED,
}

ACTION_LABELS = {"submit": "报送", "return": "退回", "accept": "确认", "adopt": "确认采用"}
STATUS_LABELS = {DRAFT: "待核实", SUBMITTED: "已报送", RETURNED: "已退回", ACCEPTED: "已确认"}


class TransitionError(ValueError):
    """An action not allowed in the list's current status (message in Chinese)."""


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        label = STATUS_LABELS.get(status, status)
        raise TransitionError(f"清单当前状态为“{label}”，不能{ACTION_LABELS.get(action, action)}") from None


def is_late(*, status: str, deadline: date | None, today: date, submitted_at: datetime | date | None) -> bool:
    """Late: not submitted (or accepted) by the end of the deadline day, or submitted after it.
    A list returned for changes counts from its latest submission."""
    if deadline is None:
        return False
    if status in (SUBMITTED, ACCEPTED) and submitted_at is not None:
        day = submitted_at.date() if isinstance(submitted_at, datetime) else submitted_at
        return day > deadline
    if status == ACCEPTED:
        return False
    return today > deadline


def entry_number(*, year: int, district_list: bool, township_code: str, seq: int) -> str:
    """清单编号: `2021-QJ-007` for the district list, `2021-<乡镇代码后三位>-012` for a township's blocks."""
    middle = "QJ" if district_list else (township_code[-3:] if township_code else "XZ")
    return f"{year}-{middle}-{seq:03d}"

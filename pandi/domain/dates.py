"""Calendar arithmetic used by the legal rules and campaign deadlines."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(d: date, months: int) -> date:
    """Same day of the month `months` later; clamps to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def add_years(d: date, years: int) -> date:
    """Same month and day `years` later; 29 February becomes 28 February in a common year."""
    return add_months(d, 12 * years)

"""Login lock-out: after N failed attempts within a window, refuse logins until the window passes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def locked_until(
    failures: Iterable[datetime], *, now: datetime, max_failures: int, window: timedelta
) -> datetime | None:
    """When the lock ends, or None if not locked.

    `failures` are the times of failed attempts (any order). The account is locked when at least
    `max_failures` of them fall within `window` before `now`; it unlocks `window` after the most
    recent of those failures.
    """
    recent = sorted(t for t in failures if now - window < t <= now)
    if len(recent) < max_failures:
        return None
    return recent[-1] + window

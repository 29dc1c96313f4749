"""The number of open items in the signed-in user's action queue: the navigation badge (the "待办事项"
NavItem names `queue_badge`) and `{{ queue_count }}` on any page. Counted lazily — only when a page
that draws it is rendered, not for HTMX partials — and at most once per request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def acts_on_plans(user: Any) -> bool:
    """Only those who act on plans have a queue: 区经商局 and admin, township officers, enterprises.
    Other district-wide roles (courts, departments, leadership…) see plans but have nothing to do."""
    from pandi.core.scope import access_for
    from pandi.domain.access import Role

    return bool(access_for(user).roles & {Role.ADMIN, Role.DISTRICT_LEAD, Role.TOWNSHIP, Role.ENTERPRISE})


def queue_badge(user: Any) -> int | None:
    """The user's open queue items (None when there are none, so no badge is drawn); cached on the user
    object for the request, like the user's access."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_pandi_queue_count", None)
    if cached is None:
        from .selectors import queue_count

        cached = user._pandi_queue_count = queue_count(user) if acts_on_plans(user) else 0
    return cached or None


def queue(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"queue_count": lambda: queue_badge(user) or 0}  # templates call it only when they use it

"""Permission checks for services and views: a refused action raises PermissionDenied (403)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from pandi.domain.access import Perm

from .scope import access_for


def has_perm(user: Any, perm: Perm) -> bool:
    return access_for(user).can(perm)


def require(user: Any, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied("您没有执行此操作的权限")

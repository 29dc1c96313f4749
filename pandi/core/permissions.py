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


def require_township(user: Any, township_id: int | None) -> None:
    """A user whose scope is not the whole district may only write records of their own townships."""
    scope = access_for(user).scope
    if not scope.district and not scope.covers_township(township_id):
        raise PermissionDenied("只能处理本乡镇（街道）的数据")

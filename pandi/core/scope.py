"""The one scoping mechanism: `Model.objects.visible_to(user)`.

Every page, list, export, map-data endpoint, API endpoint and report reads through it. A model
says how it relates to townships and enterprises with two class attributes:

    scope_township_path   -- lookup to the township OrgUnit id (e.g. "township", "parcel__township")
    scope_enterprise_path -- lookup to the enterprise id (e.g. "enterprise", "holdings__enterprise")
    scope_public          -- True for reference data every signed-in user may read
    scope_enterprise_extra -- more conditions on the same join as the enterprise lookup
                             (e.g. {"holdings__is_current": True})
    scope_multivalued     -- True when a scope lookup crosses a to-many relation (rows would repeat);
                             "enterprise" when only the enterprise lookup does

A user whose memberships give district scope sees everything; a township officer sees rows whose
township is theirs; an enterprise user sees rows of their enterprise; anyone else sees nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.http import Http404

from pandi.domain.access import NO_SCOPE, MembershipFacts, OrgKind, Perm, Role, Scope, perms_of, scope_of


class Access:
    """A user's scope and permissions, computed once per request and cached on the user."""

    def __init__(self, scope: Scope, perms: frozenset[Perm], roles: frozenset[Role]):
        self.scope = scope
        self.perms = perms
        self.roles = roles

    def can(self, perm: Perm) -> bool:
        return perm in self.perms


ANONYMOUS_ACCESS = Access(NO_SCOPE, frozenset(), frozenset())


def access_for(user: Any) -> Access:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS_ACCESS
    cached = getattr(user, "_pandi_access", None)
    if cached is not None:
        return cached
    facts = [
        MembershipFacts(
            role=Role(m.role),
            org_kind=OrgKind(m.org_unit.kind) if m.org_unit_id else None,
            org_id=m.org_unit_id,
            enterprise_id=m.enterprise_id,
        )
        for m in user.memberships.filter(is_active=True).select_related("org_unit")
    ]
    access = Access(
        scope_of(facts, superuser=user.is_superuser),
        perms_of(facts, superuser=user.is_superuser),
        frozenset(f.role for f in facts),
    )
    user._pandi_access = access
    return access


def forget_access(user: Any) -> None:
    if hasattr(user, "_pandi_access"):
        del user._pandi_access


def scope_q(model: type[models.Model], scope: Scope) -> Q | None:
    """The filter for `scope` on `model`; None means no filter (everything visible)."""
    if scope.district or getattr(model, "scope_public", False):
        return None
    q = Q(pk__in=[])
    township_path = getattr(model, "scope_township_path", None)
    enterprise_path = getattr(model, "scope_enterprise_path", None)
    if township_path and scope.township_ids:
        q |= Q(**{f"{township_path}__in": sorted(scope.township_ids)})
    if enterprise_path and scope.enterprise_ids:
        # e.g. only current holdings: a former holder no longer sees the parcel
        extra = getattr(model, "scope_enterprise_extra", {})
        q |= Q(**{f"{enterprise_path}__in": sorted(scope.enterprise_ids)}, **extra)
    return q


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ScopedQuerySet:
        access = access_for(user)
        if access is ANONYMOUS_ACCESS:
            return self.none()
        if hasattr(self.model, "scope_filter"):
            q = self.model.scope_filter(access.scope, user)
        else:
            q = scope_q(self.model, access.scope)
        if q is None:
            return self.all()
        qs = self.filter(q)
        multivalued = getattr(self.model, "scope_multivalued", False)
        if multivalued is True or (multivalued == "enterprise" and access.scope.enterprise_ids):
            qs = qs.distinct()
        return qs


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_visible_or_404(queryset: ScopedQuerySet, user: Any, **lookup: Any) -> Any:
    """The object if `user` can see it; Http404 otherwise — the same answer as for a missing one."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录或无权查看") from exc

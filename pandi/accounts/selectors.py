from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from pandi.domain.access import OrgKind

from .models import Membership, OrgUnit, User


def org_list(*, user: Any, kind: str | None = None, q: str | None = None) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.visible_to(user).annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(short_name__icontains=q))
    return qs.order_by("sort_order", "code")


def township_list(*, user: Any) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.visible_to(user).filter(kind=OrgKind.TOWNSHIP, is_active=True).order_by("code")


def org_members(*, user: Any, org: OrgUnit) -> QuerySet[Membership]:
    visible_users = User.objects.visible_to(user).values("pk")
    return (Membership.objects.filter(org_unit=org, is_active=True, user__in=visible_users)
            .select_related("user").order_by("role", "user__username"))


def user_list(*, user: Any, q: str | None = None, role: str | None = None, org: str | None = None,
              active: str | None = None) -> QuerySet[User]:
    qs = User.objects.visible_to(user)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(phone__icontains=q))
    if role:
        qs = qs.filter(memberships__role=role, memberships__is_active=True)
    if org:
        qs = qs.filter(memberships__org_unit_id=org, memberships__is_active=True)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    active_memberships = Membership.objects.filter(is_active=True).select_related("org_unit", "enterprise")
    return qs.distinct().order_by("username").prefetch_related(
        Prefetch("memberships", queryset=active_memberships, to_attr="active_memberships")
    )


def user_memberships(*, account: User) -> QuerySet[Membership]:
    return account.memberships.select_related("org_unit", "enterprise").order_by("-is_active", "id")

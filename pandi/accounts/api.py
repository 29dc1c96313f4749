from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from pandi.core.scope import access_for, get_visible_or_404
from pandi.domain.access import ROLE_LABELS, Role

from .models import OrgUnit
from .selectors import org_list

router = Router(tags=["组织与用户"])


class MembershipOut(Schema):
    role: str
    role_label: str
    org_unit_id: int | None
    org_unit: str | None
    enterprise_id: int | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    roles: list[str]
    district_scope: bool
    township_ids: list[int]
    enterprise_ids: list[int]
    permissions: list[str]
    memberships: list[MembershipOut]


class OrgOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    township_type: str
    area_km2: Decimal | None
    is_active: bool


class OrgDetailOut(OrgOut):
    contact_person: str
    contact_phone: str
    duties: str
    boundary: dict | None


def _org(o: OrgUnit) -> dict:
    return {"id": o.pk, "code": o.code, "name": o.name, "short_name": o.short_name, "kind": o.kind,
            "kind_label": o.get_kind_display(), "township_type": o.township_type, "area_km2": o.area_km2,
            "is_active": o.is_active}


@router.get("/me", response=MeOut, summary="当前用户、岗位与数据范围")
def me(request: HttpRequest):
    user = request.user
    access = access_for(user)
    memberships = user.memberships.filter(is_active=True).select_related("org_unit")
    return {
        "id": user.pk, "username": user.username, "full_name": user.full_name,
        "roles": sorted(access.roles), "district_scope": access.scope.district,
        "township_ids": sorted(access.scope.township_ids), "enterprise_ids": sorted(access.scope.enterprise_ids),
        "permissions": sorted(access.perms),
        "memberships": [
            {"role": m.role, "role_label": ROLE_LABELS[Role(m.role)], "org_unit_id": m.org_unit_id,
             "org_unit": m.org_unit.name if m.org_unit else None, "enterprise_id": m.enterprise_id}
            for m in memberships
        ],
    }


@router.get("/orgs", response=list[OrgOut], summary="机构列表（按数据范围）")
def orgs(request: HttpRequest, kind: str | None = None, q: str | None = None):
    return [_org(o) for o in org_list(user=request.user, kind=kind, q=q)]


@router.get("/orgs/{org_id}", response=OrgDetailOut, summary="机构详情（含边界 GeoJSON）")
def org_detail(request: HttpRequest, org_id: int):
    o = get_visible_or_404(OrgUnit.objects, request.user, pk=org_id)
    return {**_org(o), "contact_person": o.contact_person, "contact_phone": o.contact_phone, "duties": o.duties,
            "boundary": o.boundary_geojson}

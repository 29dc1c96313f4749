"""Roles, permissions and scope — who may see and do what.

Pure: memberships come in as plain facts, a `Scope` and a permission set come out. Django code
(`pandi.core.scope`) turns a user's memberships into these facts and filters querysets with the
result. Scope decides what a user *sees* (out of scope -> 404); permissions decide what a user
may *do* with what they see (not allowed -> 403).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DISTRICT_LEAD = "district_lead"
    NATURAL_RESOURCES = "natural_resources"
    DEPARTMENT = "department_officer"
    TOWNSHIP = "township_officer"
    STATE_COMPANY = "state_company_officer"
    COURT = "court_liaison"
    SUPERVISION = "supervision"
    LEADERSHIP = "leadership"
    ENTERPRISE = "enterprise_user"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.DISTRICT_LEAD: "区经商局（牵头部门）",
    Role.NATURAL_RESOURCES: "区资规分局",
    Role.DEPARTMENT: "部门经办人",
    Role.TOWNSHIP: "乡镇（街道）经办人",
    Role.STATE_COMPANY: "区属国资公司经办人",
    Role.COURT: "区法院联络员",
    Role.SUPERVISION: "区政府督查室",
    Role.LEADERSHIP: "领导小组（只读）",
    Role.ENTERPRISE: "企业用户",
}


class OrgKind(StrEnum):
    TOWNSHIP = "township"
    DEPARTMENT = "department"
    STATE_COMPANY = "state_company"
    COURT = "court"
    SUPERVISION = "supervision"
    LEADING_GROUP = "leading_group"


ORG_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.TOWNSHIP: "乡镇（街道）",
    OrgKind.DEPARTMENT: "区级部门",
    OrgKind.STATE_COMPANY: "区属国资公司",
    OrgKind.COURT: "法院",
    OrgKind.SUPERVISION: "督查机构",
    OrgKind.LEADING_GROUP: "领导小组及办公室",
}

# Which kinds of organisation a role may be held in. The enterprise role belongs to an
# enterprise, not to an organisation unit.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.ADMIN: frozenset(OrgKind),
    Role.DISTRICT_LEAD: frozenset({OrgKind.DEPARTMENT, OrgKind.LEADING_GROUP}),
    Role.NATURAL_RESOURCES: frozenset({OrgKind.DEPARTMENT}),
    Role.DEPARTMENT: frozenset({OrgKind.DEPARTMENT}),
    Role.TOWNSHIP: frozenset({OrgKind.TOWNSHIP}),
    Role.STATE_COMPANY: frozenset({OrgKind.STATE_COMPANY}),
    Role.COURT: frozenset({OrgKind.COURT}),
    Role.SUPERVISION: frozenset({OrgKind.SUPERVISION, OrgKind.LEADING_GROUP}),
    Role.LEADERSHIP: frozenset({OrgKind.LEADING_GROUP}),
    Role.ENTERPRISE: frozenset(),
}


class Perm(StrEnum):
    """Actions. Reading what is in scope needs no permission; these are the writes and admin views."""

    MANAGE_USERS = "manage_users"
    VIEW_USERS = "view_users"
    MANAGE_ORGS = "manage_orgs"
    EDIT_CAMPAIGN = "edit_campaign"
    VIEW_AUDIT_LOG = "view_audit_log"
    EDIT_LAND = "edit_land"
    IMPORT_LAND = "import_land"
    RUN_SCREENING = "run_screening"      # start and save screening runs (区经商局)
    REVIEW_LISTS = "review_lists"        # adopt the district list, return or accept township lists
    SUBMIT_LIST = "submit_list"          # review and submit one's own township list
    EDIT_WORK_PLAN = "edit_work_plan"    # the annual work plan (R8)


ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.DISTRICT_LEAD: frozenset({Perm.VIEW_USERS, Perm.EDIT_CAMPAIGN, Perm.VIEW_AUDIT_LOG, Perm.EDIT_LAND,
                                   Perm.RUN_SCREENING, Perm.REVIEW_LISTS, Perm.EDIT_WORK_PLAN}),
    Role.NATURAL_RESOURCES: frozenset({Perm.EDIT_LAND, Perm.IMPORT_LAND}),
    Role.DEPARTMENT: frozenset(),
    Role.TOWNSHIP: frozenset({Perm.EDIT_LAND, Perm.SUBMIT_LIST}),
    Role.STATE_COMPANY: frozenset(),
    Role.COURT: frozenset(),
    Role.SUPERVISION: frozenset({Perm.VIEW_AUDIT_LOG}),
    Role.LEADERSHIP: frozenset(),
    Role.ENTERPRISE: frozenset(),
}

# Roles whose scope is the whole district. Township officers see their township; enterprise
# users see their own enterprise's records.
DISTRICT_WIDE_ROLES: frozenset[Role] = frozenset(
    {
        Role.ADMIN,
        Role.DISTRICT_LEAD,
        Role.NATURAL_RESOURCES,
        Role.DEPARTMENT,
        Role.STATE_COMPANY,
        Role.COURT,
        Role.SUPERVISION,
        Role.LEADERSHIP,
    }
)


@dataclass(frozen=True)
class MembershipFacts:
    role: Role
    org_kind: OrgKind | None = None
    org_id: int | None = None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """What a user can see: the whole district, or some townships and/or enterprises."""

    district: bool = False
    township_ids: frozenset[int] = field(default_factory=frozenset)
    enterprise_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.district or self.township_ids or self.enterprise_ids)

    def covers_township(self, township_id: int | None) -> bool:
        return self.district or (township_id is not None and township_id in self.township_ids)

    def covers_enterprise(self, enterprise_id: int | None) -> bool:
        return self.district or (enterprise_id is not None and enterprise_id in self.enterprise_ids)


NO_SCOPE = Scope()
DISTRICT_SCOPE = Scope(district=True)


def scope_of(memberships: Iterable[MembershipFacts], *, superuser: bool = False) -> Scope:
    """The union of what each membership lets the user see."""
    if superuser:
        return DISTRICT_SCOPE
    townships: set[int] = set()
    enterprises: set[int] = set()
    for m in memberships:
        if m.role in DISTRICT_WIDE_ROLES:
            return DISTRICT_SCOPE
        if m.role is Role.TOWNSHIP and m.org_id is not None:
            townships.add(m.org_id)
        elif m.role is Role.ENTERPRISE and m.enterprise_id is not None:
            enterprises.add(m.enterprise_id)
    return Scope(township_ids=frozenset(townships), enterprise_ids=frozenset(enterprises))


def perms_of(memberships: Iterable[MembershipFacts], *, superuser: bool = False) -> frozenset[Perm]:
    if superuser:
        return frozenset(Perm)
    result: set[Perm] = set()
    for m in memberships:
        result |= ROLE_PERMS[m.role]
    return frozenset(result)


def membership_problems(role: Role, org_kind: OrgKind | None, has_enterprise: bool) -> list[str]:
    """Why a (role, organisation, enterprise) combination is not allowed — empty when it is."""
    problems: list[str] = []
    label = ROLE_LABELS[role]
    if role is Role.ENTERPRISE:
        if not has_enterprise:
            problems.append(f"角色“{label}”必须关联一家企业")
        if org_kind is not None:
            problems.append(f"角色“{label}”不属于任何机构，请不要选择机构")
        return problems
    if has_enterprise:
        problems.append(f"角色“{label}”不能关联企业")
    if org_kind is None:
        problems.append(f"角色“{label}”必须选择所属机构")
    elif org_kind not in ROLE_ORG_KINDS[role]:
        allowed = "、".join(ORG_KIND_LABELS[k] for k in OrgKind if k in ROLE_ORG_KINDS[role])
        problems.append(f"角色“{label}”只能设在：{allowed}（所选机构类型为“{ORG_KIND_LABELS[org_kind]}”）")
    return problems

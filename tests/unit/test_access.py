import pytest

from pandi.domain.access import (
    DISTRICT_WIDE_ROLES,
    ROLE_LABELS,
    ROLE_PERMS,
    MembershipFacts,
    OrgKind,
    Perm,
    Role,
    membership_problems,
    perms_of,
    scope_of,
)


def test_every_role_has_a_chinese_label_and_a_permission_set():
    assert set(ROLE_LABELS) == set(Role)
    assert set(ROLE_PERMS) == set(Role)
    assert all(any("\u4e00" <= c <= "\u9fff" for c in label) for label in ROLE_LABELS.values())


@pytest.mark.parametrize("role", sorted(DISTRICT_WIDE_ROLES))
def test_district_roles_see_the_whole_district(role):
    assert scope_of([MembershipFacts(role=role, org_kind=OrgKind.DEPARTMENT, org_id=1)]).district


def test_township_officer_sees_only_own_township():
    scope = scope_of([MembershipFacts(role=Role.TOWNSHIP, org_kind=OrgKind.TOWNSHIP, org_id=7)])
    assert not scope.district
    assert scope.township_ids == frozenset({7})
    assert scope.covers_township(7)
    assert not scope.covers_township(8)
    assert not scope.covers_township(None)


def test_officer_of_two_townships_sees_both():
    scope = scope_of([
        MembershipFacts(role=Role.TOWNSHIP, org_kind=OrgKind.TOWNSHIP, org_id=7),
        MembershipFacts(role=Role.TOWNSHIP, org_kind=OrgKind.TOWNSHIP, org_id=9),
    ])
    assert scope.township_ids == frozenset({7, 9})


def test_enterprise_user_sees_only_own_enterprise():
    scope = scope_of([MembershipFacts(role=Role.ENTERPRISE, enterprise_id=42)])
    assert scope.enterprise_ids == frozenset({42})
    assert scope.township_ids == frozenset()
    assert scope.covers_enterprise(42) and not scope.covers_enterprise(43)


def test_no_membership_means_no_scope_and_no_permissions():
    assert scope_of([]).is_empty
    assert perms_of([]) == frozenset()


def test_superuser_has_everything():
    assert scope_of([], superuser=True).district
    assert perms_of([], superuser=True) == frozenset(Perm)


def test_a_district_membership_widens_a_township_membership():
    scope = scope_of([
        MembershipFacts(role=Role.TOWNSHIP, org_kind=OrgKind.TOWNSHIP, org_id=7),
        MembershipFacts(role=Role.LEADERSHIP, org_kind=OrgKind.LEADING_GROUP, org_id=1),
    ])
    assert scope.district


def test_leadership_is_read_only():
    assert perms_of([MembershipFacts(role=Role.LEADERSHIP, org_kind=OrgKind.LEADING_GROUP)]) == frozenset()


def test_permissions_are_the_union_of_memberships():
    perms = perms_of([MembershipFacts(role=Role.SUPERVISION), MembershipFacts(role=Role.NATURAL_RESOURCES)])
    assert Perm.VIEW_AUDIT_LOG in perms and Perm.IMPORT_LAND in perms
    assert Perm.MANAGE_USERS not in perms


@pytest.mark.parametrize(
    ("role", "kind", "has_enterprise", "ok"),
    [
        (Role.TOWNSHIP, OrgKind.TOWNSHIP, False, True),
        (Role.TOWNSHIP, OrgKind.DEPARTMENT, False, False),
        (Role.TOWNSHIP, None, False, False),
        (Role.DISTRICT_LEAD, OrgKind.DEPARTMENT, False, True),
        (Role.STATE_COMPANY, OrgKind.STATE_COMPANY, False, True),
        (Role.STATE_COMPANY, OrgKind.TOWNSHIP, False, False),
        (Role.COURT, OrgKind.COURT, False, True),
        (Role.ENTERPRISE, None, True, True),
        (Role.ENTERPRISE, None, False, False),
        (Role.ENTERPRISE, OrgKind.TOWNSHIP, True, False),
        (Role.DEPARTMENT, OrgKind.DEPARTMENT, True, False),
        (Role.ADMIN, OrgKind.LEADING_GROUP, False, True),
    ],
)
def test_membership_combinations(role, kind, has_enterprise, ok):
    problems = membership_problems(role, kind, has_enterprise)
    assert (problems == []) is ok, problems
    for p in problems:
        assert ROLE_LABELS[role] in p

import pytest

from pandi.accounts.models import OrgUnit, User
from pandi.audit.models import AuditEntry
from pandi.land.models import Enterprise
from pandi.supervision.models import Campaign

pytestmark = pytest.mark.django_db


def test_township_officer_sees_own_township_and_district_units_only(world):
    visible = set(OrgUnit.objects.visible_to(world.users["town_a"]).values_list("code", flat=True))
    assert "330703001" in visible
    assert "330703002" not in visible
    assert {"JSJ", "ZGJ", "DCS"} <= visible


@pytest.mark.parametrize("username", ["admin", "lead", "nr", "dept", "soe", "court", "sup", "leader"])
def test_district_users_see_both_townships(world, username):
    codes = set(OrgUnit.objects.visible_to(world.users[username]).values_list("code", flat=True))
    assert {"330703001", "330703002"} <= codes


def test_enterprises_are_scoped_by_township_and_by_enterprise(world):
    assert list(Enterprise.objects.visible_to(world.users["town_a"])) == [world.enterprise_a]
    assert list(Enterprise.objects.visible_to(world.users["town_b"])) == [world.enterprise_b]
    assert list(Enterprise.objects.visible_to(world.users["ent_a"])) == [world.enterprise_a]
    assert Enterprise.objects.visible_to(world.users["lead"]).count() == 2


def test_users_are_scoped(world):
    seen_by_a = set(User.objects.visible_to(world.users["town_a"]).values_list("username", flat=True))
    assert seen_by_a == {"town_a"}
    assert set(User.objects.visible_to(world.users["ent_a"]).values_list("username", flat=True)) == {"ent_a"}
    assert User.objects.visible_to(world.users["lead"]).count() == len(world.users)


def test_audit_entries_are_scoped_by_township(world):
    refs = set(AuditEntry.objects.visible_to(world.users["town_a"]).values_list("township_ref", flat=True))
    assert refs == {world.township_a.pk}


def test_campaigns_are_public_reference_data(world):
    assert list(Campaign.objects.visible_to(world.users["ent_b"])) == [world.campaign]


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Campaign.objects.visible_to(AnonymousUser()).exists()
    assert not OrgUnit.objects.visible_to(AnonymousUser()).exists()


def test_inactive_user_sees_nothing(world):
    account = world.users["lead"]
    account.is_active = False
    assert not OrgUnit.objects.visible_to(account).exists()


def test_former_holder_no_longer_sees_the_parcel(world):
    from pandi.land import services as land
    from pandi.land.models import Holding, Parcel, SupplyContract

    assert Parcel.objects.visible_to(world.users["ent_a"]).count() == 1
    holding = Holding.objects.get(parcel=world.parcel_a, enterprise=world.enterprise_a)
    land.holding_end(user=world.users["lead"], holding=holding)
    assert not Parcel.objects.visible_to(world.users["ent_a"]).exists()
    assert not SupplyContract.objects.visible_to(world.users["ent_a"]).exists()
    assert Parcel.objects.visible_to(world.users["town_a"]).count() == 1

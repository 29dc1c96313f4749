from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pandi.accounts import services as acc
from pandi.accounts.models import Membership, OrgUnit, User
from pandi.audit.models import AuditAction, AuditEntry
from pandi.core.auditctx import audit_context
from pandi.domain.access import Role
from pandi.land import services as land
from pandi.supervision import services as sup
from pandi.supervision.models import Campaign

pytestmark = pytest.mark.django_db


def history(obj):
    return AuditEntry.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk)).order_by("id")


def test_campaign_update_records_who_when_before_and_after(world):
    lead = world.users["lead"]
    sup.campaign_update(user=lead, campaign=world.campaign, data={"target_reclaimed_mu": Decimal("2100")})
    entry = history(world.campaign).last()
    assert entry.action == AuditAction.UPDATE
    assert entry.actor == lead
    assert entry.before["target_reclaimed_mu"] == "2000.00"
    assert entry.after["target_reclaimed_mu"] == "2100.00"
    assert [c["field"] for c in entry.changes] == ["target_reclaimed_mu"]
    assert entry.changes[0]["label"] == "盘活闲置工业用地目标（亩）"


def test_update_that_changes_nothing_writes_no_audit_row(world):
    before = AuditEntry.objects.count()
    sup.campaign_update(user=world.users["lead"], campaign=world.campaign, data={"name": world.campaign.name})
    assert AuditEntry.objects.count() == before


def test_audit_source_follows_the_context(world):
    with audit_context("cli"):
        sup.campaign_update(user=world.users["admin"], campaign=world.campaign, data={"notes": "命令行修改"})
    assert history(world.campaign).last().source == "cli"


def test_township_officer_cannot_edit_campaign(world):
    with pytest.raises(PermissionDenied):
        sup.campaign_update(user=world.users["town_a"], campaign=world.campaign, data={"notes": "x"})
    assert Campaign.objects.get(pk=world.campaign.pk).notes == ""


def test_leadership_cannot_edit_anything(world):
    with pytest.raises(PermissionDenied):
        sup.campaign_update(user=world.users["leader"], campaign=world.campaign, data={"notes": "x"})
    with pytest.raises(PermissionDenied):
        acc.orgunit_update(user=world.users["leader"], org=world.township_a, data={"contact_person": "x"})


def test_invalid_campaign_is_refused_and_nothing_is_written(world):
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        sup.campaign_update(user=world.users["lead"], campaign=world.campaign,
                            data={"survey_deadline": date(2021, 3, 1)})
    assert "survey_deadline" in exc.value.message_dict
    assert Campaign.objects.get(pk=world.campaign.pk).survey_deadline == date(2021, 4, 30)
    assert AuditEntry.objects.count() == count


def test_only_one_current_campaign(world):
    other = sup.campaign_create(user=world.users["lead"], data={
        "name": "2022 行动", "code": "t-2022", "start": date(2022, 4, 1), "survey_deadline": date(2022, 4, 30),
        "work_plan_deadline": date(2022, 5, 31), "rectification_start_deadline": date(2022, 6, 30),
    }, make_current=True)
    assert list(Campaign.objects.filter(is_current=True)) == [other]
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=world.campaign.pk).update(is_current=True)


def test_orgunit_edit_is_audited_under_its_township(world):
    acc.orgunit_update(user=world.users["admin"], org=world.township_a, data={"contact_person": "张三"})
    entry = history(world.township_a).last()
    assert entry.township_ref == world.township_a.pk
    assert entry.changes[0]["new"] == "张三"


def test_large_boundary_is_summarised_not_copied(world):
    big = {"type": "Polygon", "coordinates": [[[119.7 + i * 1e-5, 29.1] for i in range(400)] + [[119.7, 29.1]]]}
    acc.orgunit_update(user=world.users["admin"], org=world.township_b, data={"boundary_geojson": big})
    entry = history(world.township_b).last()
    assert entry.after["boundary_geojson"].startswith("<")
    assert "sha1" in entry.after["boundary_geojson"]


def test_user_create_validates_password_in_chinese(world):
    with pytest.raises(ValidationError) as exc:
        acc.user_create(user=world.users["admin"], data={"username": "weak"}, password="abc")
    assert any("密码" in m for m in exc.value.messages)
    assert not User.objects.filter(username="weak").exists()


def test_duplicate_username_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        acc.user_create(user=world.users["admin"], data={"username": "TOWN_A"}, password="Another#Pass1")
    assert "已存在" in str(exc.value)


def test_membership_must_fit_the_organisation(world):
    with pytest.raises(ValidationError) as exc:
        acc.membership_add(user=world.users["admin"], account=world.users["dept"], role=Role.TOWNSHIP,
                           org_unit=world.orgs["JSJ"])
    assert "乡镇" in str(exc.value)


def test_reset_password_forces_change_and_is_audited(world):
    account = world.users["town_a"]
    acc.user_reset_password(user=world.users["admin"], account=account, password="Reset#Pass2021")
    account.refresh_from_db()
    assert account.must_change_password
    assert account.check_password("Reset#Pass2021")
    assert history(account).last().event == "password_reset"
    assert "Reset#Pass2021" not in str(history(account).last().after)


def test_only_admin_manages_users(world):
    with pytest.raises(PermissionDenied):
        acc.user_create(user=world.users["lead"], data={"username": "x1"}, password="Strong#Pass2024")


def test_deactivating_a_membership_removes_scope(world):
    account = world.users["town_a"]
    membership = Membership.objects.get(user=account)
    acc.membership_deactivate(user=world.users["admin"], membership=membership)
    fresh = User.objects.get(pk=account.pk)
    assert OrgUnit.objects.visible_to(fresh).filter(pk=world.township_a.pk).count() == 0


def test_enterprise_uscc_is_checked(world):
    with pytest.raises(ValidationError) as exc:
        land.enterprise_update(user=world.users["admin"], enterprise=world.enterprise_a,
                               data={"uscc": "91330000142916567X"})
    assert "校验位" in str(exc.value)
    land.enterprise_update(user=world.users["admin"], enterprise=world.enterprise_a,
                           data={"uscc": "91330000142916567n"})
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.uscc == "91330000142916567N"


def test_api_token_authenticates_and_can_be_revoked(world):
    token, key = acc.api_token_create(user=world.users["town_a"], name="同步")
    assert acc.api_token_user(key) == world.users["town_a"]
    assert token.key_hash != key and key not in str(history(token).last().after)
    acc.api_token_revoke(user=world.users["town_a"], token=token)
    assert acc.api_token_user(key) is None
    assert acc.api_token_user("pandi_wrong") is None


def test_township_officer_cannot_write_another_townships_enterprise(world):
    with pytest.raises(PermissionDenied):
        land.enterprise_update(user=world.users["town_a"], enterprise=world.enterprise_b, data={"contact_person": "x"})
    with pytest.raises(PermissionDenied):
        land.enterprise_create(user=world.users["town_a"], data={"name": "丙公司", "township": world.township_b})
    with pytest.raises(PermissionDenied):
        land.enterprise_update(user=world.users["town_a"], enterprise=world.enterprise_a,
                               data={"township": world.township_b})
    land.enterprise_update(user=world.users["town_a"], enterprise=world.enterprise_a, data={"contact_person": "张"})


def test_commands_are_audited_as_cli(world):
    import io

    from django.core.management import call_command

    from pandi.core.auditctx import audit_context

    with audit_context("cli"):
        call_command("setup_district", stdout=io.StringIO())
    assert AuditEntry.objects.filter(source="cli", content_type__model="orgunit").exists()

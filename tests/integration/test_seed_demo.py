import io

import pytest
from django.core.management import call_command

from pandi.accounts.models import Membership, OrgUnit, User
from pandi.audit.models import AuditEntry
from pandi.demo.seed import DEMO_PASSWORD
from pandi.domain.access import Role
from pandi.supervision.models import Campaign

pytestmark = pytest.mark.django_db


def run_seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--skip-land", stdout=out)
    return out.getvalue()


def test_seed_builds_the_district_and_prints_every_login():
    output = run_seed()
    assert OrgUnit.objects.filter(kind="township").count() == 11
    assert all(o.boundary_geojson for o in OrgUnit.objects.filter(kind="township"))
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    for username in User.objects.values_list("username", flat=True):
        assert username in output
    assert DEMO_PASSWORD in output
    campaign = Campaign.objects.get(is_current=True)
    assert campaign.district_list_min_mu == 20 and campaign.township_list_min_mu == 5
    assert User.objects.get(username="duohu").check_password(DEMO_PASSWORD)
    assert AuditEntry.objects.filter(source="seed").count() > 0


def test_seed_is_idempotent_and_repairs_edits():
    run_seed()
    counts = (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    run_seed()
    assert (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count(),
            AuditEntry.objects.count()) == counts
    OrgUnit.objects.filter(code="JSJ").update(name="改坏的名字")
    run_seed()
    assert OrgUnit.objects.get(code="JSJ").name == "金东区经济商务局"


def test_demo_land_has_every_state_real_records_and_is_idempotent():
    from pandi.accounts.models import OrgUnit
    from pandi.demo.land import seed_land
    from pandi.land.models import Building, Parcel, SupplyContract

    run_seed()
    orgs = {o.code: o for o in OrgUnit.objects.all()}
    zones = {"330703001": 1, "330703106": 1}
    stats = seed_land(orgs=orgs, zones=zones)
    assert stats.parcels == Parcel.objects.count() > 80
    assert stats.real_records > 0
    real = SupplyContract.objects.filter(supervision_no__startswith="330721")
    assert real.count() == stats.real_records
    assert {"completed", "overdue", "under_construction"} <= set(Parcel.objects.values_list("state", flat=True))
    assert Building.objects.exists() and Parcel.objects.filter(buildings_surveyed=True).exists()
    # every parcel lies in the township it is filed under
    assert set(Parcel.objects.values_list("township__code", flat=True)) == set(zones)
    audit_rows = AuditEntry.objects.count()
    seed_land(orgs=orgs, zones=zones)
    assert AuditEntry.objects.count() == audit_rows


def test_demo_screening_tells_the_2021_review_and_is_idempotent():
    from pandi.accounts.models import OrgUnit
    from pandi.demo.land import seed_land
    from pandi.demo.screening import LATE_NOT_SUBMITTED, RETURNED, seed_screening
    from pandi.screening.models import InventoryList, ScreeningRun, WorkPlanItem, WorkPlanTarget

    run_seed()
    orgs = {o.code: o for o in OrgUnit.objects.all()}
    seed_land(orgs=orgs, zones={"330703001": 1, "330703200": 1, "330703108": 1})
    result = seed_screening()
    assert ScreeningRun.objects.count() == 1 and result["entries"] > 0
    lists = {lst.township.code if lst.township_id else "district": lst for lst in InventoryList.objects.all()}
    assert lists["district"].status == "accepted"
    assert lists["330703001"].status == "accepted"
    assert lists[RETURNED].status == "returned" and lists[RETURNED].review_comment
    assert lists[LATE_NOT_SUBMITTED].status == "draft"
    assert WorkPlanItem.objects.count() == result["entries"]
    assert WorkPlanTarget.objects.exists()
    audit_rows = AuditEntry.objects.count()
    assert seed_screening() == {"skipped": True}
    assert AuditEntry.objects.count() == audit_rows

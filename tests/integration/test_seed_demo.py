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


def test_demo_rectification_has_plans_in_every_state_with_progress_and_photos_and_is_idempotent():
    from pandi.accounts.models import OrgUnit
    from pandi.demo.land import seed_land
    from pandi.demo.rectification import SCENARIO_TODAY, seed_rectification
    from pandi.demo.screening import seed_screening
    from pandi.rectification.models import Evidence, PlanVersion, ProgressReport, QueueEntry, RectificationPlan

    run_seed()
    orgs = {o.code: o for o in OrgUnit.objects.all()}
    seed_land(orgs=orgs, zones={"330703001": 1, "330703002": 1, "330703101": 1})
    seed_screening()
    result = seed_rectification(today=SCENARIO_TODAY)
    states = set(RectificationPlan.objects.values_list("status", flat=True))
    # filed plans start on their start date (June 2021), so by March 2022 they are in progress
    assert {"draft", "submitted", "returned", "approved", "in_progress", "completed", "overdue", "refused",
            "withdrawn"} <= states, result
    assert RectificationPlan.objects.filter(status="returned").exclude(last_comment="").exists()
    amended = RectificationPlan.objects.get(version=2)
    assert PlanVersion.objects.filter(plan=amended, version=1).exists()
    reports = set(ProgressReport.objects.values_list("status", flat=True))
    assert {"confirmed", "queried"} <= reports
    in_progress = RectificationPlan.objects.filter(status="in_progress")
    counts = {p.reports.count() for p in in_progress}  # the filed ones started by the tick have none yet
    assert counts - {0} and counts - {0} <= set(range(2, 7))
    photos = Evidence.objects.filter(kind="photo")
    assert photos.exists() and not photos.filter(taken_at=None).exists() and not photos.filter(lon=None).exists()
    warned = [w for ws in photos.values_list("warnings", flat=True) for w in ws]
    assert len(warned) == 1 and "不在宗地范围内" in warned[0]
    assert QueueEntry.objects.filter(resolved_at=None).exists()
    audit_rows, plans = AuditEntry.objects.count(), RectificationPlan.objects.count()
    assert seed_rectification() == {"skipped": True}
    assert (AuditEntry.objects.count(), RectificationPlan.objects.count()) == (audit_rows, plans)

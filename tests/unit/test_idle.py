"""53号令 idle status: every boundary of screening.md §2–3 (the day before and the day of 满一年/满两年)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from pandi.domain.idle import Cause, IdleStatus, ParcelFacts, deemed_start, parcel_status

D = date(2020, 4, 30)
CONTRACT = date(2019, 10, 30)


def facts(**kw):
    return ParcelFacts(**{"agreed_start": D, "contract_date": CONTRACT, "contract_price_wan": Decimal("1000"), **kw})


@pytest.mark.parametrize(("as_of", "status", "days"), [
    (D - timedelta(days=1), IdleStatus.WITHIN_PERIOD, None),
    (D, IdleStatus.WITHIN_PERIOD, None),                         # on the agreed start day: still within
    (D + timedelta(days=1), IdleStatus.OVERDUE_NOT_STARTED, 1),
    (date(2021, 4, 29), IdleStatus.OVERDUE_NOT_STARTED, 364),   # the day before 满一年
    (date(2021, 4, 30), IdleStatus.IDLE_NOT_STARTED, 365),      # the day of 满一年
    (date(2022, 4, 29), IdleStatus.IDLE_NOT_STARTED, 729),
])
def test_not_started_boundaries(as_of, status, days):
    r = parcel_status(facts(), as_of)
    assert r.status is status and r.days_past_start == days
    assert r.unbuilt is True


def test_idle_fee_is_20_percent_of_the_price_from_the_day_of_one_year():
    assert parcel_status(facts(), date(2021, 4, 29)).idle_fee_due is False
    r = parcel_status(facts(), date(2021, 4, 30))
    assert r.idle_fee_due and r.idle_fee_wan == Decimal("200.0000")
    assert any("第十四条第（一）项" in b for b in r.basis)


def test_free_recovery_from_the_day_of_two_years():
    assert parcel_status(facts(), date(2022, 4, 29)).free_recovery_due is False
    r = parcel_status(facts(), date(2022, 4, 30))
    assert r.free_recovery_due and any("无偿收回" in b for b in r.basis)


def test_29_february_plus_one_year_is_28_february():
    leap = facts(agreed_start=date(2020, 2, 29))
    assert parcel_status(leap, date(2021, 2, 27)).status is IdleStatus.OVERDUE_NOT_STARTED
    assert parcel_status(leap, date(2021, 2, 28)).status is IdleStatus.IDLE_NOT_STARTED


def test_no_agreed_start_uses_handover_plus_one_year():
    f = facts(agreed_start=None, actual_handover=date(2019, 6, 1), agreed_handover=date(2019, 5, 1))
    d, reason = deemed_start(f)
    assert d == date(2020, 6, 1) and "实际交地" in reason and "第二十二条" in reason
    assert parcel_status(f, date(2020, 6, 1)).status is IdleStatus.WITHIN_PERIOD
    assert parcel_status(f, date(2021, 6, 1)).status is IdleStatus.IDLE_NOT_STARTED
    only_agreed = facts(agreed_start=None, agreed_handover=date(2019, 5, 1))
    assert deemed_start(only_agreed)[0] == date(2020, 5, 1)


def test_missing_dates_are_unknown_with_the_reason_never_dropped():
    r = parcel_status(facts(agreed_start=None), date(2021, 4, 30))
    assert r.status is IdleStatus.UNKNOWN and r.deemed_start is None and r.basis


@pytest.mark.parametrize("cause", [Cause.GOVERNMENT, Cause.FORCE_MAJEURE])
def test_other_causes_route_to_article_12(cause):
    r = parcel_status(facts(cause=cause), date(2023, 1, 1))
    assert r.status is IdleStatus.IDLE_NOT_STARTED
    assert not r.idle_fee_due and r.idle_fee_wan is None and not r.free_recovery_due
    assert any("第十二条" in b for b in r.basis)


def test_completed_and_under_construction():
    assert parcel_status(facts(actual_start=date(2020, 5, 1), actual_completion=date(2021, 3, 1)),
                         date(2021, 3, 1)).status is IdleStatus.COMPLETED
    r = parcel_status(facts(actual_start=date(2020, 5, 1), actual_completion=date(2021, 3, 1)), date(2021, 2, 28))
    assert r.status is IdleStatus.UNDER_CONSTRUCTION and r.unbuilt is False
    # a start recorded for a later date does not count yet
    assert parcel_status(facts(actual_start=date(2021, 6, 1)), date(2021, 5, 1)).status is \
        IdleStatus.IDLE_NOT_STARTED


def started(**kw):
    return facts(actual_start=date(2020, 5, 1), area_m2=Decimal("30000"), **kw)


@pytest.mark.parametrize(("kw", "status"), [
    ({"developed_area_m2": Decimal("9000"), "suspended_since": date(2020, 6, 1)}, IdleStatus.STALLED_CANDIDATE),
    ({"developed_area_m2": Decimal("10000"), "suspended_since": date(2020, 6, 1)}, IdleStatus.UNDER_CONSTRUCTION),
    ({"invested_wan": Decimal("249"), "total_investment_wan": Decimal("1000"), "suspended_since": date(2020, 6, 1)},
     IdleStatus.STALLED_CANDIDATE),
    ({"invested_wan": Decimal("250"), "total_investment_wan": Decimal("1000"), "suspended_since": date(2020, 6, 1)},
     IdleStatus.UNDER_CONSTRUCTION),
    ({"developed_area_m2": Decimal("9000"), "suspended_since": date(2020, 6, 2)}, IdleStatus.UNDER_CONSTRUCTION),
    ({"suspended_since": date(2020, 6, 1)}, IdleStatus.UNDER_CONSTRUCTION),  # missing ratios never make it stalled
])
def test_stalled_candidate_needs_low_development_and_a_full_year_suspended(kw, status):
    r = parcel_status(started(**kw), date(2021, 6, 1))  # suspended since 2020-06-01 = exactly one year
    assert r.status is status
    if status is IdleStatus.STALLED_CANDIDATE:
        assert any("第二条第二款" in b for b in r.basis)


def test_required_development_area_overrides_the_parcel_area():
    f = started(developed_area_m2=Decimal("9000"), required_dev_area_m2=Decimal("20000"),
                suspended_since=date(2020, 6, 1))
    assert parcel_status(f, date(2021, 6, 1)).status is IdleStatus.UNDER_CONSTRUCTION  # 45 %


def test_not_yet_supplied_land_is_not_unbuilt():
    f = facts(contract_date=date(2021, 6, 1))
    assert parcel_status(f, date(2021, 5, 1)).unbuilt is False

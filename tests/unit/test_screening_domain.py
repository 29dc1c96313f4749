"""The pure parts of screening: thresholds at the register's precision, parameters, the district
list, which parcels the comb looks at, and the review's transitions and lateness."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from pandi.domain.idle import Cause, IdleStatus, ParcelFacts, parcel_status
from pandi.domain.lists import TransitionError, entry_number, is_late, next_status
from pandi.domain.screening import (
    ParameterError,
    ParcelInput,
    ScreeningParams,
    at_least_mu,
    in_district_list,
    mu_threshold_m2,
    screening_json,
    vacant_eligible,
)

IDLE = ParcelFacts(contract_date=date(2018, 1, 1), agreed_start=date(2019, 1, 1))
T = date(2021, 4, 30)


@pytest.mark.parametrize(("mu", "m2"), [(20, "13333.33"), (5, "3333.33"), (Decimal("0.15"), "100.00")])
def test_thresholds_in_m2(mu, m2):
    assert mu_threshold_m2(mu) == Decimal(m2)


@pytest.mark.parametrize(("area", "mu", "expected"), [
    ("13333.33", 20, True), ("13333.32", 20, False), ("13333.334", 20, True), ("13333.324", 20, False),
    ("3333.33", 5, True), ("3333.32", 5, False), (None, 5, False),
])
def test_at_least_mu_boundaries(area, mu, expected):
    assert at_least_mu(Decimal(area) if area else None, mu) is expected


def test_parameters_parse_and_default():
    p = ScreeningParams.from_values({"district_min_mu": "25", "include_stalled": "on", "min_width_m": ""})
    assert p.district_min_mu == 25 and p.include_stalled and p.min_width_m is None
    assert p.township_min_mu == 5 and p.contiguity_tolerance_m == 1.0
    assert ScreeningParams().as_dict()["district_min_mu"] == 20.0


@pytest.mark.parametrize(("values", "message"), [
    ({"district_min_mu": "二十"}, "区级清单面积门槛（亩）"),
    ({"township_min_mu": "-1"}, "超出范围"),
    ({"contiguity_tolerance_m": "51"}, "连片容差"),
    ({"min_width_m": "nan"}, "最小可建宽度"),
])
def test_bad_parameters_name_the_parameter_in_chinese(values, message):
    with pytest.raises(ParameterError, match=message):
        ScreeningParams.from_values(values)


def _input(code="P1", area="20000", facts=IDLE, holders=("甲",), industrial=True):
    return ParcelInput(pk=1, code=code, supervision_no=None, township="多湖街道", area_m2=Decimal(area), facts=facts,
                       industrial=industrial, holders=holders)


def test_district_list_takes_overdue_and_idle_of_20_mu():
    p = _input()
    r = parcel_status(p.facts, T)
    assert r.status is IdleStatus.IDLE_NOT_STARTED
    assert in_district_list(p, r, ScreeningParams())
    small = _input(area="13333.32")
    assert not in_district_list(small, r, ScreeningParams())
    assert in_district_list(small, r, ScreeningParams(district_min_mu=Decimal(19)))


def test_stalled_only_with_the_option():
    stalled = ParcelFacts(contract_date=date(2017, 1, 1), agreed_start=date(2017, 6, 1), actual_start=date(2017, 6, 1),
                          area_m2=Decimal(20000), developed_area_m2=Decimal(1000), suspended_since=date(2019, 1, 1))
    p = _input(facts=stalled)
    r = parcel_status(stalled, T)
    assert r.status is IdleStatus.STALLED_CANDIDATE
    assert not in_district_list(p, r, ScreeningParams())
    assert in_district_list(p, r, ScreeningParams(include_stalled=True))


@pytest.mark.parametrize(("facts", "holders", "industrial", "eligible"), [
    (IDLE, ("甲",), True, True),
    (IDLE, (), True, False),                      # not held by an enterprise
    (IDLE, ("甲",), False, False),                # not industrial
    (ParcelFacts(contract_date=date(2018, 1, 1), agreed_start=date(2022, 1, 1)), ("甲",), True, False),  # within
    (ParcelFacts(contract_date=date(2018, 1, 1)), ("甲",), True, False),  # unknown
    (ParcelFacts(actual_start=date(2019, 1, 1), actual_completion=date(2020, 1, 1)), ("甲",), True, True),
    (ParcelFacts(actual_start=date(2019, 1, 1)), ("甲",), True, False),  # under construction
])
def test_which_parcels_the_comb_looks_at(facts, holders, industrial, eligible):
    p = _input(facts=facts, holders=holders, industrial=industrial)
    assert vacant_eligible(p, parcel_status(facts, T)) is eligible


def test_json_contract_keys_and_township_lists():
    p = _input()
    data = screening_json(as_of=T, params=ScreeningParams(), parcels=[p], results=[parcel_status(p.facts, T)],
                          blocks=[], unknown_vacant=[], townships=["多湖街道", "东孝街道"])
    assert data["as_of"] == "2021-04-30"
    assert data["district_list"] == ["P1"]
    assert data["township_lists"] == {"多湖街道": [], "东孝街道": []}
    parcel = data["parcels"][0]
    assert parcel["status"] == "idle_not_started" and parcel["area_mu"] == 30.0
    assert parcel["cause"] == Cause.HOLDER.value and parcel["basis"]


@pytest.mark.parametrize(("status", "action", "after"), [
    ("draft", "submit", "submitted"), ("returned", "submit", "submitted"), ("submitted", "return", "returned"),
    ("submitted", "accept", "accepted"), ("draft", "adopt", "accepted"),
])
def test_allowed_transitions(status, action, after):
    assert next_status(status, action) == after


@pytest.mark.parametrize(("status", "action"), [
    ("accepted", "submit"), ("draft", "accept"), ("submitted", "submit"), ("accepted", "return"),
])
def test_forbidden_transitions_say_why_in_chinese(status, action):
    with pytest.raises(TransitionError, match="清单当前状态为"):
        next_status(status, action)


DEADLINE = date(2021, 4, 30)


@pytest.mark.parametrize(("status", "today", "submitted", "late"), [
    ("draft", date(2021, 4, 30), None, False),       # the deadline day itself is still in time
    ("draft", date(2021, 5, 1), None, True),
    ("submitted", date(2021, 6, 1), datetime(2021, 4, 30, 23, 59), False),
    ("submitted", date(2021, 6, 1), datetime(2021, 5, 1, 0, 1), True),
    ("accepted", date(2021, 6, 1), datetime(2021, 4, 29, 9, 0), False),
    ("returned", date(2021, 4, 29), datetime(2021, 4, 28, 9, 0), False),
    ("returned", date(2021, 5, 2), datetime(2021, 4, 28, 9, 0), True),
])
def test_lateness_on_the_deadline_boundary(status, today, submitted, late):
    assert is_late(status=status, deadline=DEADLINE, today=today, submitted_at=submitted) is late


def test_entry_numbers():
    assert entry_number(year=2021, district_list=True, township_code="", seq=7) == "2021-QJ-007"
    assert entry_number(year=2021, district_list=False, township_code="330703108", seq=12) == "2021-108-012"

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandi.domain.campaign import CampaignTerms, campaign_problems
from pandi.domain.dates import add_months, add_years
from pandi.domain.lockout import locked_until
from pandi.domain.passwords import character_classes, password_problems
from pandi.domain.uscc import normalise_uscc, uscc_check_char, uscc_problem


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2020, 2, 29), 1, date(2021, 2, 28)),
        (date(2020, 2, 29), 4, date(2024, 2, 29)),
        (date(2021, 4, 30), 1, date(2022, 4, 30)),
        (date(2021, 12, 31), 2, date(2023, 12, 31)),
    ],
)
def test_add_years_keeps_month_and_day(start, years, expected):
    assert add_years(start, years) == expected


def test_add_months_clamps_to_month_end():
    assert add_months(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert add_months(date(2021, 6, 30), 12) == date(2022, 6, 30)
    assert add_months(date(2021, 11, 15), 3) == date(2022, 2, 15)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 1, 1)), st.integers(min_value=0, max_value=600))
def test_add_months_moves_forward_by_whole_months(d, months):
    result = add_months(d, months)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == months
    assert result.day <= d.day


def test_password_needs_three_character_classes():
    assert character_classes("abcdefghij") == 1
    assert password_problems("abcdefgh12")
    assert password_problems("Abcdefgh12") == []
    assert password_problems("abcdefg#12") == []


NOW = datetime(2021, 4, 30, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_four_failures_do_not_lock():
    failures = [NOW - timedelta(minutes=i) for i in range(4)]
    assert locked_until(failures, now=NOW, max_failures=5, window=WINDOW) is None


def test_fifth_failure_locks_until_window_after_last():
    failures = [NOW - timedelta(minutes=i) for i in range(5)]
    assert locked_until(failures, now=NOW, max_failures=5, window=WINDOW) == NOW + WINDOW


def test_old_failures_do_not_count():
    failures = [NOW - timedelta(minutes=15, seconds=1)] + [NOW - timedelta(minutes=i) for i in range(4)]
    assert locked_until(failures, now=NOW, max_failures=5, window=WINDOW) is None


# Real-format USCC examples built with the GB 32100-2015 algorithm.
def _valid(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def test_uscc_known_valid_code():
    # 91330000142916567N — a published code (浙江省) whose check character is N
    assert uscc_problem("91330000142916567N") is None


def test_uscc_check_character_error_names_expected_char():
    code = _valid("91330703MA2DB1234")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    problem = uscc_problem(wrong)
    assert problem is not None and code[17] in problem


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("9133070312345", "18 位"), ("91330703MA2DB1234I", "非法字符"), ("91ABCDEF12345678X9", "行政区划")],
)
def test_uscc_errors_are_in_chinese(code, fragment):
    problem = uscc_problem(code)
    assert problem and fragment in problem


def test_normalise_uscc():
    assert normalise_uscc(" 91330000142916567n ") == "91330000142916567N"


def terms(**overrides):
    base = dict(
        start=date(2021, 4, 1), survey_deadline=date(2021, 4, 30), work_plan_deadline=date(2021, 5, 31),
        rectification_start_deadline=date(2021, 6, 30), rectification_months=12, horizon_months=24,
        target_reclaimed_mu=Decimal(2000), target_floor_area_m2=Decimal(1600000),
        annual_acquisition_mu=Decimal(300), annual_lease_m2=Decimal(50000),
        district_list_min_mu=Decimal(20), township_list_min_mu=Decimal(5),
    )
    base.update(overrides)
    return CampaignTerms(**base)


def test_plan_campaign_is_consistent_and_derives_dates():
    t = terms()
    assert campaign_problems(t) == {}
    assert t.end == date(2023, 4, 1)
    assert t.rectification_end == date(2022, 6, 30)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"survey_deadline": date(2021, 3, 31)}, "survey_deadline"),
        ({"work_plan_deadline": date(2021, 4, 29)}, "work_plan_deadline"),
        ({"rectification_start_deadline": date(2021, 5, 30)}, "rectification_start_deadline"),
        ({"rectification_months": 0}, "rectification_months"),
        ({"horizon_months": 1}, "horizon_months"),
        ({"target_reclaimed_mu": Decimal(0)}, "target_reclaimed_mu"),
        ({"annual_lease_m2": Decimal(-1)}, "annual_lease_m2"),
        ({"township_list_min_mu": Decimal(25)}, "township_list_min_mu"),
    ],
)
def test_campaign_rules(overrides, field):
    problems = campaign_problems(terms(**overrides))
    assert field in problems
    assert any("\u4e00" <= c <= "\u9fff" for c in problems[field])


def test_deadline_on_the_same_day_is_allowed():
    assert campaign_problems(terms(survey_deadline=date(2021, 4, 1))) == {}

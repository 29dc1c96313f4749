"""`pandi screen --as-of … --json` against screening.md on a table of legal edge cases.

Each case is a parcel built through the registry's services with the facts of one boundary; the
command's JSON must give the status, deemed start, days past start, idle fee and free recovery
that screening.md §2–4 prescribe, and the district list must hold exactly the parcels ≥ 20 亩."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from pandi.land import services as land
from pandi.screening.models import ScreeningResult, ScreeningRun
from tests.conftest import square

pytestmark = pytest.mark.django_db

MU20 = Decimal("13333.33")  # 20 亩 at the register's precision


def _parcel(world, code, *, area=Decimal("20000"), contract=None, construction=None, geometry=None, holder=True,
            township=None):
    parcel = land.parcel_create(user=None, check=False, geometry=geometry,
                                data={"code": code, "township": township or world.township_a,
                                      **({} if geometry else {"area_m2": area})})
    if holder:
        land.holding_add(user=None, check=False, parcel=parcel, enterprise=world.enterprise_a)
    if contract is not None:
        land.contract_create(user=None, check=False, parcel=parcel, data={"price_wan": Decimal("500"), **contract})
    if construction is not None:
        land.construction_update(user=None, check=False, parcel=parcel, data=construction)
    return parcel


def screen(as_of: str, *args: str) -> dict:
    out = io.StringIO()
    call_command("screen", "--as-of", as_of, "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def by_code(data: dict) -> dict[str, dict]:
    return {p["parcel_code"]: p for p in data["parcels"]}


# (code, contract facts, construction facts, as_of, status, deemed start, days past, fee due, free recovery)
CASES = [
    ("T-DAY-BEFORE", {"contract_date": date(2019, 1, 1), "agreed_start": date(2020, 4, 30)}, None,
     "2021-04-29", "overdue_not_started", "2020-04-30", 364, False, False),
    ("T-DAY-OF", {"contract_date": date(2019, 1, 1), "agreed_start": date(2020, 4, 30)}, None,
     "2021-04-30", "idle_not_started", "2020-04-30", 365, True, False),
    ("T-ON-D", {"contract_date": date(2019, 1, 1), "agreed_start": date(2020, 4, 30)}, None,
     "2020-04-30", "within_period", "2020-04-30", None, False, False),
    ("T-DAY-AFTER-D", {"contract_date": date(2019, 1, 1), "agreed_start": date(2020, 4, 30)}, None,
     "2020-05-01", "overdue_not_started", "2020-04-30", 1, False, False),
    ("T-LEAP-BEFORE", {"contract_date": date(2019, 1, 1), "agreed_start": date(2020, 2, 29)}, None,
     "2021-02-27", "overdue_not_started", "2020-02-29", 364, False, False),
    ("T-LEAP-DAY", {"contract_date": date(2019, 1, 1), "agreed_start": date(2020, 2, 29)}, None,
     "2021-02-28", "idle_not_started", "2020-02-29", 365, True, False),
    ("T-2Y-BEFORE", {"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 4, 30)}, None,
     "2021-04-29", "idle_not_started", "2019-04-30", 730, True, False),
    ("T-2Y-DAY", {"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 4, 30)}, None,
     "2021-04-30", "idle_not_started", "2019-04-30", 731, True, True),
    ("T-HANDOVER", {"contract_date": date(2019, 1, 1), "actual_handover": date(2019, 5, 1),
                    "agreed_handover": date(2019, 3, 1)}, None,
     "2021-04-30", "overdue_not_started", "2020-05-01", 364, False, False),
    ("T-HANDOVER-DAY", {"contract_date": date(2019, 1, 1), "actual_handover": date(2019, 5, 1),
                        "agreed_handover": date(2019, 3, 1)}, None,
     "2021-05-01", "idle_not_started", "2020-05-01", 365, True, False),
    ("T-NO-DATES", {"contract_date": date(2019, 1, 1)}, None,
     "2021-04-30", "unknown", None, None, False, False),
    ("T-GOV", {"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 1, 1)},
     {"idle_cause": "government", "government_cause_item": 2},
     "2021-04-30", "idle_not_started", "2019-01-01", 850, False, False),
    ("T-DONE", {"contract_date": date(2015, 1, 1), "agreed_start": date(2015, 6, 1)},
     {"actual_start": date(2015, 5, 1), "actual_completion": date(2016, 12, 1)},
     "2021-04-30", "completed", "2015-06-01", None, False, False),
    ("T-STALLED", {"contract_date": date(2017, 1, 1), "agreed_start": date(2017, 6, 1)},
     {"actual_start": date(2017, 6, 1), "developed_area_m2": Decimal("5000"), "suspended_since": date(2020, 4, 30)},
     "2021-04-30", "stalled_candidate", "2017-06-01", None, False, False),
    ("T-STALLED-SHORT", {"contract_date": date(2017, 1, 1), "agreed_start": date(2017, 6, 1)},
     {"actual_start": date(2017, 6, 1), "developed_area_m2": Decimal("5000"), "suspended_since": date(2020, 5, 1)},
     "2021-04-30", "under_construction", "2017-06-01", None, False, False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_screen_json_matches_screening_md(world, case):
    code, contract, construction, as_of, status, deemed, days, fee, free = case
    _parcel(world, code, contract=contract, construction=construction)
    p = by_code(screen(as_of))[code]
    assert p["status"] == status
    assert p["deemed_start"] == deemed
    assert p["days_past_start"] == days
    assert p["idle_fee_due"] is fee
    assert p["free_recovery_due"] is free
    assert p["basis"], "every decision shows its basis"
    if fee:
        assert p["idle_fee_wan"] == pytest.approx(100.0)  # 20 % of 500 万元
    assert p["cause"] == ("government" if code == "T-GOV" else "holder")
    assert p["unbuilt"] is (status not in ("completed", "under_construction", "stalled_candidate"))


def test_output_has_every_required_key(world):
    data = screen("2021-04-30")
    assert {"as_of", "parameters", "parcels", "district_list", "vacant_blocks", "township_lists"} <= set(data)
    assert data["as_of"] == "2021-04-30"
    assert data["parameters"]["district_min_mu"] == 20
    assert data["parameters"]["township_min_mu"] == 5
    assert data["parameters"]["contiguity_tolerance_m"] == 1.0
    required = {"parcel_code", "supervision_no", "township", "area_m2", "area_mu", "status", "unbuilt", "deemed_start",
                "days_past_start", "idle_fee_due", "idle_fee_wan", "free_recovery_due", "cause", "basis"}
    for p in data["parcels"]:
        assert required <= set(p)
    assert set(data["township_lists"]) == {"多湖街道", "东孝街道"}
    for b in data["vacant_blocks"]:
        assert {"block_id", "township", "area_m2", "area_mu", "parcel_codes", "holders"} <= set(b)
        assert b["block_id"] in data["township_lists"][b["township"]]


@pytest.mark.parametrize(("area", "listed"), [(MU20, True), (MU20 - Decimal("0.01"), False),
                                              (Decimal("13333.335"), True)])
def test_district_list_threshold_is_exactly_20_mu(world, area, listed):
    _parcel(world, "T-AREA", area=area.quantize(Decimal("0.01")),
            contract={"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 1, 1)})
    data = screen("2021-04-30")
    assert ("T-AREA" in data["district_list"]) is listed


def test_overdue_under_one_year_is_listed_and_within_period_is_not(world):
    _parcel(world, "T-OVERDUE", contract={"contract_date": date(2019, 1, 1), "agreed_start": date(2021, 1, 1)})
    _parcel(world, "T-WITHIN", contract={"contract_date": date(2019, 1, 1), "agreed_start": date(2021, 5, 1)})
    data = screen("2021-04-30")
    assert "T-OVERDUE" in data["district_list"]
    assert "T-WITHIN" not in data["district_list"]


def test_stalled_candidates_join_the_district_list_only_when_asked(world):
    _parcel(world, "T-ST", contract={"contract_date": date(2017, 1, 1), "agreed_start": date(2017, 6, 1)},
            construction={"actual_start": date(2017, 6, 1), "developed_area_m2": Decimal("1000"),
                          "suspended_since": date(2019, 1, 1)})
    assert "T-ST" not in screen("2021-04-30")["district_list"]
    assert "T-ST" in screen("2021-04-30", "--include-stalled")["district_list"]


def test_a_contract_signed_after_the_date_is_not_yet_supply(world):
    _parcel(world, "T-LATER", contract={"contract_date": date(2022, 1, 1), "agreed_start": date(2022, 6, 1)})
    data = screen("2021-04-30")
    assert "T-LATER" not in by_code(data)
    assert data["counts"]["not_yet_supplied"] == 1


def test_block_across_two_townships_and_two_holders(world):
    """Two idle parcels touching on the A/B boundary (lon 119.72): one block, under the township with the
    larger share, both holders named."""
    big = {"type": "Polygon", "coordinates": [[[119.716, 29.113], [119.72, 29.113], [119.72, 29.116],
                                               [119.716, 29.116], [119.716, 29.113]]]}
    small = {"type": "Polygon", "coordinates": [[[119.72, 29.113], [119.721, 29.113], [119.721, 29.116],
                                                 [119.72, 29.116], [119.72, 29.113]]]}
    idle = {"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 1, 1)}
    _parcel(world, "T-BIG", geometry=big, contract=idle)
    p = _parcel(world, "T-SMALL", geometry=small, contract=idle, holder=False, township=world.township_b)
    land.holding_add(user=None, check=False, parcel=p, enterprise=world.enterprise_b)
    data = screen("2021-04-30")
    block = next(b for b in data["vacant_blocks"] if "T-BIG" in b["parcel_codes"])
    assert block["parcel_codes"] == ["T-BIG", "T-SMALL"]
    assert block["holders"] == ["乙公司", "甲公司"]
    assert block["township"] == "多湖街道"
    assert set(block["township_shares"]) == {"多湖街道", "东孝街道"}
    assert block["township_shares"]["多湖街道"] > block["township_shares"]["东孝街道"]
    assert block["area_m2"] == pytest.approx(sum(block["township_shares"].values()), rel=1e-6)


def test_parcels_across_a_road_are_separate_blocks(world):
    idle = {"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 1, 1)}
    # 0.0002° of longitude ≈ 19 m at 29°N: a road between them
    _parcel(world, "T-W", geometry=square(119.7050, 29.113, 0.002), contract=idle)
    _parcel(world, "T-E", geometry=square(119.7072, 29.113, 0.002), contract=idle)
    data = screen("2021-04-30")
    blocks = [b for b in data["vacant_blocks"] if {"T-W", "T-E"} & set(b["parcel_codes"])]
    assert sorted(len(b["parcel_codes"]) for b in blocks) == [1, 1]


def test_footprints_are_subtracted_from_vacant_land(world):
    idle = {"contract_date": date(2018, 1, 1), "agreed_start": date(2019, 1, 1)}
    p = _parcel(world, "T-FP", geometry=square(119.710, 29.113, 0.002), contract=idle)
    before = next(b for b in screen("2021-04-30")["vacant_blocks"] if b["parcel_codes"] == ["T-FP"])["area_m2"]
    land.building_create(user=None, check=False, parcel=p, geometry=square(119.7105, 29.1135, 0.0005))
    after = next(b for b in screen("2021-04-30")["vacant_blocks"] if b["parcel_codes"] == ["T-FP"])["area_m2"]
    assert 2000 < before - after < 3000  # a 0.0005° square ≈ 48.6 m × 55.6 m ≈ 2,700 m²


def test_completed_parcel_without_building_survey_is_unknown_not_counted(world):
    _parcel(world, "T-NOSURVEY", geometry=square(119.710, 29.116, 0.002),
            contract={"contract_date": date(2015, 1, 1), "agreed_start": date(2015, 6, 1)},
            construction={"actual_start": date(2015, 6, 1), "actual_completion": date(2017, 1, 1)})
    data = screen("2021-04-30")
    assert "T-NOSURVEY" in data["vacant_unknown"]
    assert not any("T-NOSURVEY" in b["parcel_codes"] for b in data["vacant_blocks"])


def test_save_stores_run_and_results_atomically(world):
    out = io.StringIO()
    call_command("screen", "--as-of", "2021-04-30", "--save", "--user", "lead", stdout=out, stderr=io.StringIO())
    run = ScreeningRun.objects.get()
    assert run.source == "cli" and run.created_by.username == "lead"
    assert ScreeningResult.objects.filter(run=run).count() == 2
    assert f"#{run.pk}" in out.getvalue()


def test_save_needs_the_screening_permission(world):
    with pytest.raises(CommandError, match="没有发起筛查的权限"):
        call_command("screen", "--as-of", "2021-04-30", "--save", "--user", "town_a", stdout=io.StringIO())
    assert not ScreeningRun.objects.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2021-02-30"], "格式错误"),
    (["--as-of", "2021-04-30", "--district-min-mu", "abc"], "不是数字"),
    (["--as-of", "2021-04-30", "--tolerance", "-1"], "超出范围"),
])
def test_bad_input_is_a_clear_error(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("screen", *args, "--json", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_failed_save_leaves_nothing_half_saved(world, monkeypatch):
    from pandi.screening import services

    def boom(run, outcome, progress):
        ScreeningResult.objects.create(run=run, parcel=world.parcel_a, parcel_code="A-001", status="unknown")
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_insert_results", boom)
    with pytest.raises(RuntimeError):
        call_command("screen", "--as-of", "2021-04-30", "--save", "--user", "lead", stdout=io.StringIO())
    assert not ScreeningRun.objects.exists()
    assert not ScreeningResult.objects.exists()


def test_unusable_database_exits_non_zero_with_a_message(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PANDI_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
           "DJANGO_SETTINGS_MODULE": "pandi.settings.dev"}
    proc = subprocess.run([sys.executable, "-m", "pandi", "screen", "--as-of", "2021-04-30", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "数据库无法使用" in proc.stderr

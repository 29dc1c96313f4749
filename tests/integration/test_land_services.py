from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pandi.audit.models import AuditEntry
from pandi.land import services as land
from pandi.land.models import Parcel

from ..conftest import square

pytestmark = pytest.mark.django_db


def test_parcel_geometry_gives_ground_area_bbox_and_township(world):
    p = world.parcel_a
    # 0.002° × 0.002° at 29.1°N ≈ 194.6 m × 221.7 m ≈ 4.31 ha
    assert Decimal("42000") < p.area_m2 < Decimal("44000")
    assert p.area_source == "geometry"
    assert p.min_lon == pytest.approx(119.705) and p.max_lat == pytest.approx(29.107)
    assert p.township == world.township_a
    assert p.holder_names == "甲公司"


def test_township_is_found_from_geometry_when_not_given(world):
    p = land.parcel_create(user=world.users["nr"], geometry=square(119.731, 29.111, 0.001), data={"code": "B-009"})
    assert p.township == world.township_b


def test_state_follows_contract_and_construction(world):
    p = world.parcel_a
    assert p.state == "overdue"  # agreed start 2019-07-10 has passed, nothing started
    land.construction_update(user=world.users["nr"], parcel=p, data={"actual_start": date(2019, 9, 1)})
    p.refresh_from_db()
    assert p.state == "under_construction"
    land.construction_update(user=world.users["nr"], parcel=p, data={"actual_completion": date(2021, 3, 1)})
    p.refresh_from_db()
    assert p.state == "completed"


def test_state_before_and_on_the_agreed_start(world):
    p = world.parcel_a
    assert land.parcel_refresh(parcel=p, today=date(2019, 7, 10)).state == "not_due"
    assert land.parcel_refresh(parcel=p, today=date(2019, 7, 11)).state == "overdue"


def test_township_officer_cannot_edit_other_township_parcel(world):
    with pytest.raises(PermissionDenied):
        land.parcel_update(user=world.users["town_a"], parcel=world.parcel_b, data={"name": "改"})
    land.parcel_update(user=world.users["town_a"], parcel=world.parcel_a, data={"name": "改名"})
    assert Parcel.objects.get(pk=world.parcel_a.pk).name == "改名"


def test_duplicate_parcel_code_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        land.parcel_create(user=world.users["nr"], data={"code": "A-001", "township": world.township_a})
    assert "宗地编号“A-001”已存在" in str(exc.value)


def test_swapped_geometry_is_refused(world):
    swapped = {"type": "Polygon", "coordinates": [[[y, x] for x, y in square(119.7, 29.1)["coordinates"][0]]]}
    with pytest.raises(ValidationError) as exc:
        land.parcel_create(user=world.users["nr"], geometry=swapped, data={"code": "X-1"})
    assert "经纬度顺序颠倒" in str(exc.value)
    assert not Parcel.objects.filter(code="X-1").exists()


def test_building_marks_parcel_surveyed_and_is_audited(world):
    b = land.building_create(user=world.users["nr"], parcel=world.parcel_a,
                             geometry=square(119.7055, 29.1055, 0.0005), data={"storeys": 3})
    world.parcel_a.refresh_from_db()
    assert world.parcel_a.buildings_surveyed
    assert b.footprint_m2 > 0
    assert AuditEntry.objects.filter(content_type__model="building", object_id=str(b.pk)).exists()


def test_daily_refresh_moves_not_due_parcels(world):
    p = world.parcel_a
    land.parcel_refresh(parcel=p, today=date(2019, 7, 1))
    assert Parcel.objects.get(pk=p.pk).state == "not_due"
    assert land.parcels_refresh_states(today=date(2020, 1, 1)) >= 1
    assert Parcel.objects.get(pk=p.pk).state == "overdue"


def test_undated_contract_does_not_decide_the_state(world):
    # a later record without dates must not hide the dated one, on SQLite and PostgreSQL alike
    land.contract_create(user=world.users["nr"], parcel=world.parcel_a, data={"holder_name": "甲公司"})
    p = land.parcel_refresh(parcel=Parcel.objects.get(pk=world.parcel_a.pk), today=date(2019, 7, 11))
    assert p.state == "overdue"

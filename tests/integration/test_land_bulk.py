from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pandi.audit.models import AuditEntry
from pandi.land import services as land
from pandi.land.models import Building, Parcel

from ..conftest import square

pytestmark = pytest.mark.django_db


def test_bulk_save_creates_locates_and_audits(world):
    new = [{"code": f"N-{i}", "geometry": square(119.700 + i * 0.003, 29.112, 0.002)} for i in range(10)]
    created, _ = land.parcels_bulk_save(user=world.users["nr"], new=new, changed=[])
    assert len(created) == 10 and all(p.pk for p in created)
    by_code = {p.code: p for p in Parcel.objects.filter(code__startswith="N-")}
    assert by_code["N-0"].township == world.township_a and by_code["N-9"].township == world.township_b
    assert Decimal("42000") < by_code["N-0"].area_m2 < Decimal("44000")
    assert AuditEntry.objects.filter(content_type__model="parcel", action="create", source="system",
                                     object_id__in=[str(p.pk) for p in created]).count() == 10


def test_bulk_save_matches_single_service_area(world):
    new = [{"code": "N-X", "geometry": square(119.705, 29.105)}]
    created, _ = land.parcels_bulk_save(user=None, check=False, new=new, changed=[])
    assert created[0].area_m2 == world.parcel_a.area_m2
    assert created[0].geometry == world.parcel_a.geometry


def test_bulk_save_updates_with_before_and_after(world):
    p = Parcel.objects.get(pk=world.parcel_a.pk)
    change = {"name": "新名", "geometry": square(119.705, 29.105, 0.003)}
    land.parcels_bulk_save(user=world.users["nr"], new=[], changed=[(p, change)])
    p.refresh_from_db()
    assert p.name == "新名" and p.area_m2 > Decimal("90000")
    entry = AuditEntry.objects.filter(content_type__model="parcel", object_id=str(p.pk)).first()
    assert {c["field"] for c in entry.changes} >= {"name", "geometry", "area_m2"}


def test_bulk_save_refuses_duplicates_and_existing_keys(world):
    with pytest.raises(ValidationError, match="重复"):
        land.parcels_bulk_save(user=None, check=False, new=[{"code": "D"}, {"code": "D"}], changed=[])
    with pytest.raises(ValidationError, match="已存在"):
        land.parcels_bulk_save(user=None, check=False, new=[{"code": "A-001"}], changed=[])
    assert not Parcel.objects.filter(code="D").exists()


def test_bulk_buildings_mark_parcels_surveyed(world):
    rows = [(world.parcel_a, square(119.7052 + i * 0.0006, 29.1052, 0.0004), {"storeys": 2}) for i in range(3)]
    buildings = land.buildings_bulk_create(user=world.users["nr"], rows=rows)
    assert Building.objects.filter(parcel=world.parcel_a).count() == 3 == len(buildings)
    assert Parcel.objects.get(pk=world.parcel_a.pk).buildings_surveyed


def test_engine_rolls_back_and_reports_when_a_service_refuses_a_row(world, monkeypatch):
    from pandi.land.importers import common

    common._load_importers()
    validate, _ = common.IMPORTERS["supplies"]

    def refusing_apply(ctx, rows):
        land.parcel_create(user=None, check=False, data={"code": "WRITTEN-THEN-UNDONE"})
        raise ValidationError({"code": "模拟的服务拒绝"})

    monkeypatch.setitem(common.IMPORTERS, "supplies", (validate, refusing_apply))
    data = "宗地编号,土地使用权人,面积(平方米),土地用途\nR-1,甲公司,1000,工业用地\n".encode()
    ctx = common.run_import(kind="supplies", user=world.users["nr"], file_name="r.csv", data=data)
    assert ctx.batch.status == "failed"
    assert any("模拟的服务拒绝" in i.message for i in ctx.errors)
    assert not Parcel.objects.filter(code="WRITTEN-THEN-UNDONE").exists()

"""Shared fixtures: a small world of two townships, one user per role, an enterprise in each
township and a current campaign — all made through the services, like the real system."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

PASSWORD = "Test#Pass2021"


@dataclass
class World:
    township_a: Any
    township_b: Any
    orgs: dict[str, Any]
    users: dict[str, Any]
    enterprise_a: Any
    enterprise_b: Any
    campaign: Any
    parcel_a: Any = None
    parcel_b: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def make_world() -> World:
    from pandi.accounts import services as acc
    from pandi.accounts.models import OrgUnit
    from pandi.domain.access import OrgKind, Role
    from pandi.land import services as land
    from pandi.supervision import services as sup

    def org(code: str, name: str, kind: OrgKind, **extra: Any) -> OrgUnit:
        return acc.orgunit_create(user=None, check=False, data={"code": code, "name": name, "kind": kind, **extra})

    square_a = {"type": "Polygon", "coordinates": [[[119.70, 29.10], [119.72, 29.10], [119.72, 29.12],
                                                    [119.70, 29.12], [119.70, 29.10]]]}
    square_b = {"type": "Polygon", "coordinates": [[[119.72, 29.10], [119.74, 29.10], [119.74, 29.12],
                                                    [119.72, 29.12], [119.72, 29.10]]]}
    orgs = {
        "A": org("330703001", "多湖街道", OrgKind.TOWNSHIP, township_type="街道", boundary_geojson=square_a),
        "B": org("330703002", "东孝街道", OrgKind.TOWNSHIP, township_type="街道", boundary_geojson=square_b),
        "JSJ": org("JSJ", "金东区经济商务局", OrgKind.DEPARTMENT, short_name="区经商局"),
        "ZGJ": org("ZGJ", "金华市自然资源和规划局金东分局", OrgKind.DEPARTMENT, short_name="区资规分局"),
        "ZJJ": org("ZJJ", "金东区住房和城乡建设局", OrgKind.DEPARTMENT, short_name="区住建局"),
        "GZGS": org("GZGS", "区属国资公司", OrgKind.STATE_COMPANY),
        "FY": org("FY", "金东区人民法院", OrgKind.COURT),
        "DCS": org("DCS", "区政府督查室", OrgKind.SUPERVISION),
        "LDXZ": org("LDXZ", "盘地行动领导小组", OrgKind.LEADING_GROUP),
    }
    enterprise_a = land.enterprise_create(user=None, check=False, data={"name": "甲公司", "township": orgs["A"]})
    enterprise_b = land.enterprise_create(user=None, check=False, data={"name": "乙公司", "township": orgs["B"]})
    specs = [
        ("admin", Role.ADMIN, "LDXZ", None),
        ("lead", Role.DISTRICT_LEAD, "JSJ", None),
        ("nr", Role.NATURAL_RESOURCES, "ZGJ", None),
        ("dept", Role.DEPARTMENT, "ZJJ", None),
        ("town_a", Role.TOWNSHIP, "A", None),
        ("town_b", Role.TOWNSHIP, "B", None),
        ("soe", Role.STATE_COMPANY, "GZGS", None),
        ("court", Role.COURT, "FY", None),
        ("sup", Role.SUPERVISION, "DCS", None),
        ("leader", Role.LEADERSHIP, "LDXZ", None),
        ("ent_a", Role.ENTERPRISE, None, enterprise_a),
        ("ent_b", Role.ENTERPRISE, None, enterprise_b),
    ]
    users = {}
    for username, role, org_code, enterprise in specs:
        account = acc.user_create(user=None, check=False, password=PASSWORD, must_change_password=False,
                                  data={"username": username, "full_name": f"{username} 测试"})
        acc.membership_add(user=None, check=False, account=account, role=role,
                           org_unit=orgs[org_code] if org_code else None, enterprise=enterprise)
        users[username] = account
    campaign = sup.campaign_create(user=None, check=False, make_current=True, data={
        "name": "测试盘地行动", "code": "t-2021", "start": date(2021, 4, 1), "survey_deadline": date(2021, 4, 30),
        "work_plan_deadline": date(2021, 5, 31), "rectification_start_deadline": date(2021, 6, 30),
        "rectification_months": 12, "horizon_months": 24, "target_reclaimed_mu": Decimal("2000"),
        "target_floor_area_m2": Decimal("1600000"), "annual_acquisition_mu": Decimal("300"),
        "annual_lease_m2": Decimal("50000"), "district_list_min_mu": Decimal("20"),
        "township_list_min_mu": Decimal("5"),
    })
    parcel_a = _parcel("A-001", orgs["A"], enterprise_a, 119.705, "甲公司厂区")
    parcel_b = _parcel("B-001", orgs["B"], enterprise_b, 119.725, "乙公司厂区")
    return World(orgs["A"], orgs["B"], orgs, users, enterprise_a, enterprise_b, campaign, parcel_a, parcel_b)


def square(lon: float, lat: float, side_deg: float = 0.002) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + side_deg, lat], [lon + side_deg, lat + side_deg],
                                                [lon, lat + side_deg], [lon, lat]]]}


def _parcel(code: str, township: Any, enterprise: Any, lon: float, name: str) -> Any:
    """A parcel (about 4 ha) inside `township`'s test square, held by `enterprise`, with a supply contract."""
    from pandi.land import services as land

    parcel = land.parcel_create(user=None, check=False, geometry=square(lon, 29.105),
                                data={"code": code, "name": name, "township": township})
    land.holding_add(user=None, check=False, parcel=parcel, enterprise=enterprise)
    land.contract_create(user=None, check=False, parcel=parcel, data={
        "supervision_no": f"330721{code.replace('-', '')}", "holder_name": enterprise.name,
        "contract_date": date(2019, 1, 10), "agreed_start": date(2019, 7, 10), "price_wan": Decimal("800"),
        "area_ha": Decimal("4.0")})
    parcel.refresh_from_db()
    return parcel


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def login(client):
    """Log the test client in as a user of the world: `login(world.users["town_a"])`."""

    def _login(user):
        client.force_login(user)
        return client

    return _login

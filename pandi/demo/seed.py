"""The one place for demo data. Later modules add their parts to `seed_demo` in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django.db import transaction

from pandi.accounts import services as account_services
from pandi.accounts.models import Membership, OrgUnit, User
from pandi.accounts.reference import setup_district, upsert
from pandi.audit.services import record_event
from pandi.domain.access import ROLE_LABELS, OrgKind, Role
from pandi.land import services as land_services
from pandi.land.models import Enterprise
from pandi.supervision import services as campaign_services
from pandi.supervision.models import Campaign

DEMO_PASSWORD = "Jindong@2021"

TOWNSHIP_LOGINS = {
    "330703001": "duohu", "330703002": "dongxiao", "330703101": "xiaoshun", "330703102": "fucun",
    "330703103": "caozhai", "330703104": "lipu", "330703105": "lingxia", "330703106": "jiangdong",
    "330703107": "tangya", "330703108": "chisong", "330703200": "yuandong",
}

# username, full name, role, org code (or None for the enterprise user), title
DISTRICT_ACCOUNTS: list[tuple[str, str, Role, str | None, str]] = [
    ("admin", "系统管理员", Role.ADMIN, "LDXZB", "系统管理员"),
    ("jsj", "王晓东", Role.DISTRICT_LEAD, "JSJ", "产业发展科科长"),
    ("zgj", "李建华", Role.NATURAL_RESOURCES, "ZGJ", "利用科科员"),
    ("zjj", "陈立新", Role.DEPARTMENT, "ZJJ", "建管科科员"),
    ("swj", "周敏", Role.DEPARTMENT, "SWJ", "征管科科员"),
    ("zfj", "吴国强", Role.DEPARTMENT, "ZFJ", "执法中队队长"),
    ("stj", "郑丽", Role.DEPARTMENT, "STJ", "执法科科员"),
    ("gdj", "孙浩", Role.DEPARTMENT, "GDJ", "营销部专责"),
    ("gzgs", "冯涛", Role.STATE_COMPANY, "GZGS", "资产管理部经理"),
    ("fayuan", "何静", Role.COURT, "FY", "执行局联络员"),
    ("duchashi", "朱伟", Role.SUPERVISION, "DCS", "督查专员"),
    ("lingdao", "领导小组成员", Role.LEADERSHIP, "LDXZ", "副组长"),
]
TOWNSHIP_OFFICER_NAMES = ["张伟", "刘洋", "杨帆", "黄磊", "赵静", "徐明", "马丽", "胡斌", "郭亮", "林芳", "罗军"]

DEMO_ENTERPRISE = {
    "name": "金华顺发塑料制品有限公司", "legal_representative": "", "contact_person": "钱经理",
    "contact_phone": "0579-8200 0000", "address": "金东经济开发区", "industry_name": "塑料制品业",
    "industry_code": "C29", "above_scale": True,
}

CAMPAIGN = {
    "code": "jd-2021",
    "name": "金义新区（金东区）闲置工业用地盘地行动",
    "district_name": "金东区",
    "document_no": "金义新区（金东区）闲置工业用地盘地行动方案（征求意见稿）",
    "start": date(2021, 4, 1),
    "survey_deadline": date(2021, 4, 30),
    "work_plan_deadline": date(2021, 5, 31),
    "rectification_start_deadline": date(2021, 6, 30),
    "rectification_months": 12,
    "horizon_months": 24,
    "target_reclaimed_mu": Decimal("2000.00"),
    "target_floor_area_m2": Decimal("1600000.00"),
    "annual_acquisition_mu": Decimal("300.00"),
    "annual_lease_m2": Decimal("50000.00"),
    "district_list_min_mu": Decimal("20.00"),
    "township_list_min_mu": Decimal("5.00"),
    "notes": "日期与目标取自行动方案：4 月底前排摸形成清单，5 月底前制定年度整改工作方案，6 月底前启动整改，"
             "原则上一年内完成；两年内盘活闲置工业用地 2000 亩以上、新开工工业厂房 160 万平方米以上。",
}


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """One hash of the demo password with a fixed salt, so re-running the seed compares strings
    instead of re-hashing 24 passwords."""
    return make_password(DEMO_PASSWORD, salt="pandidemo2021")


@dataclass
class DemoAccount:
    username: str
    role_label: str
    where: str


@dataclass
class SeedResult:
    orgs: int = 0
    users: int = 0
    campaign: str = ""
    parcels: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)


def _ensure_account(username: str, full_name: str, role: Role, org: OrgUnit | None,
                    enterprise: Enterprise | None, title: str) -> User:
    account = User.objects.filter(username=username).first()
    if account is None:
        account = account_services.user_create(
            user=None, data={"username": username, "full_name": full_name}, password=DEMO_PASSWORD,
            must_change_password=False, check=False,
        )
    else:
        changes = {k: v for k, v in {"full_name": full_name, "is_active": True}.items() if getattr(account, k) != v}
        if changes:
            account_services.user_update(user=None, account=account, data=changes, check=False)
        if account.password != demo_password_hash() or account.must_change_password:
            account.password = demo_password_hash()
            account.must_change_password = False
            account.save(update_fields=["password", "must_change_password"])
            record_event(obj=account, user=None, event="password_reset", comment="演示数据：恢复演示密码")
    if account.password != demo_password_hash():  # a fresh account: store the shared demo hash
        User.objects.filter(pk=account.pk).update(password=demo_password_hash())
        account.password = demo_password_hash()
    exists = Membership.objects.filter(user=account, role=role, org_unit=org, enterprise=enterprise,
                                       is_active=True).exists()
    if not exists:
        account_services.membership_add(user=None, account=account, role=role, org_unit=org,
                                        enterprise=enterprise, title=title, check=False)
    return account


@transaction.atomic
def seed_demo(progress: Callable[[str], None] = lambda _msg: None, *, with_land: bool = True) -> SeedResult:
    result = SeedResult()
    orgs = setup_district(progress)
    result.orgs = len(orgs)

    duohu = orgs["330703001"]
    enterprise = upsert(
        Enterprise, {"name": DEMO_ENTERPRISE["name"]}, {k: v for k, v in DEMO_ENTERPRISE.items() if k != "name"}
        | {"township": duohu},
        lambda data: land_services.enterprise_create(user=None, data=data, check=False),
        lambda obj, changed: land_services.enterprise_update(user=None, enterprise=obj, data=changed, check=False),
    )

    for username, full_name, role, org_code, title in DISTRICT_ACCOUNTS:
        org = orgs[org_code] if org_code else None
        _ensure_account(username, full_name, role, org, None, title)
        result.accounts.append(DemoAccount(username, ROLE_LABELS[role], org.short_name or org.name))
    townships = [o for o in orgs.values() if o.kind == OrgKind.TOWNSHIP]
    for officer_name, township in zip(TOWNSHIP_OFFICER_NAMES, townships, strict=True):
        username = TOWNSHIP_LOGINS[township.code]
        _ensure_account(username, officer_name, Role.TOWNSHIP, township, None, "经济发展办公室")
        result.accounts.append(DemoAccount(username, ROLE_LABELS[Role.TOWNSHIP], township.name))
    _ensure_account("qiye", "钱经理", Role.ENTERPRISE, None, enterprise, "企业联络人")
    result.accounts.append(DemoAccount("qiye", ROLE_LABELS[Role.ENTERPRISE], enterprise.name))
    result.users = len(result.accounts)
    progress(f"用户 {result.users} 个（每个角色至少一个，每个乡镇街道一个）")

    campaign = upsert(
        Campaign, {"code": CAMPAIGN["code"]}, {k: v for k, v in CAMPAIGN.items() if k != "code"},
        lambda data: campaign_services.campaign_create(user=None, data=data, check=False),
        lambda obj, changed: campaign_services.campaign_update(user=None, campaign=obj, data=changed, check=False),
    )
    if not campaign.is_current:
        campaign_services.campaign_set_current(user=None, campaign=campaign, check=False)
    result.campaign = campaign.name
    progress(f"当前盘地行动：{campaign.name}")

    if with_land:
        from .land import seed_land

        stats = seed_land(orgs=orgs, progress=progress)
        result.parcels = stats.parcels
        progress(f"宗地 {stats.parcels} 宗（其中 {stats.real_records} 宗挂接中国土地市场网真实供地记录），"
                 f"企业 {stats.enterprises} 家，建筑物 {stats.buildings} 栋")
        from .screening import seed_screening

        seed_screening(progress=progress)
        from .rectification import seed_rectification

        seed_rectification(progress=progress)
    return result

"""The one place for demo data. Later modules add their parts to `seed_demo` in order."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from pandi.accounts import services as account_services
from pandi.accounts.models import Membership, OrgUnit, User
from pandi.audit.services import record_event
from pandi.domain.access import ROLE_LABELS, OrgKind, Role
from pandi.land import services as land_services
from pandi.land.models import Enterprise
from pandi.supervision import services as campaign_services
from pandi.supervision.models import Campaign

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEMO_PASSWORD = "Jindong@2021"
BOUNDARY_SOURCE = "公开数据（精度约数十米，仅供参考），见 pandi/data/PROVENANCE.md"

TOWNSHIP_LOGINS = {
    "330703001": "duohu", "330703002": "dongxiao", "330703101": "xiaoshun", "330703102": "fucun",
    "330703103": "caozhai", "330703104": "lipu", "330703105": "lingxia", "330703106": "jiangdong",
    "330703107": "tangya", "330703108": "chisong", "330703200": "yuandong",
}

DISTRICT_UNITS: list[dict[str, Any]] = [
    {"code": "LDXZ", "name": "盘地行动领导小组", "short_name": "领导小组", "kind": OrgKind.LEADING_GROUP,
     "duties": "统筹协调盘地行动，研究解决重大问题（方案五、保障措施）", "sort_order": 1},
    {"code": "LDXZB", "name": "盘地行动领导小组办公室", "short_name": "领导小组办公室", "kind": OrgKind.LEADING_GROUP,
     "duties": "设在区经商局，负责日常协调、任务分解和进度汇总", "sort_order": 2},
    {"code": "JSJ", "name": "金东区经济商务局", "short_name": "区经商局", "kind": OrgKind.DEPARTMENT,
     "duties": "牵头单位：汇总清单、绘制地块分布图、制定年度整改工作方案、整改方案备案、亩均效益评价、执法整治牵头",
     "sort_order": 10},
    {"code": "ZGJ", "name": "金华市自然资源和规划局金东分局", "short_name": "区资规分局", "kind": OrgKind.DEPARTMENT,
     "duties": "供地台账、闲置土地认定、司法处置复函、销号核查", "sort_order": 11},
    {"code": "ZJJ", "name": "金东区住房和城乡建设局", "short_name": "区住建局", "kind": OrgKind.DEPARTMENT,
     "duties": "施工许可、开工与竣工信息", "sort_order": 12},
    {"code": "SWJ", "name": "国家税务总局金华市金东区税务局", "short_name": "区税务局", "kind": OrgKind.DEPARTMENT,
     "duties": "亩均税收数据、差别化城镇土地使用税", "sort_order": 13},
    {"code": "ZFJ", "name": "金东区综合行政执法局", "short_name": "区行政执法局", "kind": OrgKind.DEPARTMENT,
     "duties": "违法建筑查处、联合执法", "sort_order": 14},
    {"code": "STJ", "name": "金华市生态环境局金东分局", "short_name": "区生态环境分局", "kind": OrgKind.DEPARTMENT,
     "duties": "排污许可与排放数据、环保执法", "sort_order": 15},
    {"code": "GDJ", "name": "国网金华供电公司金东供电分公司", "short_name": "区供电局", "kind": OrgKind.DEPARTMENT,
     "duties": "差别化电价执行、用电数据", "sort_order": 16},
    {"code": "GZGS", "name": "金东区区属国有企业（国资公司）", "short_name": "区属国资公司",
     "kind": OrgKind.STATE_COMPANY, "duties": "收购收储、承租闲置厂房、优先购买", "sort_order": 20},
    {"code": "FY", "name": "金华市金东区人民法院", "short_name": "区法院", "kind": OrgKind.COURT,
     "duties": "执行、破产案件中的土地司法处置联络", "sort_order": 30},
    {"code": "DCS", "name": "金东区人民政府督查室", "short_name": "区政府督查室", "kind": OrgKind.SUPERVISION,
     "duties": "按月督查各乡镇（街道）推进情况", "sort_order": 40},
]

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
    "name": "金华富祥化纤有限公司", "legal_representative": "", "contact_person": "钱经理",
    "contact_phone": "0579-8200 0000", "address": "金东经济开发区", "industry_name": "化学纤维制造业",
    "industry_code": "C28", "above_scale": True,
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
    accounts: list[DemoAccount] = field(default_factory=list)


def _upsert(model, lookup: dict[str, Any], data: dict[str, Any], create, update):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return create(data={**lookup, **data})
    changed = {k: v for k, v in data.items() if getattr(obj, k) != v}
    return update(obj, changed) if changed else obj


def _township_units() -> list[dict[str, Any]]:
    features = json.loads((DATA_DIR / "jindong_townships.geojson").read_text(encoding="utf-8"))["features"]
    units = []
    for f in sorted(features, key=lambda f: f["properties"]["code"]):
        p = f["properties"]
        units.append({
            "code": p["code"], "name": p["name"], "short_name": p["name"], "kind": OrgKind.TOWNSHIP,
            "township_type": p["type"], "area_km2": Decimal(str(p["area_km2"])).quantize(Decimal("0.01")),
            "boundary_geojson": f["geometry"], "boundary_source": BOUNDARY_SOURCE,
            "duties": "责任主体：排摸本辖区工业用地、上报清单、审核整改方案、按月报送进度、挂图作战和销号管理",
            "sort_order": 100 + len(units),
        })
    return units


def _seed_orgs(progress: Callable[[str], None]) -> dict[str, OrgUnit]:
    orgs: dict[str, OrgUnit] = {}
    for spec in [*DISTRICT_UNITS, *_township_units()]:
        code = spec["code"]
        data = {k: v for k, v in spec.items() if k != "code"}
        orgs[code] = _upsert(
            OrgUnit, {"code": code}, data,
            lambda data: account_services.orgunit_create(user=None, data=data, check=False),
            lambda obj, changed: account_services.orgunit_update(user=None, org=obj, data=changed, check=False),
        )
    progress(f"机构 {len(orgs)} 个（含 11 个乡镇街道及其边界）")
    return orgs


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
        if not account.check_password(DEMO_PASSWORD) or account.must_change_password:
            account.set_password(DEMO_PASSWORD)
            account.must_change_password = False
            account.save(update_fields=["password", "must_change_password"])
            record_event(obj=account, user=None, event="password_reset", comment="演示数据：恢复演示密码")
    exists = Membership.objects.filter(user=account, role=role, org_unit=org, enterprise=enterprise,
                                       is_active=True).exists()
    if not exists:
        account_services.membership_add(user=None, account=account, role=role, org_unit=org,
                                        enterprise=enterprise, title=title, check=False)
    return account


@transaction.atomic
def seed_demo(progress: Callable[[str], None] = lambda _msg: None) -> SeedResult:
    result = SeedResult()
    orgs = _seed_orgs(progress)
    result.orgs = len(orgs)

    duohu = orgs["330703001"]
    enterprise = _upsert(
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

    campaign = _upsert(
        Campaign, {"code": CAMPAIGN["code"]}, {k: v for k, v in CAMPAIGN.items() if k != "code"},
        lambda data: campaign_services.campaign_create(user=None, data=data, check=False),
        lambda obj, changed: campaign_services.campaign_update(user=None, campaign=obj, data=changed, check=False),
    )
    if not campaign.is_current:
        campaign_services.campaign_set_current(user=None, campaign=campaign, check=False)
    result.campaign = campaign.name
    progress(f"当前盘地行动：{campaign.name}")
    return result

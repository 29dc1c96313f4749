"""The district's reference organisations: the 11 townships (with boundaries) and the units the
plan names. `pandi setup-district` loads them on a new installation; the demo builds on them.
Idempotent: running it again changes only what differs (and audits that)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from pandi.domain.access import OrgKind

from . import services
from .models import OrgUnit

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BOUNDARY_SOURCE = "公开数据（精度约数十米，仅供参考），见 pandi/data/PROVENANCE.md"

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



def upsert(model, lookup: dict[str, Any], data: dict[str, Any], create, update):
    """Create the record, or update only the fields that differ (so a re-run writes no audit rows)."""
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


@transaction.atomic
def setup_district(progress: Callable[[str], None] = lambda _msg: None) -> dict[str, OrgUnit]:
    orgs: dict[str, OrgUnit] = {}
    for spec in [*DISTRICT_UNITS, *_township_units()]:
        code = spec["code"]
        data = {k: v for k, v in spec.items() if k != "code"}
        orgs[code] = upsert(
            OrgUnit, {"code": code}, data,
            lambda data: services.orgunit_create(user=None, data=data, check=False),
            lambda obj, changed: services.orgunit_update(user=None, org=obj, data=changed, check=False),
        )
    progress(f"机构 {len(orgs)} 个（含 11 个乡镇街道及其边界）")
    return orgs

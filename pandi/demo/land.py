"""The demo district's land: about 1,500 industrial parcels in industrial zones inside the real
township boundaries, the 117 real 金东 landchina industrial supply records placed on some of them,
holders, construction facts that produce every state, and building footprints on built parcels.

Deterministic (fixed random seeds) and re-runnable: parcels are keyed by code and the services
change only what differs. Shapes, holders other than the real records' and all construction facts
are fictitious.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from shapely.geometry import Point, Polygon, mapping, shape
from shapely.ops import unary_union

from pandi.domain.dates import add_months
from pandi.domain.geo import from_ground, to_ground
from pandi.domain.uscc import uscc_check_char
from pandi.land import services as land
from pandi.land.models import Building, Enterprise, Parcel

from .layout import ZoneSpec, footprints, place, zone_parcels

DATA = Path(__file__).resolve().parent / "data" / "jindong_industrial_landchina_2012_2016.csv"

# zones per township (by NBS code): the larger industrial townships get more
ZONES = {
    "330703001": 2, "330703002": 2, "330703101": 3, "330703102": 1, "330703103": 2, "330703104": 2,
    "330703105": 1, "330703106": 2, "330703107": 1, "330703108": 1, "330703200": 1,
}
STEMS = {"多湖": "330703001", "东孝": "330703002", "孝顺": "330703101", "傅村": "330703102", "曹宅": "330703103",
         "澧浦": "330703104", "岭下": "330703105", "江东": "330703106", "塘雅": "330703107", "赤松": "330703108",
         "源东": "330703200"}
FIRMS = ["恒达", "金源", "鑫隆", "华瑞", "永盛", "宏远", "天成", "正泰", "东方", "新力", "博瑞", "汇丰", "中科", "联创",
         "康达", "顺发", "锦程", "立信", "海纳", "众鑫", "凯旋", "精工", "远航", "星火", "佳和", "晨光", "同力", "腾飞"]
TRADES = [("机械制造", "C34"), ("五金工具", "C33"), ("电子科技", "C39"), ("新材料", "C30"), ("纺织", "C17"),
          ("汽车配件", "C36"), ("家居用品", "C21"), ("塑料制品", "C29"), ("电气设备", "C38"), ("食品", "C14"),
          ("医疗器械", "C35"), ("包装材料", "C22")]


@dataclass
class LandStats:
    parcels: int = 0
    real_records: int = 0
    buildings: int = 0
    enterprises: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


def _uscc(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91330703" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc_check_char(body)


def _date(text: str) -> date | None:
    text = (text or "").strip()
    if not text or text.startswith("1900"):
        return None
    return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))


def _dec(text: str) -> Decimal | None:
    text = (text or "").strip()
    return Decimal(text) if text else None


def real_records() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _record_township(r: dict[str, str]) -> str | None:
    text = r["项目位置"] + r["项目名称"]
    for stem, code in STEMS.items():
        if stem in text:
            return code
    return None


def _zone_sites(township: Polygon, count: int, rng: random.Random, taken: list[Polygon]) -> list[tuple[float, float]]:
    """Zone centres inside the township, away from its edge and from other zones."""
    inner = township.buffer(-700)
    if inner.is_empty:
        inner = township.buffer(-200)
    minx, miny, maxx, maxy = inner.bounds
    sites: list[tuple[float, float]] = []
    for _ in range(4000):
        if len(sites) == count:
            break
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        p = Point(x, y)
        if not inner.contains(p):
            continue
        zone = p.buffer(1400)
        if any(zone.intersects(t) for t in taken):
            continue
        sites.append((x, y))
        taken.append(zone)
    return sites


def _construction_plan(rng: random.Random, contract: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """Pick a story for a parcel and the construction facts that tell it."""
    if contract is None:
        return "no_supply", {}
    start = contract.get("agreed_start") or contract.get("contract_date") or date(2015, 1, 1)
    roll = rng.random()
    if roll < 0.52:
        actual = start + timedelta(days=rng.randint(-20, 240))
        done = add_months(actual, rng.randint(12, 30))
        return "completed", {"permit_no": f"330703{actual.year}{rng.randint(1000, 9999)}", "permit_date":
                             actual - timedelta(days=rng.randint(10, 60)), "actual_start": actual,
                             "actual_completion": done}
    if roll < 0.62:
        actual = start + timedelta(days=rng.randint(30, 400))
        return "under_construction", {"permit_no": f"330703{actual.year}{rng.randint(1000, 9999)}",
                                      "permit_date": actual - timedelta(days=20), "actual_start": actual}
    if roll < 0.70:
        actual = start + timedelta(days=rng.randint(0, 200))
        required = contract["area_m2"]
        return "stalled", {"actual_start": actual, "suspended_since": actual + timedelta(days=rng.randint(90, 300)),
                           "required_dev_area_m2": required,
                           "developed_area_m2": (required * Decimal(rng.uniform(0.05, 0.3))).quantize(Decimal("0.01")),
                           "invested_wan": Decimal(rng.randint(100, 900)),
                           "total_investment_wan": Decimal(rng.randint(3000, 9000))}
    if roll < 0.74:
        return "government", {"idle_cause": "government", "government_cause_item": rng.choice([1, 2, 5])}
    return "not_started", {}


def seed_land(*, orgs: dict[str, Any], progress: Callable[[str], None] = lambda _m: None,
              zones: dict[str, int] | None = None) -> LandStats:
    """`zones` (township code -> number of zones) defaults to the whole district (ZONES)."""
    zones = zones or ZONES
    rng = random.Random(20210430)
    stats = LandStats()
    records = real_records()
    by_township: dict[str, list[dict[str, str]]] = {code: [] for code in zones}
    fallback = [c for c in ("330703001", "330703002", "330703101") if c in zones] or list(zones)
    for i, r in enumerate(records):
        code = _record_township(r)
        by_township[code if code in by_township else fallback[i % len(fallback)]].append(r)

    taken: list[Polygon] = []
    existing = {p.code: p for p in Parcel.objects.filter(code__startswith="JD")}
    n_enterprise = 0
    for code, zone_count in zones.items():
        township = orgs[code]
        ground = to_ground(shape(township.boundary_geojson))
        ground = unary_union(ground) if ground.geom_type == "MultiPolygon" else ground
        trng = random.Random(f"{code}-zones")
        sites = _zone_sites(ground, zone_count, trng, taken)
        recs = by_township[code]
        per_zone = [recs[i::max(len(sites), 1)] for i in range(len(sites))]
        for z, (cx, cy) in enumerate(sites, start=1):
            spec = ZoneSpec(blocks_x=trng.randint(4, 6), blocks_y=trng.randint(2, 4))
            angle = trng.uniform(-35, 35)
            zone_recs = per_zone[z - 1]
            areas = [float(r["面积(公顷)"]) * 10000 for r in zone_recs]
            seq = 0
            shapes = [place(p, cx, cy, angle) for p in zone_parcels(spec, trng, areas)]
            inside = ground.buffer(-5)
            for poly in shapes:
                if not inside.contains(poly):
                    continue
                seq += 1
                parcel_code = f"JD{code[-3:]}-{z:02d}-{seq:03d}"
                record = zone_recs[seq - 1] if seq <= len(zone_recs) else None
                geometry = mapping(from_ground(poly))
                parcel = existing.get(parcel_code) or _create_parcel(parcel_code, record, township, geometry)
                stats.parcels += 1
                if record is not None:
                    stats.real_records += 1
                n_enterprise += _populate(parcel, record, poly, rng, stats)
            progress(f"{township.name} 第 {z} 个工业功能区：{seq} 宗")
    stats.enterprises = Enterprise.objects.count()
    stats.buildings = Building.objects.count()
    for parcel in Parcel.objects.all().only("state"):
        stats.by_state[parcel.state] = stats.by_state.get(parcel.state, 0) + 1
    return stats


def _create_parcel(parcel_code: str, record: dict[str, str] | None, township: Any, geometry: dict) -> Parcel:
    data: dict[str, Any] = {"code": parcel_code, "township": township, "land_use": "工业用地"}
    if record is not None:
        data.update(supervision_no=record["电子监管号"], name=record["项目名称"][:200],
                    location=record["项目位置"][:300])
    return land.parcel_create(user=None, check=False, data=data, geometry=geometry)


def _populate(parcel: Parcel, record: dict[str, str] | None, poly: Polygon, rng: random.Random,
              stats: LandStats) -> int:
    """Holder, contract, construction facts and buildings of a new demo parcel (skipped when present)."""
    prng = random.Random(parcel.code)
    if parcel.contracts.exists() or parcel.holdings.exists() or (record is None and prng.random() < 0.08):
        return 0  # already populated on an earlier run, or a parcel deliberately without supply
    trade, industry_code = prng.choice(TRADES)
    if record is not None:
        holder = record["土地使用权人"].split("、")[0] or record["项目名称"]
        enterprise, _ = land.enterprise_find_or_create(user=None, check=False, name=holder[:200],
                                                       township=parcel.township)
        contract = {
            "supervision_no": record["电子监管号"], "district_text": record["行政区"],
            "project_name": record["项目名称"][:300], "project_location": record["项目位置"][:300],
            "area_ha": _dec(record["面积(公顷)"]), "land_source": record["土地来源"],
            "land_use": record["土地用途"],
            "supply_method": record["供地方式"] or "", "term_years": int(record["土地使用年限"] or 0) or None,
            "industry": record["行业分类"], "land_grade": record["土地级别"],
            "price_wan": _dec(record["成交价格(万元)"]),
            "holder_name": record["土地使用权人"][:300], "far_min": _dec(record["约定容积率下限"]) or None,
            # landchina writes 0.00 for "no upper bound"
            "far_max": _dec(record["约定容积率上限"]) or None, "contract_date": _date(record["合同签订日期"]),
            "agreed_handover": _date(record["约定交地时间"]), "agreed_start": _date(record["约定开工时间"]),
            "agreed_completion": _date(record["约定竣工时间"]), "approval_authority": record["批准单位"],
        }
        if contract["far_min"] and contract["far_max"] and contract["far_max"] < contract["far_min"]:
            contract["far_min"], contract["far_max"] = contract["far_max"], contract["far_min"]
    else:
        name = f"{prng.choice(['金华', '浙江', '金华市'])}{prng.choice(FIRMS)}{trade}有限公司"
        enterprise, _ = land.enterprise_find_or_create(user=None, check=False, name=name, uscc=_uscc(prng),
                                                       township=parcel.township)
        if not enterprise.industry_code:
            land.enterprise_update(user=None, check=False, enterprise=enterprise,
                                   data={"industry_code": industry_code, "industry_name": trade,
                                         "above_scale": prng.random() < 0.4})
        year = prng.randint(2008, 2026)
        signed = date(year, prng.randint(1, 9 if year == 2026 else 12), prng.randint(1, 28))
        area_mu = (parcel.area_m2 or Decimal(0)) * 15 / 10000
        unknown_dates = prng.random() < 0.03
        contract = {
            "supervision_no": "", "project_name": f"{name}年产项目"[:300], "land_use": "工业用地",
            "supply_method": prng.choice(["挂牌出让", "挂牌出让", "协议出让", "拍卖出让"]), "term_years": 50,
            "industry": trade, "holder_name": name, "area_ha": ((parcel.area_m2 or 0) / Decimal(10000)).quantize(
                Decimal("0.000001")),
            "price_wan": (area_mu * Decimal(prng.randint(18, 42))).quantize(Decimal("0.0001")),
            "far_min": Decimal(prng.choice(["1.0", "1.2", "1.5", "2.0"])), "contract_date": signed,
            "agreed_handover": None if unknown_dates else signed + timedelta(days=90),
            "agreed_start": None if unknown_dates else signed + timedelta(days=prng.randint(150, 240)),
            "agreed_completion": None if unknown_dates else add_months(signed, prng.randint(24, 36)),
        }
    land.holding_add(user=None, check=False, parcel=parcel, enterprise=enterprise)
    contract["area_m2"] = parcel.area_m2 or Decimal(0)
    story, facts = _construction_plan(prng, contract)
    del contract["area_m2"]
    land.contract_create(user=None, check=False, parcel=parcel, data=contract)
    if facts:
        land.construction_update(user=None, check=False, parcel=parcel, data=facts)
    if story in ("completed", "under_construction") or (story == "stalled" and prng.random() < 0.5):
        coverage = prng.uniform(0.15, 0.3) if prng.random() < 0.2 else prng.uniform(0.35, 0.6)
        if story != "completed":
            coverage *= 0.5
        for b in footprints(poly, prng, coverage):
            land.building_create(user=None, check=False, parcel=parcel, geometry=mapping(from_ground(b)),
                                 data={"storeys": prng.randint(1, 5), "year_built": (facts.get("actual_completion")
                                       or facts.get("actual_start")).year,
                                       "floor_area_m2": None})
    if prng.random() < 0.15 and story in ("not_started", "stalled"):
        land.standard_conditions_update(user=None, check=False, parcel=parcel, data={
            "industry_access": enterprise.industry_code or "C34", "investment_intensity_wan_per_mu": Decimal(300),
            "far_min": Decimal("1.2"), "construction_months": 24, "tax_per_mu_wan": Decimal(25),
            "output_per_mu_wan": Decimal(300)})
    return 1

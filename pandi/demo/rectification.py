"""The demo district's rectification (R9–R11), told as it happened from May 2021: for about 25
inventory entries held by one enterprise each, the townships enter plans on the enterprises' behalf
or send them a signed link, review them, 区经商局 files them, and the enterprises report monthly with
site photos — until the plans are completed, fall overdue, are refused or withdrawn, or amended.

Everything goes through the services, as the users would do it; the workflow dates of the scenario
(2021–2022) are passed as `now=`, while records without such a parameter (creation, reports, the
timeline) keep the real time of writing. At the end the action queue is refreshed for today's date,
as `pandi tick` would: plans whose deadline has passed by then become 逾期. Re-running does nothing
once the campaign has a plan.
"""

from __future__ import annotations

import io
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pandi.accounts.models import Membership, User
from pandi.domain.dates import add_months
from pandi.domain.rectification import months_between
from pandi.land.models import Enterprise, Holding
from pandi.rectification import services
from pandi.rectification.models import PlanStep, RectificationPlan
from pandi.rectification.services import LinkUser, Upload
from pandi.screening.models import InventoryEntry
from pandi.supervision.models import Campaign

from .photos import site_photo
from .seed import DEMO_ENTERPRISE

SCENARIO_TODAY = date(2022, 3, 15)   # the story is told as of mid-March 2022

# what happens to each plan, most telling first (a small district gets the first ones)
STORIES = ["in_progress", "overdue", "completed", "refused", "returned", "submitted", "approved", "filed",
           "draft", "withdrawn", "amended", "in_progress_queried", "returned_by_district", "draft_incomplete",
           "in_progress", "overdue_refused", "in_progress_link", "submitted_link", "completed", "in_progress",
           "filed", "in_progress", "overdue", "in_progress_link", "submitted"]

ROUTES = ["self_build", "expand", "joint", "transfer", "lease"]
ROUTE_TEXT = {
    "self_build": ("按出让合同约定自行投资建设标准厂房，限期开工、竣工投产",
                   "委托设计院完成方案设计，分期建设：一期建设生产厂房，二期建设仓储及配套用房"),
    "expand": ("在现有厂区内扩建生产车间，提高容积率和亩均产出",
               "拆除低效简易棚房，新建多层标准厂房，引进自动化生产线"),
    "joint": ("引入合作方共同投资开发，建设小微企业园",
              "与区属国资公司成立项目公司，统一规划建设、统一招商运营"),
    "transfer": ("依法转让土地使用权，由受让方按约定开发建设",
                 "委托评估后公开挂牌寻找受让方，转让合同约定开竣工时间和亩均税收"),
    "lease": ("修缮现有厂房后整体出租，引进符合产业导向的企业",
              "对闲置厂房进行加固改造，通过区招商平台招引承租企业入驻投产"),
}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


def _month_end(d: date) -> date:
    return add_months(d.replace(day=1), 1) - timedelta(days=1)


@dataclass
class Cast:
    lead: User
    officers: dict[int, User]
    qiye: User | None
    qiye_enterprise_id: int | None


def _candidates(campaign: Campaign) -> list[tuple[InventoryEntry, int, list[Any]]]:
    """Accepted entries whose parcels have exactly one current holder, none sharing a parcel with an
    entry taken before; the demo enterprise's entries first."""
    entries = list(InventoryEntry.objects.filter(inventory_list__campaign=campaign, inventory_list__status="accepted",
                                                 included=True).exclude(number="").exclude(township=None)
                   .prefetch_related("parcels").order_by("number", "id"))
    parcel_ids = {p.pk for e in entries for p in e.parcels.all()}
    holders: dict[int, set[int]] = defaultdict(set)
    for parcel_id, enterprise_id in Holding.objects.filter(parcel_id__in=parcel_ids, is_current=True).values_list(
            "parcel_id", "enterprise_id"):
        holders[parcel_id].add(enterprise_id)
    out = []
    for e in entries:
        parcels = list(e.parcels.all())
        if not parcels or any(len(holders[p.pk]) != 1 for p in parcels):
            continue
        owners = {next(iter(holders[p.pk])) for p in parcels}
        if len(owners) == 1:
            out.append((e, owners.pop(), parcels))
    return out


def _pick(candidates: list[tuple[InventoryEntry, int, list[Any]]], n: int, first_enterprise: int | None
          ) -> list[tuple[InventoryEntry, int, list[Any]]]:
    """Up to n entries, round-robin over the townships, no parcel twice, one plan per enterprise."""
    by_township: dict[int, list] = defaultdict(list)
    for c in sorted(candidates, key=lambda c: (c[1] != first_enterprise, c[0].number)):
        by_township[c[0].township_id].append(c)
    order = sorted(by_township, key=lambda t: (not any(c[1] == first_enterprise for c in by_township[t]), t))
    picked, used_parcels, used_enterprises = [], set(), set()
    while len(picked) < n and any(by_township.values()):
        for t in order:
            while by_township[t]:
                c = by_township[t].pop(0)
                ids = {p.pk for p in c[2]}
                if ids & used_parcels or c[1] in used_enterprises:
                    continue
                picked.append(c)
                used_parcels |= ids
                used_enterprises.add(c[1])
                break
            if len(picked) >= n:
                break
    return picked


def _content(entry: InventoryEntry, rng: random.Random, route: str, start: date, deadline: date,
             complete: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    area = Decimal(entry.area_m2)
    mu = area * 15 / 10000
    far = Decimal(rng.choice(["1.2", "1.5", "1.8", "2.0"]))
    builds = route in ("self_build", "expand", "joint")
    floor = (area * far * Decimal("0.8")).quantize(Decimal("100")) if builds else Decimal(0)
    investment = (mu * rng.randint(220, 420)).quantize(Decimal("10"))
    output = (investment * Decimal(rng.choice(["1.5", "1.8", "2.2"]))).quantize(Decimal("10"))
    measures, approach = ROUTE_TEXT[route]
    data = {"route": route, "measures": measures, "approach": approach, "start": start, "deadline": deadline,
            "new_floor_area_m2": floor, "far_after": far if builds else Decimal("0.8"), "investment_wan": investment,
            "output_wan": output, "tax_wan": (output * Decimal("0.04")).quantize(Decimal("1")),
            "jobs": int(mu * rng.randint(1, 3)) + 10}
    months = months_between(start, deadline)
    n = len(months)
    if builds:
        actions = (["办理规划许可和施工许可", "场地平整、桩基施工"] + [f"主体结构施工（{k} 层）" for k in range(1, 4)]
                   + ["主体结构结顶"] + ["外墙、屋面及安装工程"] * 3 + ["室外配套工程", "消防及规划核实", "竣工验收"])
        milestones = {0: "permit", 1: "start", n // 2: "topping_out", n - 1: "completion"}
        build_months = range(1, max(2, n - 1))
        per_month = (floor / len(build_months)).quantize(Decimal("1")) if floor else Decimal(0)
    else:
        actions = (["委托评估、确定处置方案", "公开挂牌（招租）寻找受让方或承租方", "签订合同",
                    "办理不动产登记或租赁备案"] + ["受让（承租）方进场改造"] * 6 + ["设备安装调试", "投产运营"])
        milestones = {2: "transfer" if route == "transfer" else "lease", n - 1: "production"}
        build_months, per_month = range(0), Decimal(0)
    steps = []
    for i, m in enumerate(months):
        action = actions[min(i * len(actions) // n, len(actions) - 1)] if i not in (0, n - 1) else (
            actions[0] if i == 0 else actions[-1])
        steps.append({"month": m, "action": action, "milestone": milestones.get(i, ""),
                      "floor_area_m2": per_month if i in build_months else Decimal(0),
                      "investment_wan": (investment / n).quantize(Decimal("0.01"))})
    if not complete:  # a draft the township has only begun: no benefits yet, three months of steps
        for k in ("output_wan", "tax_wan", "jobs"):
            data[k] = None
        steps = steps[:3]
    return data, steps


def _inside_point(parcels: list[Any], rng: random.Random) -> tuple[float, float]:
    from shapely.geometry import Point, shape

    geoms = [shape(p.geometry) for p in parcels if p.geometry]
    if not geoms:
        return 119.72, 29.11
    g = geoms[0]
    minx, miny, maxx, maxy = g.bounds
    for _ in range(30):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if g.buffer(-0.00005).contains(Point(x, y)):
            return round(x, 6), round(y, 6)
    p = g.representative_point()
    return round(p.x, 6), round(p.y, 6)


def _permit_pdf(title: str, day: date) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (595, 842), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([30, 30, 565, 812], outline=(160, 30, 30), width=4)
    from .photos import cjk_font

    font, cjk = cjk_font(28)
    small, _ = cjk_font(18)
    d.text((80, 90), "建筑工程施工许可证" if cjk else "Construction Permit", fill=(160, 30, 30), font=font)
    d.text((80, 170), title if cjk else "", fill=(20, 20, 20), font=small)
    d.text((80, 210), f"{day:%Y-%m-%d}", fill=(20, 20, 20), font=small)
    out = io.BytesIO()
    img.save(out, "PDF", resolution=72)
    return out.getvalue()


class _Story:
    """One plan's scenario: who plays the enterprise and the township, and the dated moves."""

    def __init__(self, cast: Cast, entry: InventoryEntry, enterprise_id: int, parcels: list[Any]):
        self.cast, self.entry, self.parcels = cast, entry, parcels
        self.rng = random.Random(f"rect-{entry.number}")
        self.officer = cast.officers[entry.township_id]
        self.enterprise_user = cast.qiye if enterprise_id == cast.qiye_enterprise_id else None
        self.plan: RectificationPlan | None = None
        self.link_user: LinkUser | None = None

    # the enterprise: its own login, else a signed link once one was sent, else the township on its behalf
    def ent(self) -> Any:
        return self.enterprise_user or self.link_user or self.officer

    def send_link(self, purpose: str) -> None:
        if self.enterprise_user is None:
            _link, token = services.link_create(user=self.officer, plan=self.plan, purpose=purpose)
            self.link_user = LinkUser(services.link_resolve(token, purpose=purpose))

    def create(self, route: str, start: date, deadline: date, complete: bool = True) -> None:
        data, steps = _content(self.entry, self.rng, route, start, deadline, complete)
        self.plan = services.plan_create(user=self.enterprise_user or self.officer, entries=[self.entry], data=data,
                                         steps=steps)

    def move(self, user: Any, action: str, day: date, comment: str = "") -> None:
        self.plan = services.plan_transition(user=user, plan=self.plan, action=action, comment=comment,
                                             now=_at(day, 9 + self.rng.randint(0, 7)))

    def to_filed(self, submitted: date) -> None:
        self.move(self.ent(), "submit", submitted)
        self.move(self.officer, "approve", submitted + timedelta(days=self.rng.randint(2, 6)), "方案可行，同意")
        self.move(self.cast.lead, "file", submitted + timedelta(days=self.rng.randint(7, 10)), "")

    def report(self, months: int, pace: float, *, confirm_last: bool = True, query_last: bool = False,
               photo_away: bool = False) -> None:
        """Monthly reports for the first `months` months of the plan; the township confirms them."""
        plan = self.plan
        steps = list(PlanStep.objects.filter(plan=plan).order_by("month"))
        for k, step in enumerate(steps[:months]):
            f = Decimal(str(round(pace * self.rng.uniform(0.85, 1.1), 2)))
            item = {"step_id": step.pk, "floor_area_m2": (step.floor_area_m2 * f).quantize(Decimal("1")),
                    "investment_wan": (step.investment_wan * f).quantize(Decimal("0.01")),
                    "milestone_reached": bool(step.milestone) and f >= Decimal("0.9"),
                    "note": "" if f >= 1 else "受天气和原材料供应影响，进度略有滞后"}
            last = k == months - 1
            uploads = [self.photo(step, k, months)]
            if self.rng.random() < 0.5:
                uploads.append(self.photo(step, k, months, second=True))
            if last and photo_away:  # taken at the company's office, not on the parcel
                uploads.append(self.photo(step, k, months, away=True))
            if step.milestone == "permit" and item["milestone_reached"]:
                uploads.append(Upload("permit", "施工许可证.pdf", _permit_pdf(self.entry.label[:30], step.month)))
            done = "，按计划完成。" if f >= 1 else "，完成计划的大部分工作。"
            narrative = f"{step.month:%Y年%m月}：{step.action}{done}"
            report = services.report_submit(user=self.ent(), plan=plan, month=step.month, narrative=narrative,
                                            items=[item], uploads=uploads)
            if last and query_last:
                services.report_review(user=self.officer, report=report, confirm=False,
                                       comment="部分照片拍摄位置不在宗地范围内，请补充现场照片并说明")
            elif not last or confirm_last:
                services.report_review(user=self.officer, report=report, confirm=True)
            plan.refresh_from_db()
        self.plan = plan

    def photo(self, step: PlanStep, k: int, months: int, *, second: bool = False, away: bool = False) -> Upload:
        lon, lat = _inside_point(self.parcels, self.rng)
        if away:
            lon, lat = round(lon + 0.012, 6), round(lat + 0.004, 6)
        day = min(28, 8 + self.rng.randint(0, 18))
        taken = datetime(step.month.year, step.month.month, day, self.rng.randint(8, 16), self.rng.randint(0, 59))
        stage = (k + 1) / max(months, 1) if step.floor_area_m2 or step.milestone else 0.1
        content = site_photo(taken=taken, lon=lon, lat=lat, stage=min(1.0, stage), seed=f"{self.entry.number}-{k}",
                             caption=f"{self.entry.number} {step.action}"[:40])
        name = f"现场照片_{taken:%Y%m%d_%H%M}{'_2' if second else ''}{'_办公室' if away else ''}.jpg"
        return Upload("photo", name, content)


def _tell(s: _Story, story: str, i: int) -> None:
    rng = s.rng
    route = ROUTES[i % len(ROUTES)]
    start = date(2021, 6, 1) if i % 3 else date(2021, 6, 15)
    full = _month_end(add_months(start, 11))            # within the 12 months (R11)
    submitted = date(2021, 5, 10) + timedelta(days=rng.randint(0, 20))
    lead, officer = s.cast.lead, s.officer
    if story == "draft_incomplete":
        s.create(route, start, full, complete=False)
    elif story == "draft":
        s.create(route, start, full)
        s.send_link("plan")
    elif story in ("submitted", "submitted_link"):
        s.create(route, start, full)
        if story == "submitted_link":
            s.send_link("plan")
            services.plan_update(user=s.ent(), plan=s.plan,
                                 data={"approach": s.plan.approach + "（企业通过填报链接补充）"})
        s.move(s.ent(), "submit", submitted)
    elif story == "returned":
        s.create(route, start, full)
        s.move(s.ent(), "submit", submitted)
        s.move(officer, "return", submitted + timedelta(days=4),
               "整改措施过于笼统，请细化每月实施内容、计划投资和开工面积")
    elif story == "returned_by_district":
        s.create(route, start, full)
        s.move(s.ent(), "submit", submitted)
        s.move(officer, "approve", submitted + timedelta(days=3), "同意上报")
        s.move(lead, "return", submitted + timedelta(days=8), "新增建筑面积与出让合同约定容积率不符，请核实后重新报送")
    elif story == "approved":
        s.create(route, start, full)
        s.move(s.ent(), "submit", date(2021, 6, 21))
        s.move(officer, "approve", date(2021, 6, 25), "同意，报区经商局备案")
    elif story == "filed":
        s.create(route, date(2021, 6, 30), _month_end(add_months(date(2021, 6, 30), 11)))
        s.to_filed(date(2021, 6, 8))
    elif story == "withdrawn":
        s.create("self_build", start, full)
        s.move(s.ent(), "submit", submitted)
        s.move(s.ent(), "withdraw", submitted + timedelta(days=6), "企业拟整体转让地块，撤回自建方案，改报转让方案")
        s.create("transfer", start, full)   # the new plan on the same entry
        s.move(s.ent(), "submit", submitted + timedelta(days=9))
    elif story == "refused":
        s.create(route, start, full, complete=False)
        s.move(officer, "refuse", date(2021, 7, 5), "经多次约谈，企业明确表示不进行整改，亦不配合提交整改方案")
    elif story.startswith("in_progress") or story == "amended":
        s.create(route, start, full)
        if story == "in_progress_link":
            s.send_link("progress")
        s.to_filed(submitted)
        s.move(s.ent(), "start", start)
        months = 2 + i % 5                                    # 2–6 monthly reports
        pace = 0.55 if i % 4 == 1 else 1.0
        s.report(months, pace, confirm_last=i % 2 == 0, query_last=story == "in_progress_queried",
                 photo_away=story == "in_progress_queried")
        if story == "amended":
            s.move(s.ent(), "amend", date(2021, 10, 12), "受原材料价格上涨影响，调整为分两期建设，一期厂房提前竣工")
            # the steps stay: months already reported are referenced by the reports
            services.plan_update(user=s.ent(), plan=s.plan, data={
                "measures": "调整为分两期建设：一期建设生产厂房并先行投产，二期建设仓储及配套用房",
                "investment_wan": (s.plan.investment_wan * Decimal("1.15")).quantize(Decimal("10"))})
            s.plan.refresh_from_db()
            s.move(s.ent(), "submit", date(2021, 10, 15))
            s.move(officer, "approve", date(2021, 10, 20), "同意变更")
            s.move(lead, "file", date(2021, 10, 25))
            s.move(s.ent(), "start", date(2021, 10, 26))
    elif story == "completed":
        deadline = _month_end(add_months(start, 6))
        s.create(route, start, deadline)
        s.to_filed(submitted)
        s.move(s.ent(), "start", start)
        s.report(len(months_between(start, deadline)), 1.05)
        s.move(officer, "complete", deadline - timedelta(days=3), "经现场核查，已按方案完成整改")
    elif story in ("overdue", "overdue_refused"):
        deadline = _month_end(add_months(start, 6))
        s.create(route, start, deadline)
        s.to_filed(submitted)
        s.move(s.ent(), "start", start)
        s.report(3, 0.5, photo_away=False)
        s.move(None, "mark_overdue", deadline + timedelta(days=1), "整改期限已过，尚未完成")
        if story == "overdue_refused":
            s.move(lead, "refuse", date(2022, 3, 1), "逾期未完成整改，经约谈仍拒不整改，移交综合执法")
    else:  # pragma: no cover - a story name not handled above
        raise ValueError(story)


def seed_rectification(*, progress: Callable[[str], None] = lambda _m: None, today: date | None = None
                       ) -> dict[str, Any]:
    """Plans in every state for the current campaign's entries; then the queue as of `today`
    (default: the real date)."""
    campaign = Campaign.objects.filter(is_current=True).first()
    if campaign is None or RectificationPlan.objects.filter(campaign=campaign).exists():
        return {"skipped": True}
    lead = User.objects.filter(username="jsj").first()
    officers = {m.org_unit_id: m.user for m in Membership.objects.filter(role="township_officer", is_active=True)
                .select_related("user").order_by("id")}
    qiye = User.objects.filter(username="qiye").first()
    qiye_ent = Enterprise.objects.filter(name=DEMO_ENTERPRISE["name"]).values_list("pk", flat=True).first()
    if lead is None:
        return {"skipped": True}
    cast = Cast(lead, officers, qiye, qiye_ent)
    picked = [c for c in _pick(_candidates(campaign), len(STORIES), qiye_ent) if c[0].township_id in officers]
    told: Counter[str] = Counter()
    for i, (entry, enterprise_id, parcels) in enumerate(picked):
        story = STORIES[i]
        _tell(_Story(cast, entry, enterprise_id, parcels), story, i)
        told[story] += 1
    qiye_plans = RectificationPlan.objects.filter(enterprise_id=qiye_ent).count() if qiye_ent else 0
    from pandi.rectification.models import Evidence, ProgressReport

    progress(f"整改方案：{len(picked)} 个清单条目按 2021–2022 年情景办理，月度进展 "
             f"{ProgressReport.objects.filter(plan__campaign=campaign).count()} 份，"
             f"佐证材料 {Evidence.objects.filter(report__plan__campaign=campaign).count()} 件")
    if qiye_ent and not qiye_plans:
        progress(f"演示企业“{DEMO_ENTERPRISE['name']}”未持有清单地块，企业账号 qiye 暂无整改方案")
    counts = services.queue_refresh(today=today)
    states = Counter(RectificationPlan.objects.filter(campaign=campaign).values_list("status", flat=True))
    progress("整改方案状态：" + "，".join(f"{k} {v}" for k, v in sorted(states.items()))
             + f"；待办事项新增 {counts['opened']} 条")
    return {"plans": sum(states.values()), "states": dict(states), "stories": dict(told), "queue": counts,
            "qiye_plans": qiye_plans}

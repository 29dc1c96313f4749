"""A campaign's dates and targets: consistency rules and derived dates (R1, R6–R11, R18)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from .dates import add_months


@dataclass(frozen=True)
class CampaignTerms:
    start: date
    survey_deadline: date
    work_plan_deadline: date
    rectification_start_deadline: date
    rectification_months: int
    horizon_months: int
    target_reclaimed_mu: Decimal
    target_floor_area_m2: Decimal
    annual_acquisition_mu: Decimal
    annual_lease_m2: Decimal
    district_list_min_mu: Decimal
    township_list_min_mu: Decimal

    @property
    def end(self) -> date:
        """The last day of the campaign horizon (start + horizon, exclusive end minus nothing)."""
        return add_months(self.start, self.horizon_months)

    @property
    def rectification_end(self) -> date:
        """Latest completion in principle: rectification start deadline + rectification duration."""
        return add_months(self.rectification_start_deadline, self.rectification_months)


def campaign_problems(t: CampaignTerms) -> dict[str, str]:
    """Field name -> Chinese message, for every rule the terms break."""
    problems: dict[str, str] = {}
    order = [
        ("start", "开始日期", t.start),
        ("survey_deadline", "排摸清单截止日期", t.survey_deadline),
        ("work_plan_deadline", "年度工作方案截止日期", t.work_plan_deadline),
        ("rectification_start_deadline", "整改启动截止日期", t.rectification_start_deadline),
    ]
    for (_, prev_label, prev), (name, label, value) in pairwise(order):
        if value < prev:
            problems[name] = f"{label}（{value:%Y-%m-%d}）不能早于{prev_label}（{prev:%Y-%m-%d}）"
    if t.rectification_months <= 0:
        problems["rectification_months"] = "整改期限必须大于 0 个月"
    if t.horizon_months <= 0:
        problems["horizon_months"] = "行动周期必须大于 0 个月"
    elif add_months(t.start, t.horizon_months) < t.rectification_start_deadline:
        problems["horizon_months"] = "行动周期结束日期不能早于整改启动截止日期"
    positives = [
        ("target_reclaimed_mu", "盘活目标（亩）", t.target_reclaimed_mu),
        ("target_floor_area_m2", "新开工厂房面积目标（平方米）", t.target_floor_area_m2),
        ("district_list_min_mu", "区级清单面积门槛（亩）", t.district_list_min_mu),
        ("township_list_min_mu", "乡镇清单面积门槛（亩）", t.township_list_min_mu),
    ]
    for name, label, value in positives:
        if value <= 0:
            problems[name] = f"{label}必须大于 0"
    for name, label, value in [
        ("annual_acquisition_mu", "国企年度收购收储目标（亩）", t.annual_acquisition_mu),
        ("annual_lease_m2", "国企年度承租目标（平方米）", t.annual_lease_m2),
    ]:
        if value < 0:
            problems[name] = f"{label}不能为负数"
    if (
        "district_list_min_mu" not in problems
        and "township_list_min_mu" not in problems
        and t.township_list_min_mu > t.district_list_min_mu
    ):
        problems["township_list_min_mu"] = "乡镇清单面积门槛不能大于区级清单面积门槛"
    return problems

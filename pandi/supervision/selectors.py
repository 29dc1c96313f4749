from __future__ import annotations

from typing import Any

from .models import Campaign


def campaign_list(*, user: Any):
    return Campaign.objects.visible_to(user).order_by("-is_current", "-start")


def campaign_current(*, user: Any) -> Campaign | None:
    return Campaign.objects.visible_to(user).filter(is_current=True).first()


def campaign_milestones(*, campaign: Campaign, today: Any) -> list[dict[str, Any]]:
    """The campaign's deadlines in order, each with days left (negative once passed)."""
    items = [
        ("行动开始", campaign.start, "R1"),
        ("区级清单、乡镇清单上报截止", campaign.survey_deadline, "R6 R7"),
        ("年度整改工作方案截止", campaign.work_plan_deadline, "R8"),
        ("企业整改启动截止", campaign.rectification_start_deadline, "R11"),
        ("整改原则上完成", campaign.rectification_end, "R11"),
        ("行动周期结束", campaign.end, "R1"),
    ]
    return [
        {"label": label, "date": when, "requirement": req, "days_left": (when - today).days,
         "passed": when < today}
        for label, when, req in items
    ]

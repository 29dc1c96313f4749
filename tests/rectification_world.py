"""Rectification objects for the test world, made through the services: 甲公司's plan for A-001
(the district-list entry of 多湖街道), June 2021 – May 2022, twelve monthly steps.

`plan_data()` / `plan_steps()` give a complete plan's content; `drafted(w)` the draft,
`filed(w)` the plan submitted, approved by town_a and filed by lead."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pandi.domain.dates import add_months

from .screening_world import accepted

START = date(2021, 6, 1)
DEADLINE = date(2022, 5, 31)


def plan_data(**overrides: Any) -> dict[str, Any]:
    data = {"route": "self_build", "measures": "按出让合同约定建设标准厂房", "approach": "分两期建设，一期 2 万平方米",
            "start": START, "deadline": DEADLINE, "new_floor_area_m2": Decimal("20000"), "far_after": Decimal("1.5"),
            "investment_wan": Decimal("6000"), "output_wan": Decimal("12000"), "tax_wan": Decimal("600"),
            "jobs": 120}
    data.update(overrides)
    return data


def plan_steps(start: date = START, months: int = 12) -> list[dict[str, Any]]:
    milestones = {0: "permit", 1: "start", 6: "topping_out", months - 1: "completion"}
    return [{"month": add_months(start, i), "action": f"第 {i + 1} 月施工", "milestone": milestones.get(i, ""),
             "floor_area_m2": Decimal("2000") if i < 10 else Decimal(0), "investment_wan": Decimal("500")}
            for i in range(months)]


def drafted(w: Any) -> Any:
    if "plan" not in w.extra:
        from pandi.rectification import services

        ns = accepted(w)
        w.extra["plan"] = services.plan_create(user=w.users["ent_a"], entries=[ns.entry_a], data=plan_data(),
                                               steps=plan_steps())
    return w.extra["plan"]


def filed(w: Any) -> Any:
    if "filed" not in w.extra:
        from pandi.rectification import services

        plan = drafted(w)
        plan = services.plan_transition(user=w.users["ent_a"], plan=plan, action="submit")
        plan = services.plan_transition(user=w.users["town_a"], plan=plan, action="approve")
        plan = services.plan_transition(user=w.users["lead"], plan=plan, action="file")
        w.extra["filed"] = plan
    return w.extra["filed"]

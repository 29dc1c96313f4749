"""Routes of the plan pages: the list, a new plan, one plan, its edit form, its workflow actions and
the signed links.

甲公司's plan for A-001 (多湖街道) is seen by district users, town_a and ent_a; others get 404. The
content is written by the enterprise or, on its behalf, by the township officer (district users may
not edit: 403). Each workflow action is allowed to the actors of domain.rectification.TRANSITIONS:
submit — enterprise, township; approve — township; return — township, 区经商局 (lead, admin); file —
区经商局; amend — enterprise, township. The helpers below build the plan in the state each route
needs once per world (cached in `w.extra`); the states are separate routes, so separate worlds.
"""

from __future__ import annotations

from typing import Any

from .routes import ALL, SEE_A, Route

SEE_PLAN_A = SEE_A | {"ent_a"}
EDIT_PLAN_A = frozenset({"town_a", "ent_a"})
CREATORS = frozenset({"town_a", "town_b", "ent_a", "ent_b"})
DISTRICT_ACTORS = frozenset({"admin", "lead"})
NOBODY: frozenset[str] = frozenset()


def _drafted(w: Any) -> Any:
    from tests.rectification_world import drafted

    return drafted(w)


def _in_state(w: Any, state: str) -> Any:
    """The plan submitted (by ent_a), approved (by town_a) or filed (by lead)."""
    from pandi.rectification import services
    from tests.rectification_world import filed

    key = f"routes_plan_{state}"
    if key not in w.extra:
        if state == "filed":
            w.extra[key] = filed(w)
        else:
            plan = services.plan_transition(user=w.users["ent_a"], plan=_drafted(w), action="submit")
            if state == "approved":
                plan = services.plan_transition(user=w.users["town_a"], plan=plan, action="approve")
            w.extra[key] = plan
    return w.extra[key]


def _pk(plan: Any) -> dict[str, Any]:
    return {"pk": plan.pk}


def _lock(plan: Any) -> str:
    from pandi.rectification.models import RectificationPlan

    return str(RectificationPlan.objects.get(pk=plan.pk).lock_version)


def _entry_a(w: Any) -> Any:
    from tests.screening_world import accepted

    return accepted(w).entry_a


def _accepted_world(w: Any) -> dict[str, Any]:
    _entry_a(w)
    return {}


def _content(w: Any) -> dict[str, Any]:
    from tests.rectification_world import plan_data, plan_steps

    data: dict[str, Any] = {k: str(v) for k, v in plan_data().items()}
    steps = plan_steps()
    for f in ("month", "action", "milestone", "floor_area_m2", "investment_wan"):
        data[f"step_{f}"] = [f"{s['month']:%Y-%m}" if f == "month" else str(s[f]) for s in steps]
    return data


def _create_data(w: Any) -> dict[str, Any]:
    return {**_content(w), "entries": [str(_entry_a(w).pk)], "enterprise": str(w.enterprise_a.pk)}


def _edit_data(w: Any) -> dict[str, Any]:
    return {**_content(w), "measures": "按出让合同约定建设标准厂房（修改）", "lock_version": _lock(_drafted(w))}


def _action(state: str, action: str, comment: str = ""):
    def data(w: Any) -> dict[str, Any]:
        plan = _drafted(w) if state == "draft" else _in_state(w, state)
        return {"action": action, "comment": comment, "lock_version": _lock(plan)}

    return data


def _state(state: str):
    return lambda w: _pk(_drafted(w) if state == "draft" else _in_state(w, state))


def _link_token(w: Any) -> dict[str, Any]:
    """A plan link town_a sent to 甲公司 (made once per world)."""
    from pandi.rectification import services

    if "routes_plan_link" not in w.extra:
        _link, token = services.link_create(user=w.users["town_a"], plan=_drafted(w), purpose="plan")
        w.extra["routes_plan_link"] = token
    return {"token": w.extra["routes_plan_link"]}


RECTIFICATION_PLAN_ROUTES: list[Route] = [
    Route("rectification:plan_list", lambda w: (_drafted(w), {})[1], visible=ALL, allowed=ALL),
    Route("rectification:plan_create", _accepted_world, visible=ALL, allowed=CREATORS),
    Route("rectification:plan_create", _accepted_world, query=lambda w: f"entry={_entry_a(w).pk}",
          visible=SEE_PLAN_A, allowed=EDIT_PLAN_A),
    Route("rectification:plan_create", _accepted_world, method="POST", data=_create_data,
          visible=SEE_PLAN_A, allowed=EDIT_PLAN_A),
    Route("rectification:plan_detail", _state("draft"), visible=SEE_PLAN_A, allowed=SEE_PLAN_A),
    Route("rectification:plan_detail", _state("filed"), visible=SEE_PLAN_A, allowed=SEE_PLAN_A),
    Route("rectification:plan_edit", _state("draft"), visible=SEE_PLAN_A, allowed=EDIT_PLAN_A),
    Route("rectification:plan_edit", _state("draft"), method="POST", data=_edit_data,
          visible=SEE_PLAN_A, allowed=EDIT_PLAN_A),
    Route("rectification:plan_transition", _state("draft"), method="POST", data=_action("draft", "submit"),
          visible=SEE_PLAN_A, allowed=EDIT_PLAN_A),
    Route("rectification:plan_transition", _state("submitted"), method="POST",
          data=_action("submitted", "approve"), visible=SEE_PLAN_A, allowed=frozenset({"town_a"})),
    Route("rectification:plan_transition", _state("submitted"), method="POST",
          data=_action("submitted", "return", "请补充投资来源"), visible=SEE_PLAN_A,
          allowed=DISTRICT_ACTORS | {"town_a"}),
    Route("rectification:plan_transition", _state("approved"), method="POST", data=_action("approved", "file"),
          visible=SEE_PLAN_A, allowed=DISTRICT_ACTORS),
    Route("rectification:plan_transition", _state("filed"), method="POST",
          data=_action("filed", "amend", "调整二期建设计划"), visible=SEE_PLAN_A, allowed=EDIT_PLAN_A),
    Route("rectification:link_create", _state("draft"), method="POST", data=lambda w: {"purpose": "plan", "days": "7"},
          visible=SEE_PLAN_A, allowed=DISTRICT_ACTORS | {"town_a"}),
    # the link's landing page answers anyone holding the token
    Route("rectification:link_open", _link_token, public=True),
    # without a link session: anonymous visitors are sent to log in, signed-in users get 404
    Route("rectification:link_plan", visible=NOBODY, allowed=NOBODY),
]

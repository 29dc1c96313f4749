"""Routes of the rectification documents (限期整改告知书 and 整改方案, .docx and PDF) and the .xlsx exports.

A plan's documents are seen by whoever sees the plan: district-wide users, town_a and ent_a for
甲公司's plan (A-001, 多湖街道); town_b and ent_b get 404. The exports answer everyone signed in,
each with only their own scope (乙公司's plan for B-001 exists, so a leak would show). Helpers cache
in `w.extra` (keys `rect_doc_*`).
"""

from __future__ import annotations

from .routes import ALL, DISTRICT, Route

SEE_A = DISTRICT | {"town_a", "ent_a"}


def _plans(w):
    """甲公司's filed plan with a June 2021 report, and 乙公司's draft plan."""
    from tests.rectification_world import filed, plan_data, plan_steps
    from tests.screening_world import accepted

    plan = filed(w)
    if "rect_doc_b" not in w.extra:
        from datetime import date

        from pandi.rectification import services

        w.extra["rect_doc_b"] = services.plan_create(user=w.users["ent_b"], entries=[accepted(w).entry_b],
                                                     data=plan_data(), steps=plan_steps())
        step = plan.steps.get(month=date(2021, 6, 1))
        services.report_submit(user=w.users["ent_a"], plan=plan, month=date(2021, 6, 1), narrative="完成施工许可办理",
                               items=[{"step_id": step.pk, "floor_area_m2": "2000", "investment_wan": "500"}])
    return plan


def _exports(w):
    _plans(w)
    return {}


def _doc(fmt):
    def kwargs(w):
        return {"pk": _plans(w).pk, "fmt": fmt}
    return kwargs


RECTIFICATION_DOCUMENT_ROUTES: list[Route] = [
    Route("rectification:plan_notice", _doc("docx"), visible=SEE_A, allowed=SEE_A),
    Route("rectification:plan_notice", _doc("pdf"), visible=SEE_A, allowed=SEE_A),
    Route("rectification:plan_document", _doc("docx"), visible=SEE_A, allowed=SEE_A),
    Route("rectification:plan_document", _doc("pdf"), visible=SEE_A, allowed=SEE_A),
    Route("rectification:plans_xlsx", _exports, visible=ALL, allowed=ALL),
    Route("rectification:progress_xlsx", _exports, visible=ALL, allowed=ALL),
]

"""Routes of the rectification API: plans and their workflow, progress reports with evidence, the queue.

甲公司's plan for A-001 (多湖街道) is seen by district-wide users, town_a and ent_a; others get 404.
乙公司's plan for B-001 (东孝街道) exists too, so the lists show nothing of township B to town_a or
ent_a. Who may act follows services.actor_for: 区经商局 (lead) and admin act as district, town_a as
the township, ent_a as the enterprise; everyone else gets 403. The enterprise (or the township on its
behalf) edits, submits and reports; only the township approves; the township and the district confirm
reports. Helpers cache in `w.extra` (keys `rect_api_*`), so calling them again is harmless.
"""

from __future__ import annotations

from datetime import date

from .routes import ALL, DISTRICT, Route

SEE_A = DISTRICT | {"town_a", "ent_a"}
WRITERS = frozenset({"town_a", "ent_a"})              # the enterprise, or the township on its behalf
ACTORS = frozenset({"admin", "lead", "town_a", "ent_a"})
CONFIRMERS = frozenset({"admin", "lead", "town_a"})


def _both(w):
    """甲公司's draft plan (A) and 乙公司's draft plan (B)."""
    from tests.rectification_world import drafted, plan_data, plan_steps
    from tests.screening_world import accepted

    plan = drafted(w)
    if "rect_api_plan_b" not in w.extra:
        from pandi.rectification import services

        w.extra["rect_api_plan_b"] = services.plan_create(user=w.users["ent_b"], entries=[accepted(w).entry_b],
                                                          data=plan_data(), steps=plan_steps())
    return plan


def _lists(w):
    _both(w)
    return {}


def _draft(w):
    return {"plan_id": _both(w).pk}


def _filed(w):
    from tests.rectification_world import filed

    _both(w)
    return filed(w)


def _filed_kwargs(w):
    return {"plan_id": _filed(w).pk}


def _report(w):
    """甲公司's June 2021 report (made once per world)."""
    if "rect_api_report" not in w.extra:
        from pandi.rectification import services

        plan = _filed(w)
        step = plan.steps.get(month=date(2021, 6, 1))
        w.extra["rect_api_report"] = services.report_submit(
            user=w.users["ent_a"], plan=plan, month=date(2021, 6, 1), narrative="完成施工许可办理",
            items=[{"step_id": step.pk, "floor_area_m2": "2000", "investment_wan": "500", "milestone_reached": True}])
    return w.extra["rect_api_report"]


def _report_kwargs(w):
    return {"report_id": _report(w).pk}


def _queue(w):
    if "rect_api_queue" not in w.extra:
        from pandi.rectification import services

        _both(w)
        services.queue_refresh()
        w.extra["rect_api_queue"] = True
    return {}


def _new_plan(w):
    from tests.rectification_world import plan_data
    from tests.screening_world import accepted

    return {"entries": [accepted(w).entry_a.pk], **{k: str(v) for k, v in plan_data().items()}}


def _photo(w):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 140, 60)).save(out, "JPEG")
    return {"kind": "photo", "file": SimpleUploadedFile("现场.jpg", out.getvalue(), "image/jpeg")}


RECTIFICATION_API_ROUTES: list[Route] = [
    Route("api:rectification_plan_list", _lists, api=True, visible=ALL, allowed=ALL),
    Route("api:rectification_plan_create", method="POST", json=True, api=True, visible=SEE_A, allowed=ACTORS,
          data=_new_plan),
    Route("api:rectification_plan_detail", _draft, api=True, visible=SEE_A, allowed=SEE_A),
    Route("api:rectification_plan_update", _draft, method="PUT", api=True, visible=SEE_A, allowed=WRITERS,
          data=lambda w: {"measures": "建设标准厂房（修改）", "lock_version": _both(w).lock_version}),
    Route("api:rectification_plan_transition", _draft, method="POST", json=True, api=True, visible=SEE_A,
          allowed=WRITERS, data=lambda w: {"action": "submit"}),
    Route("api:rectification_report_list", _filed_kwargs, api=True, visible=SEE_A, allowed=SEE_A),
    Route("api:rectification_report_create", _filed_kwargs, method="POST", json=True, api=True, visible=SEE_A,
          allowed=WRITERS, data=lambda w: {"month": "2021-06", "narrative": "完成施工许可办理", "items": []}),
    Route("api:rectification_report_detail", _report_kwargs, api=True, visible=SEE_A, allowed=SEE_A),
    Route("api:rectification_evidence_upload", _report_kwargs, method="POST", api=True, visible=SEE_A,
          allowed=ACTORS, data=_photo),
    Route("api:rectification_report_review", _report_kwargs, method="POST", json=True, api=True, visible=SEE_A,
          allowed=CONFIRMERS, data=lambda w: {"confirm": True, "comment": "属实"}),
    Route("api:rectification_queue", _queue, api=True, visible=ALL, allowed=ALL),
]

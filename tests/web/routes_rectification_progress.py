"""Routes of the monthly progress pages and the action queue.

甲公司's plan for A-001 (多湖街道), filed, with its June 2021 report (a photo attached) is seen by
district-wide users, town_a and ent_a; others get 404. The enterprise reports (ent_a, or town_a on
its behalf); the township confirms (town_a, and 区经商局/admin acting as district); evidence is added
by the enterprise or the township. Everyone signed in has a queue (empty for roles without items);
only 区经商局 and admin refresh it by hand. Helpers cache in `w.extra`, so calling them again for the
URL and for the POST data is harmless.
"""

from __future__ import annotations

from datetime import date, datetime

from .routes import ALL, DISTRICT, Route

SEE_PLAN_A = DISTRICT | {"town_a", "ent_a"}
REPORTERS = frozenset({"ent_a", "town_a"})
CONFIRMERS = frozenset({"town_a", "admin", "lead"})
DISTRICT_ACTORS = frozenset({"admin", "lead"})


def _plan(w):
    from tests.rectification_world import filed

    return filed(w)


def _report(w):
    """甲公司's June 2021 report with one site photo (made once per world)."""
    if "progress_report" not in w.extra:
        from pandi.rectification import services
        from tests.photos import jpeg

        plan = _plan(w)
        step = plan.steps.get(month=date(2021, 6, 1))
        photo = jpeg(taken=datetime(2021, 6, 20, 9, 30), lon=119.706, lat=29.106)
        w.extra["progress_report"] = services.report_submit(
            user=w.users["ent_a"], plan=plan, month=date(2021, 6, 1), narrative="完成施工许可办理",
            items=[{"step_id": step.pk, "floor_area_m2": "2000", "investment_wan": "500", "milestone_reached": True}],
            uploads=[services.Upload("photo", "现场.jpg", photo)])
    return w.extra["progress_report"]


def _plan_kwargs(w):
    return {"plan_pk": _plan(w).pk}


def _report_kwargs(w):
    return {"pk": _report(w).pk}


def _evidence_kwargs(w):
    return {"pk": _report(w).evidence.get().pk}


def _queue(w):
    """The queue with items in it: the plan filed, its June report waiting for the township."""
    from pandi.rectification import services

    _report(w)
    if "queue_refreshed" not in w.extra:
        services.queue_refresh(today=date(2021, 7, 10))
        w.extra["queue_refreshed"] = True
    return {}


def _report_data(w):
    step = _plan(w).steps.get(month=date(2021, 6, 1))
    return {"month": "2021-06", "narrative": "完成施工许可办理", f"area_{step.pk}": "2000",
            f"inv_{step.pk}": "500", f"ms_{step.pk}": "on", f"note_{step.pk}": ""}


def _evidence_upload_data(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.photos import jpeg

    return {"evidence_kind_0": "photo",
            "evidence_0": SimpleUploadedFile("补充.jpg", jpeg(taken=datetime(2021, 6, 25), lon=119.706, lat=29.106),
                                             content_type="image/jpeg")}


RECTIFICATION_PROGRESS_ROUTES: list[Route] = [
    Route("rectification:report_create", _plan_kwargs, visible=SEE_PLAN_A, allowed=REPORTERS),
    Route("rectification:report_create", _plan_kwargs, method="POST", visible=SEE_PLAN_A, allowed=REPORTERS,
          data=_report_data),
    Route("rectification:report_detail", _report_kwargs, visible=SEE_PLAN_A, allowed=SEE_PLAN_A),
    Route("rectification:report_review", _report_kwargs, method="POST", visible=SEE_PLAN_A, allowed=CONFIRMERS,
          data=lambda w: {"decision": "confirm", "comment": ""}),
    Route("rectification:evidence_upload", _report_kwargs, method="POST", visible=SEE_PLAN_A, allowed=REPORTERS,
          data=_evidence_upload_data),
    Route("rectification:evidence_file", _evidence_kwargs, visible=SEE_PLAN_A, allowed=SEE_PLAN_A),
    Route("rectification:queue", _queue, visible=ALL, allowed=ALL),
    Route("rectification:queue_refresh", _queue, method="POST", visible=ALL, allowed=DISTRICT_ACTORS),
]

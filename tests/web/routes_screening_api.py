"""Routes of the screening API: runs, lists, the inventory and the work plan.

Internal users see runs and the lists of their scope; enterprise users get 404 everywhere. Objects
are township A's: its list (draft, or submitted for the review), its vacant block (draft for the
list edits, accepted — with a 清单编号 — for the work plan).
"""

from __future__ import annotations

from tests.screening_world import accepted, screened

from .routes import DISTRICT, SEE_A, Route

INTERNAL = DISTRICT | {"town_a", "town_b"}
LEAD = frozenset({"admin", "lead"})
EDIT_LIST_A = frozenset({"admin", "lead", "town_a"})


def _screened(w):
    screened(w)
    return {}


def _run(w):
    return {"run_id": screened(w).run.pk}


def _other_run(w):
    """A second run in which the district threshold leaves both parcels out, for the diff."""
    if "api_run2" not in w.extra:
        from pandi.screening import services

        screened(w)
        w.extra["api_run2"] = services.run_execute(user=w.users["lead"], as_of=screened(w).run.as_of,
                                                   values={"district_min_mu": 100}, campaign=w.campaign)[1]
    return f"with={w.extra['api_run2'].pk}"


def _list_a(w):
    return {"list_id": screened(w).list_a.pk}


def _list_a_submitted(w):
    if "api_list_a_submitted" not in w.extra:
        from pandi.screening import services

        w.extra["api_list_a_submitted"] = services.list_submit(user=w.users["town_a"],
                                                               inventory_list=screened(w).list_a)
    return {"list_id": w.extra["api_list_a_submitted"].pk}


def _block_a(w):
    return {"entry_id": screened(w).block_a.pk}


def _inventory(w):
    accepted(w)
    return {}


def _workplan(w):
    """Both townships' blocks in the plan with a target each (township B's must not show to town_a)."""
    if "api_workplan" not in w.extra:
        from pandi.screening import services

        ns, lead = accepted(w), w.users["lead"]
        for entry in (ns.block_a, ns.block_b):
            services.workplan_assign(user=lead, entry=entry, year=2021, route="self")
        for township in (w.township_a, w.township_b):
            services.workplan_target_set(user=lead, campaign=w.campaign, township=township, year=2021,
                                         target_mu=50, target_m2=10000)
        w.extra["api_workplan"] = True
    return {}


def _accepted_block_a(w):
    return {"entry_id": accepted(w).block_a.pk}


def _drawn_block(w):
    """A small square inside 多湖街道's test square, not on any parcel."""
    from tests.conftest import square

    return {"geometry": square(119.715, 29.115, 0.001), "label": "多湖街道补充地块", "reason": "实地核查发现"}


SCREENING_API_ROUTES: list[Route] = [
    Route("api:screening_run_list", api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_run_create", method="POST", json=True, api=True, visible=INTERNAL, allowed=LEAD,
          data=lambda w: {"as_of": "2021-04-30", "parameters": {"district_min_mu": 20}, "propose": True}),
    Route("api:screening_run_detail", _run, api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_run_results", _run, api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_run_blocks", _run, api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_run_diff", _run, api=True, visible=INTERNAL, allowed=INTERNAL, query=_other_run),
    Route("api:screening_list_list", _screened, api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_list_detail", _list_a, api=True, visible=SEE_A, allowed=SEE_A),
    Route("api:screening_list_submit", _list_a, method="POST", json=True, api=True, visible=SEE_A,
          allowed=EDIT_LIST_A, data=lambda w: {"note": "已逐块核实"}),
    Route("api:screening_list_review", _list_a_submitted, method="POST", json=True, api=True, visible=SEE_A,
          allowed=LEAD, data=lambda w: {"accept": True, "comment": ""}),
    Route("api:screening_list_entry_add", _list_a, method="POST", json=True, api=True, visible=SEE_A,
          allowed=EDIT_LIST_A, data=_drawn_block),
    Route("api:screening_entry_list", _inventory, api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_entry_detail", _block_a, api=True, visible=SEE_A, allowed=SEE_A),
    Route("api:screening_entry_exclude", _block_a, method="POST", json=True, api=True, visible=SEE_A,
          allowed=EDIT_LIST_A, data=lambda w: {"reason": "planning", "note": "规划调整为道路"}),
    Route("api:screening_entry_include", _block_a, method="POST", json=True, api=True, visible=SEE_A,
          allowed=EDIT_LIST_A),
    Route("api:screening_workplan", _workplan, api=True, visible=INTERNAL, allowed=INTERNAL),
    Route("api:screening_workplan_target_set", method="PUT", api=True, visible=INTERNAL, allowed=LEAD,
          data=lambda w: {"township_id": w.township_a.pk, "year": 2021, "target_mu": 100, "target_m2": 20000}),
    Route("api:screening_workplan_assign", _accepted_block_a, method="PUT", api=True, visible=SEE_A, allowed=LEAD,
          data=lambda w: {"year": 2021, "route": "acquisition", "note": "国资公司收储"}),
]

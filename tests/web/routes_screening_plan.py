"""Routes of the annual work plan (R8), the inventory's exports and the distribution map.

District users and both township officers see them (each officer only their own township's entries);
enterprise users get 404. Saving the work plan or the targets needs Perm.EDIT_WORK_PLAN (admin, lead).
A township's own export or map (?township=A, ?list=<A's list>) is 404 for the other township.
Every route builds the accepted inventory first, so the pages have numbered entries to show.
"""

from __future__ import annotations

from tests.screening_world import accepted

from .routes import DISTRICT, Route

INTERNAL = DISTRICT | {"town_a", "town_b"}
INTERNAL_A = DISTRICT | {"town_a"}
PLAN_EDITORS = frozenset({"admin", "lead"})


def _inventory(w):
    accepted(w)
    return {}


def _print(fmt):
    def kwargs(w):
        accepted(w)
        return {"fmt": fmt}
    return kwargs


def _plan_post(w):
    ns = accepted(w)
    return {"rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "1", "rows-MIN_NUM_FORMS": "0",
            "rows-MAX_NUM_FORMS": "500", "rows-0-entry": str(ns.entry_a.pk), "rows-0-row": "1",
            "rows-0-year": "2021", "rows-0-route": "self", "rows-0-responsible_township": "",
            "rows-0-responsible_department": "", "rows-0-note": "走查"}


def _targets_post(w):
    return {f"mu_{w.township_a.pk}_2021": "100", f"m2_{w.township_a.pk}_2021": "50000"}


SCREENING_PLAN_ROUTES: list[Route] = [
    Route("screening:workplan", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:workplan", _inventory, method="POST", data=_plan_post, visible=INTERNAL, allowed=PLAN_EDITORS),
    Route("screening:workplan_targets", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:workplan_targets", method="POST", data=_targets_post, visible=INTERNAL, allowed=PLAN_EDITORS),
    Route("screening:workplan_xlsx", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:inventory_xlsx", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:inventory_xlsx", _inventory, visible=INTERNAL_A, allowed=INTERNAL_A,
          query=lambda w: f"township={w.township_a.pk}&kind=block"),
    Route("screening:inventory_xlsx", _inventory, visible=INTERNAL_A, allowed=INTERNAL_A,
          query=lambda w: f"list={accepted(w).list_a.pk}"),
    Route("screening:inventory_geojson", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:inventory_gpkg", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:distribution_map", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:distribution_print", _print("png"), visible=INTERNAL, allowed=INTERNAL,
          query=lambda w: "dpi=50"),
    Route("screening:distribution_print", _print("pdf"), visible=INTERNAL_A, allowed=INTERNAL_A,
          query=lambda w: f"township={w.township_a.pk}&dpi=50"),
]

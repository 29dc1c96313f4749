"""Routes of the screening run pages.

District roles and both township officers see the runs (a township officer only their township's
results); enterprise users get 404. Starting a run needs Perm.RUN_SCREENING and generating the
lists Perm.REVIEW_LISTS: admin and lead (others who see the run: 403).
"""

from __future__ import annotations

from ..screening_world import screened, second_run
from .routes import DISTRICT, Route

SEE_RUNS = DISTRICT | {"town_a", "town_b"}
RUNNERS = frozenset({"admin", "lead"})


def _run(w):
    return {"pk": screened(w).run.pk}


def _with_second(w):
    return f"with={second_run(w).pk}"


def _valid_run(w):
    return {"as_of": "2021-04-30", "district_min_mu": "20", "township_min_mu": "5", "contiguity_tolerance_m": "1",
            "min_width_m": "", "note": "路由测试"}


SCREENING_RUN_ROUTES: list[Route] = [
    Route("screening:run_list", visible=SEE_RUNS, allowed=SEE_RUNS),
    Route("screening:run_create", visible=SEE_RUNS, allowed=RUNNERS),
    Route("screening:run_create", method="POST", visible=SEE_RUNS, allowed=RUNNERS, data=_valid_run),
    Route("screening:run_detail", _run, visible=SEE_RUNS, allowed=SEE_RUNS),
    Route("screening:run_propose", _run, method="POST", visible=SEE_RUNS, allowed=RUNNERS),
    Route("screening:run_compare", _run, visible=SEE_RUNS, allowed=SEE_RUNS, query=_with_second),
    Route("screening:run_json", _run, visible=SEE_RUNS, allowed=SEE_RUNS),
]

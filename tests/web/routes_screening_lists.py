"""Routes of the list pages: the lists, one list, its entries and the official inventory.

Screening is internal work: enterprise users get 404 everywhere. 多湖街道's list (and its entries)
is seen by district users and town_a; the district list by district users only. Entries are edited
(剔除, 恢复列入, 备注, 补充) by the district lead (and admin) or the list's own township officer;
only the district lead (and admin) reviews. The helpers below prepare the world once per world
(cached in `w.extra`), so calling them again for the URL and for the POST data is harmless.
"""

from __future__ import annotations

from .routes import DISTRICT, SEE_A, Route

INTERNAL = DISTRICT | {"town_a", "town_b"}
EDIT_LIST_A = frozenset({"admin", "lead", "town_a"})
REVIEWERS = frozenset({"admin", "lead"})


def _screened(w):
    from tests.screening_world import screened

    return screened(w)


def _index(w):
    _screened(w)
    return {}


def _inventory(w):
    from tests.screening_world import accepted

    accepted(w)
    return {}


def _list_a(w):
    return {"pk": _screened(w).list_a.pk}


def _district_list(w):
    return {"pk": _screened(w).district_list.pk}


def _submitted_list_a(w):
    """多湖街道's list, submitted by its officer (once)."""
    from pandi.screening import services

    ns = _screened(w)
    if "list_a_submitted" not in w.extra:
        services.list_submit(user=w.users["town_a"], inventory_list=ns.list_a, note="核实完毕")
        w.extra["list_a_submitted"] = True
    return {"pk": ns.list_a.pk}


def _block_a(w):
    return {"pk": _screened(w).block_a.pk}


def _parcel_a2(w):
    """A second parcel of 多湖街道 that the screening did not list (made once)."""
    if "parcel_a2" not in w.extra:
        from pandi.land import services as land
        from tests.conftest import square

        w.extra["parcel_a2"] = land.parcel_create(user=None, check=False, geometry=square(119.712, 29.113, 0.001),
                                                  data={"code": "A-902", "township": w.township_a})
    return w.extra["parcel_a2"]


def _add_parcel_data(w):
    return {"key": _parcel_a2(w).code, "reason": "数据遗漏"}


def _add_block_data(w):
    import json

    from tests.conftest import square

    return {"label": "东侧空地", "reason": "实地踏勘发现", "geometry": json.dumps(square(119.714, 29.116, 0.001))}


SCREENING_LIST_ROUTES: list[Route] = [
    Route("screening:list_index", _index, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:inventory", _inventory, visible=INTERNAL, allowed=INTERNAL),
    Route("screening:list_detail", _list_a, visible=SEE_A, allowed=SEE_A),
    Route("screening:list_detail", _district_list, visible=DISTRICT, allowed=DISTRICT),
    Route("screening:list_submit", _list_a, method="POST", visible=SEE_A, allowed=EDIT_LIST_A,
          data=lambda w: {"note": "核实完毕"}),
    Route("screening:list_review", _submitted_list_a, method="POST", visible=SEE_A, allowed=REVIEWERS,
          data=lambda w: {"decision": "accept", "comment": ""}),
    Route("screening:list_review", _district_list, method="POST", visible=DISTRICT, allowed=REVIEWERS,
          data=lambda w: {"decision": "accept"}),
    Route("screening:list_add_parcel", _list_a, method="POST", visible=SEE_A, allowed=EDIT_LIST_A,
          data=_add_parcel_data),
    Route("screening:list_add_block", _list_a, method="POST", visible=SEE_A, allowed=EDIT_LIST_A,
          data=_add_block_data),
    Route("screening:entry_detail", _block_a, visible=SEE_A, allowed=SEE_A),
    Route("screening:entry_exclude", _block_a, method="POST", visible=SEE_A, allowed=EDIT_LIST_A,
          data=lambda w: {"reason": "data_error", "note": ""}),
    Route("screening:entry_include", _block_a, method="POST", visible=SEE_A, allowed=EDIT_LIST_A),
    Route("screening:entry_remarks", _block_a, method="POST", visible=SEE_A, allowed=EDIT_LIST_A,
          data=lambda w: {"remarks": "已核实"}),
]

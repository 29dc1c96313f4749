"""Routes of the land registry pages and the map data API.

Parcel A (A-001, 多湖街道) is held by 甲公司: district users, township A's officer and 甲公司's
enterprise user see it (others: 404). Writing needs Perm.EDIT_LAND in the parcel's township:
admin, lead, nr and town_a (others who see it: 403).
"""

from __future__ import annotations

from .routes import ALL, DISTRICT, SEE_A, Route

SEE_PARCEL_A = SEE_A | {"ent_a"}
EDIT_A = frozenset({"admin", "lead", "nr", "town_a"})
EDIT_LAND = frozenset({"admin", "lead", "nr", "town_a", "town_b"})


def _parcel(w):
    return {"pk": w.parcel_a.pk}


def _holding(w):
    return {"pk": w.parcel_a.pk, "holding_pk": w.parcel_a.holdings.get().pk}


def _contract(w):
    return {"pk": w.parcel_a.pk, "contract_pk": w.parcel_a.contracts.get().pk}


def _enterprise(w):
    return {"pk": w.enterprise_a.pk}


LAND_PAGE_ROUTES: list[Route] = [
    Route("land:parcel_list"),
    Route("land:parcel_detail", _parcel, visible=SEE_PARCEL_A, allowed=SEE_PARCEL_A),
    Route("land:parcel_edit", _parcel, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:holding_add", _parcel, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:holding_end", _holding, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:contract_add", _parcel, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:contract_edit", _contract, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:construction_edit", _parcel, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:standard_edit", _parcel, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:enterprise_list"),
    Route("land:enterprise_create", allowed=EDIT_LAND),
    Route("land:enterprise_detail", _enterprise, visible=SEE_PARCEL_A, allowed=SEE_PARCEL_A),
    Route("land:enterprise_edit", _enterprise, visible=SEE_PARCEL_A, allowed=EDIT_A),
    Route("land:map"),
    Route("api:map_parcels", api=True),
    Route("api:map_townships", api=True),
    Route("api:map_inventory", api=True),  # empty for users without internal scope
    Route("api:map_search", api=True),
]

assert DISTRICT <= SEE_PARCEL_A and SEE_PARCEL_A <= ALL

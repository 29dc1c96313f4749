"""Screening objects for the test world, made once per world through the services:
a saved run as of 2021-04-30 (parcels A-001 and B-001 are idle, 60 亩 each) and the lists proposed
from it (the district list, 多湖街道's and 东孝街道's township lists, all in draft).

`screened(world)` returns a namespace: run, district_list, list_a, list_b, entry_a (A-001 in the
district list), block_a (the vacant block in 多湖街道's list), entry_b, block_b.
`accepted(world)` also has both township lists submitted and accepted and the district list
adopted, so the entries carry 清单编号.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

AS_OF = date(2021, 4, 30)


def screened(w: Any) -> SimpleNamespace:
    if "screened" in w.extra:
        return w.extra["screened"]
    from pandi.screening import services
    from pandi.screening.models import InventoryList

    lead = w.users["lead"]
    _outcome, run = services.run_execute(user=lead, as_of=AS_OF, values={}, save=True, campaign=w.campaign)
    services.lists_propose(run=run, user=lead, campaign=w.campaign)
    district = InventoryList.objects.get(campaign=w.campaign, kind="district")
    list_a = InventoryList.objects.get(campaign=w.campaign, township=w.township_a)
    list_b = InventoryList.objects.get(campaign=w.campaign, township=w.township_b)
    ns = SimpleNamespace(
        run=run, district_list=district, list_a=list_a, list_b=list_b,
        entry_a=district.entries.get(parcel=w.parcel_a), entry_b=district.entries.get(parcel=w.parcel_b),
        block_a=list_a.entries.get(kind="block"), block_b=list_b.entries.get(kind="block"))
    w.extra["screened"] = ns
    return ns


def accepted(w: Any) -> SimpleNamespace:
    if "accepted" in w.extra:
        return w.extra["accepted"]
    from pandi.screening import services

    ns = screened(w)
    lead = w.users["lead"]
    services.list_submit(user=w.users["town_a"], inventory_list=ns.list_a)
    services.list_submit(user=w.users["town_b"], inventory_list=ns.list_b)
    for lst in (ns.list_a, ns.list_b, ns.district_list):
        services.list_review(user=lead, inventory_list=lst, accept=True)
    for name in ("district_list", "list_a", "list_b", "entry_a", "entry_b", "block_a", "block_b"):
        getattr(ns, name).refresh_from_db()
    w.extra["accepted"] = ns
    return ns


SECOND_AS_OF = date(2020, 1, 1)


def second_run(w: Any) -> Any:
    """A second saved run of the world, as of 2020-01-01 (A-001 and B-001 overdue, not yet idle)."""
    if "second_run" not in w.extra:
        from pandi.screening import services

        screened(w)
        _outcome, run = services.run_execute(user=w.users["lead"], as_of=SECOND_AS_OF, values={}, save=True,
                                             campaign=w.campaign)
        w.extra["second_run"] = run
    return w.extra["second_run"]

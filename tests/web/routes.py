"""Every named URL of Pandi (collected from the routes_*.py modules, one per area), with how to
build it for the test world and who may use it.

The walker (test_url_walker.py) fails when a URL exists that is not registered here, so every
module that adds a URL also states its access rules here.

Objects are taken from township A (多湖街道). `visible` = users who can see the object (others get
404); `allowed` = users who may perform the page's action (visible but not allowed -> 403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DISTRICT = frozenset({"admin", "lead", "nr", "dept", "soe", "court", "sup", "leader"})
ALL = DISTRICT | {"town_a", "town_b", "ent_a", "ent_b"}
SEE_A = DISTRICT | {"town_a"}
ADMIN = frozenset({"admin"})
CAMPAIGN_EDITORS = frozenset({"admin", "lead"})


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: Callable[[Any], dict[str, Any]] = lambda w: {}
    method: str = "GET"
    visible: frozenset[str] = ALL
    allowed: frozenset[str] = ALL
    public: bool = False  # reachable without logging in
    api: bool = False
    data: Callable[[Any], dict[str, Any]] = field(default=lambda w: {})
    query: Callable[[Any], str] = field(default=lambda w: "")  # appended to the URL after "?"
    json: bool = False  # send `data` as a JSON body (API POST); PATCH and PUT always do


ROUTES: list[Route] = []  # filled below from every routes_*.py module


def _collect() -> None:
    import importlib
    import pkgutil
    from pathlib import Path

    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name.startswith("routes_"):
            module = importlib.import_module(f"{__package__}.{info.name}")
            lists = [v for name, v in vars(module).items() if name.endswith("_ROUTES") and isinstance(v, list)]
            if not lists:
                # a test module importing a routes_ module first leaves it half-initialised here
                raise ImportError(f"{info.name} defines no *_ROUTES list (or is imported circularly)")
            for value in lists:
                ROUTES.extend(value)


# URL names that are not endpoints of their own (ninja's root prefix answers 404 by design).
NOT_ENDPOINTS = {"api:api-root"}

_collect()

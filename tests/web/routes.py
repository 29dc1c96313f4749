"""Every named URL of Pandi, with how to build it for the test world and who may use it.

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


def _token(w):
    from pandi.accounts.services import api_token_create

    if "token" not in w.extra:
        w.extra["token"] = api_token_create(user=w.users["town_a"], name="测试")[0]
    return {"pk": w.extra["token"].pk}


def _membership(w):
    return {"pk": w.users["town_a"].pk, "membership_pk": w.users["town_a"].memberships.get().pk}


ROUTES: list[Route] = [
    Route("core:home"),
    Route("core:healthz", public=True),
    Route("accounts:login", public=True),
    Route("accounts:logout", method="POST"),
    Route("accounts:password_change"),
    Route("accounts:org_list"),
    Route("accounts:org_create", allowed=ADMIN),
    Route("accounts:org_detail", lambda w: {"pk": w.township_a.pk}, visible=SEE_A, allowed=SEE_A),
    Route("accounts:org_edit", lambda w: {"pk": w.township_a.pk}, visible=SEE_A, allowed=ADMIN),
    Route("accounts:user_list", allowed=frozenset({"admin", "lead"})),
    Route("accounts:user_create", allowed=ADMIN),
    Route("accounts:user_detail", lambda w: {"pk": w.users["town_a"].pk}, visible=SEE_A, allowed=SEE_A),
    Route("accounts:user_edit", lambda w: {"pk": w.users["town_a"].pk}, visible=SEE_A, allowed=ADMIN),
    Route("accounts:user_reset_password", lambda w: {"pk": w.users["town_a"].pk}, visible=SEE_A, allowed=ADMIN),
    Route("accounts:membership_add", lambda w: {"pk": w.users["town_a"].pk}, method="POST", visible=SEE_A,
          allowed=ADMIN),
    Route("accounts:membership_remove", _membership, method="POST", visible=SEE_A, allowed=ADMIN),
    Route("accounts:token_list"),
    Route("accounts:token_revoke", _token, method="POST", visible=frozenset({"town_a"}),
          allowed=frozenset({"town_a"})),
    Route("supervision:campaign_list"),
    Route("supervision:campaign_create", allowed=CAMPAIGN_EDITORS),
    Route("supervision:campaign_detail", lambda w: {"pk": w.campaign.pk}),
    Route("supervision:campaign_edit", lambda w: {"pk": w.campaign.pk}, allowed=CAMPAIGN_EDITORS),
    Route("supervision:campaign_make_current", lambda w: {"pk": w.campaign.pk}, method="POST",
          allowed=CAMPAIGN_EDITORS),
    Route("audit:log", allowed=frozenset({"admin", "lead", "sup"})),
    Route("audit:history", lambda w: {"label": "accounts.orgunit", "pk": w.township_a.pk}, visible=SEE_A,
          allowed=SEE_A),
    Route("api:openapi-json", api=True),
    Route("api:openapi-view", api=True),
    Route("api:me", api=True),
    Route("api:orgs", api=True),
    Route("api:org_detail", lambda w: {"org_id": w.township_a.pk}, api=True, visible=SEE_A, allowed=SEE_A),
    Route("api:campaigns", api=True),
    Route("api:current", api=True),
    Route("api:campaign_detail", lambda w: {"campaign_id": w.campaign.pk}, api=True),
]

# URL names that are not endpoints of their own (ninja's root prefix answers 404 by design).
NOT_ENDPOINTS = {"api:api-root"}

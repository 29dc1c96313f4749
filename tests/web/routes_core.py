"""Routes of the platform: home, accounts, campaigns, audit, API."""

from __future__ import annotations

from .routes import ADMIN, ALL, CAMPAIGN_EDITORS, DISTRICT, SEE_A, Route  # noqa: F401


def _token(w):
    from pandi.accounts.services import api_token_create

    if "token" not in w.extra:
        w.extra["token"] = api_token_create(user=w.users["town_a"], name="测试")[0]
    return {"pk": w.extra["token"].pk}


def _membership(w):
    return {"pk": w.users["town_a"].pk, "membership_pk": w.users["town_a"].memberships.get().pk}


CORE_ROUTES: list[Route] = [
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


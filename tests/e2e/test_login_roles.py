"""Every role signs in through the real login form and sees the home page for its own data scope."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

from .conftest import login_as, save_screenshot

pytestmark = [
    pytest.mark.e2e,
]

TOWN_A, TOWN_B = "多湖街道", "东孝街道"
# What the home page's scope badge must say for each user of the world.
EXPECTED_SCOPE = {
    "admin": "全区",
    "lead": "全区",
    "nr": "全区",
    "dept": "全区",
    "town_a": TOWN_A,
    "town_b": TOWN_B,
    "soe": "全区",
    "court": "全区",
    "sup": "全区",
    "leader": "全区",
    "ent_a": "本企业",
    "ent_b": "本企业",
}


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.mark.parametrize("username", list(EXPECTED_SCOPE))
def test_each_role_logs_in_and_sees_its_scope(page, live_server, e2e_world, username):
    expect = _expect()
    account = e2e_world.users[username]
    styles = []
    page.on("response", lambda r: styles.append(r) if r.url.endswith("/static/dist/pandi-style.css") else None)

    login_as(page, live_server.url, username, PASSWORD)

    expect(page).to_have_url(re.compile(r"^" + re.escape(live_server.url) + r"/$"))
    expect(page.locator("h1")).to_contain_text(account.full_name)
    expect(page.locator("[data-testid=user-menu]")).to_contain_text(account.full_name)
    scope = page.locator("[data-testid=scope]")
    expect(scope).to_have_text(EXPECTED_SCOPE[username])

    body = page.locator("body").inner_text()
    if username == "town_a":
        assert TOWN_B not in body
    elif username == "town_b":
        assert TOWN_A not in body
    elif EXPECTED_SCOPE[username] == "全区":
        # district-wide roles list every township
        expect(page.locator("[data-testid=township-table]")).to_contain_text(TOWN_A)
        expect(page.locator("[data-testid=township-table]")).to_contain_text(TOWN_B)
    else:  # enterprise users see their own enterprise (in its township), never the other one
        own, other = ("甲公司", "乙公司") if username == "ent_a" else ("乙公司", "甲公司")
        expect(page.locator("[data-testid=enterprise-table]")).to_contain_text(own)
        assert other not in body
        assert (TOWN_B if username == "ent_a" else TOWN_A) not in body

    # the built stylesheet was served and applied (the top bar is not an unstyled white block)
    assert styles and all(r.status == 200 for r in styles), [r.status for r in styles]
    topbar_bg = page.locator("header.pd-topbar").evaluate("el => getComputedStyle(el).backgroundImage")
    assert "linear-gradient" in topbar_bg, topbar_bg

    save_screenshot(page, f"home-{username}")


def test_wrong_password_shows_error_and_five_failures_lock_the_account(page, live_server, e2e_world):
    expect = _expect()
    error = page.locator("[data-testid=login-error]")

    response = login_as(page, live_server.url, "town_a", "wrong-password")
    assert response.status == 400
    expect(error).to_contain_text("用户名或密码不正确")
    expect(page.locator("#id_username")).to_have_value("town_a")
    save_screenshot(page, "login-wrong-password")

    for _ in range(4):
        login_as(page, live_server.url, "town_a", "wrong-password")
        expect(error).to_be_visible()

    # the right password no longer helps: the user name is locked
    response = login_as(page, live_server.url, "town_a", PASSWORD)
    assert response.status == 429
    expect(error).to_contain_text("锁定")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    save_screenshot(page, "login-locked")

    # another user from the same address is not affected by town_a's lock
    login_as(page, live_server.url, "town_b", PASSWORD)
    expect(page.locator("[data-testid=scope]")).to_have_text(TOWN_B)

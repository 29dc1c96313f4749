"""Whole journeys through the browser: creating a user, editing a campaign, scope-denied pages."""

from __future__ import annotations

import re

import pytest

from .conftest import login_as, logout, save_screenshot

pytestmark = [
    pytest.mark.e2e,
]

NEW_USERNAME = "zhang_wei"
NEW_FULL_NAME = "张伟"
INITIAL_PASSWORD = "Strong#Pass2024"
OWN_PASSWORD = "Mine!Secure2025"


def _expect():
    from playwright.sync_api import expect

    return expect


def test_admin_creates_township_officer_who_must_change_password(page, live_server, e2e_world, login):
    expect = _expect()
    base = live_server.url
    login("admin")

    page.goto(f"{base}/accounts/users/new/")
    expect(page.locator("h1")).to_have_text("新建用户")
    page.fill("#id_username", NEW_USERNAME)
    page.fill("#id_full_name", NEW_FULL_NAME)
    page.fill("#id_password1", INITIAL_PASSWORD)
    page.fill("#id_password2", INITIAL_PASSWORD)
    page.select_option("#id_role", "township_officer")
    page.select_option("#id_org_unit", label="多湖街道")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/accounts/users/\d+/$"))
    expect(page.locator("h1")).to_contain_text(f"{NEW_FULL_NAME}（{NEW_USERNAME}）")
    expect(page.locator("[role=alert]")).to_contain_text("首次登录须修改密码")
    memberships = page.locator("[data-testid=membership-table]")
    expect(memberships).to_contain_text("多湖街道")
    expect(memberships).to_contain_text("有效")
    expect(page.locator("main")).to_contain_text("下次登录须修改密码")
    save_screenshot(page, "admin-user-created")

    logout(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".pd-login-card")).to_contain_text("您已安全退出")

    # first sign-in: the new officer is sent to the password page and nowhere else
    login_as(page, base, NEW_USERNAME, INITIAL_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.locator("main .alert-warning")).to_contain_text("请先设置自己的新密码")
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    save_screenshot(page, "password-change-forced")

    page.fill("#id_old_password", INITIAL_PASSWORD)
    page.fill("#id_new_password1", OWN_PASSWORD)
    page.fill("#id_new_password2", OWN_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(r"^" + re.escape(base) + r"/$"))
    expect(page.locator("[role=alert]")).to_contain_text("密码已修改")
    expect(page.locator("h1")).to_contain_text(NEW_FULL_NAME)
    expect(page.locator("[data-testid=scope]")).to_have_text("多湖街道")
    assert "东孝街道" not in page.locator("body").inner_text()
    save_screenshot(page, "new-officer-home")

    # the new password is the one that works from now on
    logout(page)
    login_as(page, base, NEW_USERNAME, OWN_PASSWORD)
    expect(page.locator("[data-testid=scope]")).to_have_text("多湖街道")


def test_district_lead_edits_campaign_target_and_sees_history(page, live_server, e2e_world, login):
    expect = _expect()
    base = live_server.url
    campaign = e2e_world.campaign
    login("lead")

    page.goto(f"{base}/campaigns/{campaign.pk}/edit/")
    target = page.locator("#id_target_reclaimed_mu")
    expect(target).to_have_value(re.compile(r"^2000(\.0+)?$"))
    target.fill("2100")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(rf"/campaigns/{campaign.pk}/$"))
    expect(page.locator("[role=alert]")).to_contain_text("已保存")
    expect(page.locator("[data-testid=campaign-targets]")).to_contain_text("2,100")

    with page.expect_navigation():
        page.click("a:has-text('历史记录')")
    history = page.locator("[data-testid=history]")
    expect(page.locator("h1")).to_contain_text("历史记录")
    entry = history.locator(".pd-history-entry").filter(has_text="2100.00").first
    expect(entry).to_contain_text("lead 测试")
    row = entry.locator("tr").filter(has_text="2100.00").first
    expect(row.locator("td").nth(1)).to_have_text("2000.00")
    expect(row.locator("td").nth(2)).to_have_text("2100.00")
    save_screenshot(page, "campaign-history")


def test_township_officer_cannot_open_other_township(page, live_server, e2e_world, login):
    expect = _expect()
    login("town_a")

    own = page.goto(f"{live_server.url}/accounts/orgs/{e2e_world.township_a.pk}/")
    assert own.status == 200
    expect(page.locator("h1")).to_contain_text("多湖街道")

    response = page.goto(f"{live_server.url}/accounts/orgs/{e2e_world.township_b.pk}/")
    assert response.status == 404
    expect(page.locator("main h1")).to_contain_text("404")
    assert "东孝街道" not in page.locator("body").inner_text()
    save_screenshot(page, "town_a-other-township-404")

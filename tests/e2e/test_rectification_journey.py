"""Rectification in a real browser (R9–R11, issue 5): 甲公司 drafts its plan for inventory entry A-001
(the monthly steps generated from start and deadline, then filled in), saves and submits it; 多湖街道's
officer returns it with a comment; the enterprise reads the comment, fixes the plan and resubmits;
the township approves and 区经商局 files it. The enterprise reports two months with photos (one taken on
the parcel in the month, one far away → the warning shows) and actual quantities; the township
confirms a report. After the deadline 区经商局's queue refresh turns the plan 逾期未完成 and the
township's queue shows 逾期未完成整改."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.utils import timezone

from .conftest import logout, save_screenshot

pytestmark = [pytest.mark.e2e]

START, DEADLINE = "2021-06-01", "2022-05-31"
MONTHS = [f"{2021 + (5 + i) // 12}-{(5 + i) % 12 + 1:02d}" for i in range(12)]  # 2021-06 … 2022-05
MILESTONES = {0: "取得施工许可", 1: "开工", 6: "主体结顶", 11: "竣工"}
# A-001 is the square 119.705–119.707 E, 29.105–29.107 N (tests/conftest.py)
ON_PARCEL = (119.706, 29.106)
FAR_AWAY = (119.80, 29.20)


def _expect():
    from playwright.sync_api import expect

    return expect


def _photo(name: str, *, taken: datetime, lon: float, lat: float) -> dict:
    from tests.photos import jpeg

    return {"name": name, "mimeType": "image/jpeg",
            "buffer": jpeg(taken=taken, lon=lon, lat=lat, size=(320, 240), colour=(120, 150, 90))}


@pytest.fixture
def inventory_world(e2e_world):
    """The test world with the lists accepted: A-001 (甲公司) is entry 2021-… of the official inventory."""
    from tests.screening_world import accepted

    accepted(e2e_world)
    return e2e_world


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_plan_review_filing_progress_and_overdue(page, live_server, inventory_world, login):
    expect = _expect()
    base = live_server.url
    entry = inventory_world.extra["accepted"].entry_a
    assert entry.number

    # --- 甲公司 drafts its plan ---------------------------------------------------------------------------
    login("ent_a")
    page.goto(f"{base}/rectification/new/")
    form = page.locator("[data-testid=plan-form]")
    box = form.locator(f"input[name=entries][value='{entry.pk}']")
    box.check()
    expect(form.locator("[data-testid=section-entries]")).to_contain_text(entry.number)
    page.select_option("#id_route", "self_build")
    page.fill("#id_measures", "按出让合同约定建设标准厂房，提高容积率")
    page.fill("#id_approach", "一期建设 2 万平方米标准厂房")
    page.fill("#id_start", START)
    page.fill("#id_deadline", DEADLINE)
    for field, value in (("new_floor_area_m2", "20000"), ("far_after", "1.5"), ("investment_wan", "6000"),
                         ("output_wan", "12000"), ("tax_wan", "600"), ("jobs", "120")):
        page.fill(f"#id_{field}", value)
    # one row per month from start to deadline, made in the page
    page.click("[data-testid=steps-generate]")
    rows = page.locator("[data-steps-body] [data-step-row]")
    expect(rows).to_have_count(12)
    for i in range(12):
        row = rows.nth(i)
        expect(row.locator("[name=step_month]")).to_have_value(MONTHS[i])
        row.locator("[name=step_action]").fill(f"第 {i + 1} 月施工")
        if i in MILESTONES:
            row.locator("[name=step_milestone]").select_option(label=MILESTONES[i])
        row.locator("[name=step_floor_area_m2]").fill("2000" if i < 10 else "0")
        row.locator("[name=step_investment_wan]").fill("500")
    save_screenshot(page, "rectification-01-ent-plan-form")

    _submit(page, "[data-testid=plan-save]")
    expect(page.locator("main [role=alert]").first).to_contain_text("整改方案草稿已保存")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=plan-entries]")).to_contain_text(entry.number)
    expect(page.locator("[data-testid=completeness]")).to_have_count(0)  # nothing missing
    expect(page.locator("[data-testid=steps-table] tbody tr")).to_have_count(12)
    plan_url = page.url
    assert re.search(r"/rectification/\d+/$", plan_url)
    save_screenshot(page, "rectification-02-ent-draft")

    _submit(page, "[data-testid=action-submit] button")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("待乡镇审核")
    expect(page.locator("[data-testid=plan-timeline]")).to_contain_text("提交审核")
    expect(page.locator("[data-testid=plan-edit]")).to_have_count(0)
    save_screenshot(page, "rectification-03-ent-submitted")
    logout(page)

    # --- 多湖街道 returns it with a comment ---------------------------------------------------------------
    login("town_a")
    page.goto(f"{base}/rectification/")
    row = page.locator("[data-testid=plan-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=plan-status]")).to_have_text("待乡镇审核")
    with page.expect_navigation():
        row.locator("a").first.click()
    expect(page.locator("[data-testid=section-actions]")).to_be_visible()
    page.fill("#comment-return", "请补充二期建设安排，并写明竣工后的投产计划")
    _submit(page, "[data-testid=action-return] button")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("已退回修改")
    expect(page.locator("[data-testid=plan-timeline]")).to_contain_text("请补充二期建设安排")
    save_screenshot(page, "rectification-04-town-returned")
    logout(page)

    # --- 甲公司 reads the comment, fixes the plan and resubmits ------------------------------------------
    login("ent_a")
    page.goto(plan_url)
    expect(page.locator("[data-testid=returned-comment]")).to_contain_text("请补充二期建设安排")
    save_screenshot(page, "rectification-05-ent-returned-comment")
    with page.expect_navigation():
        page.click("[data-testid=plan-edit]")
    expect(page.locator("[data-testid=returned-comment]")).to_contain_text("请补充二期建设安排")
    page.fill("#id_approach", "一期建设 2 万平方米标准厂房；二期 2022 年下半年启动，竣工后引进智能装备项目投产")
    save_screenshot(page, "rectification-06-ent-edit-fix")
    _submit(page, "[data-testid=plan-save-submit]")
    expect(page.locator("main [role=alert]").first).to_contain_text("已保存并提交乡镇（街道）审核")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("待乡镇审核")
    expect(page.locator("[data-testid=section-content]")).to_contain_text("二期 2022 年下半年启动")
    logout(page)

    # --- 多湖街道 approves, 区经商局 files ----------------------------------------------------------------
    login("town_a")
    page.goto(plan_url)
    _submit(page, "[data-testid=action-approve] button")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("乡镇已审核，待备案")
    save_screenshot(page, "rectification-07-town-approved")
    logout(page)

    login("lead")
    page.goto(plan_url)
    _submit(page, "[data-testid=action-file] button")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("已备案")
    timeline = page.locator("[data-testid=plan-timeline]")
    for label in ("提交审核", "退回修改", "审核通过", "备案"):
        expect(timeline).to_contain_text(label)
    save_screenshot(page, "rectification-08-lead-filed")
    logout(page)

    # --- 甲公司 reports June (photo on the parcel) and July (photo far away) ----------------------------
    login("ent_a")
    page.goto(plan_url)
    with page.expect_navigation():
        page.click("[data-testid=report-new]")
    expect(page.locator("[data-testid=report-month]")).to_have_value("2021-06")
    expect(page.locator("[data-testid=starts-plan]")).to_be_visible()
    page.fill("#id_narrative", "取得施工许可证，完成场地平整和一期基础施工")
    june = page.locator("[data-testid=step-row-2021-06]")
    june.locator("input[name^=area_]").fill("2000")
    june.locator("input[name^=inv_]").fill("500")
    june.locator("input[name^=ms_]").check()
    expect(page.locator("[data-testid=evidence-kind-0]")).to_have_value("photo")
    page.set_input_files("[data-testid=evidence-file-0]", _photo(
        "现场-2021-06.jpg", taken=datetime(2021, 6, 20, 10, 30), lon=ON_PARCEL[0], lat=ON_PARCEL[1]))
    save_screenshot(page, "rectification-09-ent-report-form")
    _submit(page, "[data-testid=report-submit]")
    expect(page.locator("main [role=alert]").first).to_contain_text("2021年06月进展已报送")
    expect(page.locator("[data-testid=report-status]")).to_have_text("待乡镇确认")
    expect(page.locator("[data-testid=photo-warning-summary]")).to_have_count(0)
    expect(page.locator("[data-testid=evidence-warnings]")).to_have_count(0)
    expect(page.locator("[data-testid=section-evidence]")).to_contain_text("拍摄时间、位置与报送月份和宗地相符")
    expect(page.locator("[data-testid=evidence-thumb]")).to_have_count(1)
    expect(page.locator("[data-testid=item-2021-06]")).to_contain_text("2,000")
    june_report_url = page.url
    save_screenshot(page, "rectification-10-ent-report-june")

    page.goto(plan_url)
    expect(page.locator("[data-testid=plan-status]")).to_have_text("整改中")
    with page.expect_navigation():
        page.click("[data-testid=report-new]")
    expect(page.locator("[data-testid=report-month]")).to_have_value("2021-07")
    page.fill("#id_narrative", "一期主体施工，部分材料延迟进场")
    july = page.locator("[data-testid=step-row-2021-07]")
    july.locator("input[name^=area_]").fill("1500")
    july.locator("input[name^=inv_]").fill("400")
    page.set_input_files("[data-testid=evidence-file-0]", _photo(
        "现场-2021-07.jpg", taken=datetime(2021, 7, 18, 9, 0), lon=FAR_AWAY[0], lat=FAR_AWAY[1]))
    _submit(page, "[data-testid=report-submit]")
    expect(page.locator("main [role=alert]").first).to_contain_text("有 1 张照片的拍摄时间或位置需要核实")
    expect(page.locator("[data-testid=photo-warning-summary]")).to_be_visible()
    expect(page.locator("[data-testid=evidence-warnings]")).to_contain_text("不在宗地范围内")
    save_screenshot(page, "rectification-11-ent-report-july-warning")
    logout(page)

    # --- 多湖街道 confirms June ---------------------------------------------------------------------------
    login("town_a")
    page.goto(june_report_url)
    expect(page.locator("[data-testid=section-review]")).to_be_visible()
    page.fill("#id_comment", "经现场核实，与报送一致")
    _submit(page, "[data-testid=confirm-report]")
    expect(page.locator("main [role=alert]").first).to_contain_text("已确认2021年06月进展")
    expect(page.locator("[data-testid=report-status]")).to_have_text("已确认")
    expect(page.locator("[data-testid=report-review]")).to_contain_text("经现场核实")
    expect(page.locator("[data-testid=section-review]")).to_have_count(0)
    save_screenshot(page, "rectification-12-town-report-confirmed")
    logout(page)

    # --- after the deadline: 区经商局 refreshes the queue, the plan is overdue ----------------------------
    assert timezone.localdate() > date.fromisoformat(DEADLINE)
    login("lead")
    page.goto(f"{base}/rectification/queue/")
    _submit(page, "[data-testid=queue-refresh]")
    expect(page.locator("main [role=alert]").first).to_contain_text("转为逾期 1 个方案")
    save_screenshot(page, "rectification-13-lead-queue-refreshed")
    page.goto(plan_url)
    expect(page.locator("[data-testid=plan-status]")).to_have_text("逾期未完成")
    expect(page.locator("[data-testid=section-queue]")).to_contain_text("逾期未完成整改")
    expect(page.locator("[data-testid=plan-timeline]")).to_contain_text("整改期限已过，尚未完成")
    expect(page.locator("[data-testid=section-reports] li")).to_have_count(2)
    save_screenshot(page, "rectification-14-lead-plan-overdue")
    logout(page)

    login("town_a")
    page.goto(f"{base}/rectification/queue/")
    overdue = page.locator("[data-testid=queue-row][data-reason=completion_overdue]")
    expect(overdue).to_have_count(1)
    expect(overdue).to_contain_text("逾期未完成整改")
    expect(overdue).to_contain_text("多湖街道")
    expect(overdue).to_contain_text(DEADLINE)
    expect(overdue.locator("[data-testid=late-badge]")).to_be_visible()
    expect(page.locator("[data-testid=queue-late-total]")).to_be_visible()
    save_screenshot(page, "rectification-15-town-queue-overdue")

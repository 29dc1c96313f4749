"""The lists in a real browser (R7): 多湖街道's officer verifies the township list — excludes an entry
with a reason, adds a parcel the data missed, draws a block on the map — and submits it; the
district lead sees it as 已报送, accepts it, and the official inventory shows the 清单编号."""

from __future__ import annotations

import re

import pytest

from .conftest import logout, save_screenshot

pytestmark = [pytest.mark.e2e]


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def lists_world(e2e_world):
    """The test world screened as of 2021-04-30 with its lists proposed, plus a parcel of 多湖街道
    the screening did not list (A-902), for the officer to add."""
    from pandi.land import services as land
    from tests.conftest import square
    from tests.screening_world import screened

    w = e2e_world
    screened(w)
    land.parcel_create(user=None, check=False, geometry=square(119.712, 29.113, 0.001),
                       data={"code": "A-902", "name": "东侧遗漏地块", "township": w.township_a})
    return w


def test_township_officer_submits_and_district_lead_accepts(page, live_server, lists_world, login):
    expect = _expect()
    base = live_server.url
    ns = lists_world.extra["screened"]
    block = ns.block_a

    # --- 多湖街道's officer: their own list only, late (the deadline was 2021-04-30) -----------------
    login("town_a")
    page.goto(f"{base}/screening/lists/")
    rows = page.locator("[data-testid=list-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("多湖街道清单")
    expect(rows.first.locator("[data-testid=list-status]")).to_have_text("待核实")
    expect(rows.first.locator("[data-testid=list-late]")).to_be_visible()
    save_screenshot(page, "screening-01-town-lists")

    with page.expect_navigation():
        rows.first.locator("a").first.click()
    expect(page.locator("[data-testid=list-title]")).to_contain_text("多湖街道清单")
    expect(page.locator("[data-testid=late-warning]")).to_contain_text("2021-04-30")
    list_map = page.locator("[data-testid=list-map]")
    expect(list_map).to_have_attribute("data-map-ready", "1")
    expect(list_map.locator("svg path")).to_have_count(2)  # the boundary and the block
    save_screenshot(page, "screening-02-town-list")

    # exclude the proposed block with the reason 数据错误 (HTMX swaps the row)
    row = page.locator(f"#entry-{block.pk}")
    row.locator("[data-testid=entry-toggle]").click()
    form = row.locator("[data-testid=exclude-form]")
    expect(form).to_be_visible()
    form.locator("[data-testid=exclude-reason]").select_option(label="数据错误")
    form.locator("[data-testid=exclude-note]").fill("与实地不符")
    form.locator("[data-testid=entry-exclude]").click()
    row = page.locator(f"#entry-{block.pk}")
    expect(row).to_have_attribute("data-included", "0")
    expect(row.locator("[data-testid=entry-included]")).to_contain_text("数据错误：与实地不符")
    expect(row.locator("[data-testid=entry-include]")).to_be_visible()
    # the counts above and the map follow the row
    expect(page.locator("[data-testid=list-excluded]")).to_have_text("1")
    expect(page.locator("[data-testid=list-count]")).to_have_text("0")
    expect(list_map.locator("path.leaflet-interactive")).to_have_attribute("fill", "#9ca3af")
    save_screenshot(page, "screening-03-entry-excluded")

    # add a parcel the data missed
    page.fill("#id_key", "A-902")
    page.fill("#id_reason", "数据遗漏，实地为空地")
    with page.expect_navigation():
        page.click("[data-testid=add-parcel]")
    expect(page.locator("main [role=alert]").first).to_contain_text("已补充宗地 A-902")
    expect(page.locator("[data-testid=entries-table]")).to_contain_text("A-902")
    expect(page.locator("[data-testid=list-count]")).to_have_text("1")

    # draw a block on the map: four corners inside the township, then 完成
    list_map = page.locator("[data-testid=list-map]")
    list_map.scroll_into_view_if_needed()
    page.click("[data-testid=draw-start]")
    box = list_map.bounding_box()
    cx, cy = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.6
    for dx, dy in ((-30, -25), (30, -25), (30, 25), (-30, 25)):
        page.mouse.click(cx + dx, cy + dy)
    page.click("[data-testid=draw-finish]")
    expect(list_map).to_have_attribute("data-drawn", "1")
    expect(page.locator("[data-testid=drawblock-area]")).to_contain_text("4 个拐点")
    assert '"Polygon"' in page.input_value("#id_geometry")
    page.fill("#id_label", "北侧空地（勾绘）")
    page.fill("#form-add_block #id_reason", "实地踏勘发现的空闲地")
    save_screenshot(page, "screening-04-block-drawn")
    with page.expect_navigation():
        page.click("[data-testid=add-block]")
    expect(page.locator("main [role=alert]").first).to_contain_text("已补充地块“北侧空地（勾绘）”")
    expect(page.locator("[data-testid=list-count]")).to_have_text("2")
    expect(page.locator("[data-testid=list-map] svg path")).to_have_count(4)

    # submit to 区经商局
    page.fill("#id_note", "已逐宗核实，剔除 1 宗，补充 2 宗")
    with page.expect_navigation():
        page.click("[data-testid=submit-list]")
    expect(page.locator("[data-testid=list-status]")).to_have_text("已报送")
    expect(page.locator("[data-testid=awaiting-review]")).to_be_visible()
    expect(page.locator("[data-testid=exclude-form]")).to_have_count(0)
    expect(page.locator("[data-testid=list-history]")).to_contain_text("报送")
    save_screenshot(page, "screening-05-town-submitted")
    logout(page)

    # --- the district lead: sees the township list as 已报送 and accepts it -------------------------
    login("lead")
    page.goto(f"{base}/screening/lists/")
    lead_row = page.locator(f"[data-testid=list-row][data-list='{ns.list_a.pk}']")
    expect(lead_row.locator("[data-testid=list-status]")).to_have_text("已报送")
    expect(page.locator("[data-testid=list-row]")).to_have_count(3)
    expect(page.locator("[data-testid=lists-kpis]")).to_contain_text("1/2")
    save_screenshot(page, "screening-06-lead-lists")

    with page.expect_navigation():
        lead_row.locator("a").first.click()
    expect(page.locator("[data-testid=section-review]")).to_be_visible()
    save_screenshot(page, "screening-07-lead-review")
    with page.expect_navigation():
        page.click("[data-testid=accept-list]")
    expect(page.locator("[data-testid=list-status]")).to_have_text("已确认")
    numbers = page.locator("[data-testid=entries-table] [data-testid=entry-number]")
    expect(numbers.first).to_have_text(re.compile(r"2021-001-00\d"))
    save_screenshot(page, "screening-08-lead-accepted")

    # --- the official inventory ---------------------------------------------------------------------
    page.goto(f"{base}/screening/lists/inventory/")
    table = page.locator("[data-testid=inventory-table]")
    expect(table.locator("[data-testid=inventory-row]")).to_have_count(2)
    expect(table).to_contain_text("2021-001-001")
    expect(table).to_contain_text("2021-001-002")
    expect(table).to_contain_text("A-902")
    expect(page.locator("[data-testid=inventory-overall]")).to_contain_text("2")
    save_screenshot(page, "screening-09-inventory")

    # one entry: its facts, basis and shape
    with page.expect_navigation():
        table.locator("a", has_text="2021-001-002").click()
    expect(page.locator("[data-testid=entry-title]")).to_contain_text("A-902")
    expect(page.locator("[data-testid=entry-map]")).to_have_attribute("data-map-ready", "1")
    expect(page.locator("[data-testid=section-parcels]")).to_contain_text("A-902")
    save_screenshot(page, "screening-10-entry")

    # the district list: adopted directly by the lead
    page.goto(f"{base}/screening/lists/{ns.district_list.pk}/")
    expect(page.locator("[data-testid=section-adopt]")).to_be_visible()
    save_screenshot(page, "screening-11-district-list")
    with page.expect_navigation():
        page.click("[data-testid=adopt-list]")
    expect(page.locator("[data-testid=list-status]")).to_have_text("已确认")
    expect(page.locator("[data-testid=entries-table]")).to_contain_text("2021-QJ-001")


def test_district_lead_returns_a_list_with_a_comment_the_officer_reads_it(page, live_server, lists_world, login):
    from pandi.screening import services

    expect = _expect()
    base = live_server.url
    ns = lists_world.extra["screened"]
    services.list_submit(user=lists_world.users["town_a"], inventory_list=ns.list_a, note="首次报送")
    url = f"{base}/screening/lists/{ns.list_a.pk}/"

    login("lead")
    page.goto(url)
    with page.expect_navigation():
        page.click("[data-testid=return-list]")  # no comment: refused, nothing changed
    expect(page.locator("[data-testid=form-error-summary]")).to_contain_text("退回时请填写审核意见")
    expect(page.locator("[data-testid=review-error]")).to_contain_text("退回时请填写审核意见")
    expect(page.locator("[data-testid=list-status]")).to_have_text("已报送")
    save_screenshot(page, "screening-12-return-needs-comment")
    page.fill("#id_comment", "连片地块（A-001）东侧已建厂房，请核减面积后重新报送")
    with page.expect_navigation():
        page.click("[data-testid=return-list]")
    expect(page.locator("[data-testid=list-status]")).to_have_text("已退回")
    logout(page)

    login("town_a")
    page.goto(url)
    expect(page.locator("[data-testid=returned-comment]")).to_contain_text("请核减面积后重新报送")
    expect(page.locator("[data-testid=section-submit]")).to_be_visible()
    # 其他 without a note: the row shows why, nothing changes
    row = page.locator(f"#entry-{ns.block_a.pk}")
    row.locator("[data-testid=entry-toggle]").click()
    row.locator("[data-testid=exclude-reason]").select_option(label="其他")
    row.locator("[data-testid=entry-exclude]").click()
    row = page.locator(f"#entry-{ns.block_a.pk}")
    expect(row.locator("[data-testid=entry-error]")).to_contain_text("剔除原因为“其他”时须填写说明")
    expect(row).to_have_attribute("data-included", "1")
    expect(page.locator("[data-testid=list-history]")).to_contain_text("退回")
    save_screenshot(page, "screening-13-town-returned")


def _pdf_page_image(data: bytes):
    """The page of a Pandi map PDF as an image: the PDF wraps one JPEG page (DCTDecode), which Pillow
    decodes — the PDF rendered back to pixels without a PDF renderer."""
    import io

    from PIL import Image

    start = data.index(b"stream", data.index(b"/DCTDecode")) + len(b"stream")
    start += 2 if data[start:start + 2] == b"\r\n" else 1
    end = data.index(b"endstream", start)
    return Image.open(io.BytesIO(data[start:end])).convert("RGB")


def test_district_lead_prints_the_distribution_map_and_exports_the_list(page, live_server, lists_world, login):
    """After acceptance: the 地块分布图 as an A3 PDF and the Excel list, downloaded in the browser and checked."""
    import io

    from openpyxl import load_workbook

    from tests.screening_world import accepted

    from .conftest import SCREENSHOT_DIR

    ns = accepted(lists_world)
    base = live_server.url
    login("lead")
    page.goto(f"{base}/screening/lists/inventory/")
    # the print link opens the PDF inline (for the browser's print dialog); fetch it with the page's session
    href = page.get_attribute("[data-testid=distribution-print-link]", "href")
    response = page.request.get(f"{base}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    data = response.body()
    assert data.startswith(b"%PDF")
    image = _pdf_page_image(data)
    width, height = image.size
    assert abs(width / height - 420 / 297) < 0.01  # A3 landscape
    image.save(SCREENSHOT_DIR / "screening-14-distribution-map-from-pdf.png")
    # the entries are drawn: red (district list) and orange (township blocks) pixels on the map
    small = image.resize((width // 8, height // 8))
    reds = sum(1 for x in range(small.width) for y in range(small.height)
               if (p := small.getpixel((x, y)))[0] > 180 and p[1] < 110 and p[2] < 110)
    assert reds > 0

    with page.expect_download() as xlsx_info:
        page.click("[data-testid=inventory-xlsx-link]")
    with open(xlsx_info.value.path(), "rb") as f:  # the download's temp name has no .xlsx suffix
        sheet = load_workbook(io.BytesIO(f.read())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "清单" in str(rows[0][0])
    header = next(r for r in rows if r and r[0] == "序号")
    assert list(header[:3]) == ["序号", "清单编号", "乡镇街道"]
    numbers = {r[1] for r in rows if r and isinstance(r[0], int)}
    assert {ns.entry_a.number, ns.block_a.number, ns.entry_b.number, ns.block_b.number} <= numbers
    total = next(r for r in rows if r and r[1] == "合计")
    assert total[5] == pytest.approx(sum(r[5] for r in rows if r and isinstance(r[0], int)))

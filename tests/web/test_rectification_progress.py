"""Monthly progress (R10) on the pages: 甲公司 reports June 2021 against its steps with site photos
whose EXIF time and place are checked against the month and the parcel; bad files are refused by
name; progress comes from the quantities; 多湖街道 queries a report (with a comment) and the
enterprise reports again, then confirms it. Other townships and enterprises get 404 on the report
and on its files. The action queue page and its count in the navigation."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pandi.domain.rectification import Quantities, StepFacts, planned_totals, progress_ratio
from pandi.rectification import services
from pandi.rectification.models import Evidence, ProgressReport, QueueEntry
from tests.photos import jpeg
from tests.rectification_world import filed

pytestmark = pytest.mark.django_db

JUNE = date(2021, 6, 1)
INSIDE = {"lon": 119.706, "lat": 29.106}    # on A-001
FAR = {"lon": 119.80, "lat": 29.20}         # some 13 km away
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(page: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def photo(name: str = "现场.jpg", *, taken: datetime | None = datetime(2021, 6, 20, 9, 30),
          **where) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(taken=taken, **(where or INSIDE)), content_type="image/jpeg")


def report_data(plan, *, month: str = "2021-06", narrative: str = "完成施工许可办理，场地平整", area: str = "2000",
                inv: str = "500", milestone: bool = True, files: list | None = None, kind: str = "photo") -> dict:
    step = plan.steps.get(month=date.fromisoformat(f"{month}-01"))
    data = {"month": month, "narrative": narrative, f"area_{step.pk}": area, f"inv_{step.pk}": inv,
            f"note_{step.pk}": ""}
    if milestone:
        data[f"ms_{step.pk}"] = "on"
    if files:
        data["evidence_kind_0"] = kind
        data["evidence_0"] = files
    return data


def post_report(client, plan, **kwargs):
    return client.post(reverse("rectification:report_create", args=[plan.pk]), report_data(plan, **kwargs))


@pytest.fixture
def plan(world):
    return filed(world)


@pytest.fixture
def ent(login, world):
    return login(world.users["ent_a"])


def test_report_form_shows_reportable_months_and_the_steps_with_planned_quantities(ent, plan):
    page = ent.get(reverse("rectification:report_create", args=[plan.pk]), {"month": "2021-06"}).content.decode()
    body = text(page)
    assert "2021年06月" in body and "2022年05月" in body            # every plan month up to now
    assert 'data-testid="step-row-2021-06"' in page and "第 1 月施工" in body
    assert "2,000.00 m²" in body and "500.00 万元" in body           # planned quantities
    assert "取得施工许可" in body                                     # the step's milestone
    assert "这是本方案备案后的第一次报送" in body
    assert 'name="evidence_0"' in page and "现场照片" in body and "许可证照" in body


def test_enterprise_reports_june_with_a_photo_inside_the_parcel_and_month(ent, plan, world):
    response = post_report(ent, plan, files=[photo()])
    assert response.status_code == 302, text(response.content.decode())
    report = ProgressReport.objects.get(plan=plan, month=JUNE)
    assert response["Location"] == reverse("rectification:report_detail", args=[report.pk])
    plan.refresh_from_db()
    assert plan.status == "in_progress"                                 # a filed plan starts with its first report
    ev = report.evidence.get()
    assert ev.kind == "photo" and ev.warnings == [] and ev.taken_at.date() == date(2021, 6, 20)
    page = ent.get(response["Location"]).content.decode()
    body = text(page)
    assert "拍摄时间、位置与报送月份和宗地相符" in body
    assert 'data-testid="evidence-warnings"' not in page
    assert "119.70600, 29.10600" in body
    assert 'data-testid="evidence-thumb"' in page
    assert reverse("rectification:evidence_file", args=[ev.pk]) in page


def test_progress_percent_is_the_domain_computation_from_the_quantities(ent, plan):
    post_report(ent, plan, area="1500", inv="800", milestone=True, files=[photo()])
    report = ProgressReport.objects.get(plan=plan, month=JUNE)
    steps = [StepFacts(s.month, s.action, s.floor_area_m2, s.investment_wan, s.milestone) for s in plan.steps.all()]
    expected = progress_ratio(planned_totals(steps), Quantities(Decimal("1500"), Decimal("800"), 1))
    percent = (expected * 100).quantize(Decimal("0.1"))
    page = ent.get(reverse("rectification:report_detail", args=[report.pk])).content.decode()
    shown = re.search(r'data-testid="progress-percent">([\d.]+)%<', page).group(1)
    assert Decimal(shown) == percent == Decimal("15.3")   # mean of 1500/20000, 800/6000, 1/4
    row = text(page[page.index('data-testid="item-2021-06"'):])
    assert "2,000.00 1,500.00 500.00 800.00" in row                  # planned vs actual


def test_a_photo_far_away_and_a_year_off_gets_both_warnings_in_amber(ent, plan):
    far = photo("远处.jpg", taken=datetime(2020, 6, 20, 9, 30), **FAR)
    response = post_report(ent, plan, files=[far])
    assert response.status_code == 302
    page = ent.get(response["Location"]).content.decode()
    warnings = page[page.index('data-testid="evidence-warnings"'):]
    body = text(warnings[:warnings.index("</ul>")])
    assert "拍摄时间 2020-06-20 不在报送月份（2021年06月）前后" in body
    assert "拍摄位置（119.80000, 29.20000）不在宗地范围内，距宗地约" in body
    assert "bg-warning-subtle" in page and "text-warning-emphasis" in page
    assert "有 1 张现场照片的拍摄时间或位置" in text(page)


def test_a_photo_without_exif_is_flagged_for_checking(ent, plan):
    bare = SimpleUploadedFile("无信息.jpg", jpeg(), content_type="image/jpeg")
    post_report(ent, plan, files=[bare])
    ev = Evidence.objects.get()
    assert ev.warnings == ["照片未记录拍摄时间（EXIF），请核实", "照片未记录拍摄位置（GPS），请核实"]


def test_an_exe_renamed_jpg_is_refused_with_the_file_named(ent, plan):
    exe = SimpleUploadedFile("工地.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="image/jpeg")
    response = post_report(ent, plan, files=[photo(), exe])
    assert response.status_code == 400
    assert "文件“工地.jpg”的内容与扩展名不符" in text(response.content.decode())
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()
    plan.refresh_from_db()
    assert plan.status == "filed"                                       # nothing changed


def test_an_unsupported_type_is_refused_with_the_file_named(ent, plan):
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = post_report(ent, plan, files=[exe], kind="other")
    assert response.status_code == 400
    assert "文件“setup.exe”类型不支持" in text(response.content.decode())


def test_a_file_over_20_mb_is_refused(ent, plan):
    big = SimpleUploadedFile("合同.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024 + 1), content_type="application/pdf")
    response = post_report(ent, plan, files=[big], kind="contract")
    assert response.status_code == 400
    assert "文件“合同.pdf”大小 20.0 MB，超过 20 MB 上限" in text(response.content.decode())
    assert not ProgressReport.objects.exists()


def test_a_bad_quantity_names_the_row_and_a_narrative_is_required(ent, plan):
    response = post_report(ent, plan, area="-5", narrative="")
    body = text(response.content.decode())
    assert response.status_code == 400
    assert "2021年06月“第 1 月施工”：数量不能为负" in body
    assert "请填写本月进展情况" in body
    response = post_report(ent, plan, inv="很多")
    assert "2021年06月“第 1 月施工”：实际投资须为数字" in text(response.content.decode())
    assert not ProgressReport.objects.exists()


def test_a_photo_must_be_an_image(ent, plan):
    pdf = SimpleUploadedFile("许可证.pdf", b"%PDF-1.4\n%%EOF", content_type="application/pdf")
    response = post_report(ent, plan, files=[pdf], kind="photo")
    assert "文件“许可证.pdf”不是照片（JPG 或 PNG）" in text(response.content.decode())
    pdf = SimpleUploadedFile("许可证.pdf", b"%PDF-1.4\n%%EOF", content_type="application/pdf")
    response = post_report(ent, plan, files=[pdf], kind="permit")
    assert response.status_code == 302
    assert Evidence.objects.get().content_type == "application/pdf"


def test_later_months_show_earlier_unfinished_steps(ent, plan):
    post_report(ent, plan, area="1000", inv="500", milestone=False, files=[photo()])
    page = ent.get(reverse("rectification:report_create", args=[plan.pk]), {"month": "2021-07"},
                   **HTMX, HTTP_HX_TARGET="report-items").content.decode()
    assert "<html" not in page                                          # the partial only
    assert 'data-testid="step-row-2021-07"' in page and 'data-testid="step-row-2021-06"' in page
    assert "1,000.00 m²" in text(page)                                   # June's area so far
    form = ent.get(reverse("rectification:report_create", args=[plan.pk])).content.decode()
    assert '<option value="2021-06"' not in form                         # June is reported


def test_township_queries_with_a_comment_then_the_enterprise_reports_again_and_it_is_confirmed(
        client, login, world, plan):
    login(world.users["ent_a"])
    post_report(client, plan, area="500", files=[photo()])
    report = ProgressReport.objects.get()
    detail = reverse("rectification:report_detail", args=[report.pk])
    review = reverse("rectification:report_review", args=[report.pk])
    assert 'data-testid="section-review"' not in client.get(detail).content.decode()
    assert client.post(review, {"decision": "confirm"}).status_code == 403   # not the enterprise's to confirm

    login(world.users["town_a"])
    page = client.get(detail).content.decode()
    assert 'data-testid="section-review"' in page
    response = client.post(review, {"decision": "query", "comment": ""})
    assert response.status_code == 400 and "提出疑问时请填写意见" in text(response.content.decode())
    response = client.post(review, {"decision": "query", "comment": "开工面积与照片不符，请补充施工许可证"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "queried"

    login(world.users["ent_a"])
    page = text(client.get(detail).content.decode())
    assert "开工面积与照片不符，请补充施工许可证" in page and "补充报送" in page
    form = client.get(reverse("rectification:report_create", args=[plan.pk]), {"month": "2021-06"}).content.decode()
    assert '<option value="2021-06" selected' in form and "开工面积与照片不符" in text(form)
    permit = SimpleUploadedFile("施工许可证.pdf", b"%PDF-1.4\n%%EOF", content_type="application/pdf")
    response = post_report(client, plan, area="2000", files=[permit], kind="permit")
    assert response.status_code == 302 and response["Location"] == detail
    report.refresh_from_db()
    assert report.status == "submitted" and report.evidence.count() == 2
    assert report.items.get().floor_area_m2 == Decimal("2000")

    login(world.users["town_a"])
    assert client.post(review, {"decision": "confirm", "comment": "已核实"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "confirmed" and report.reviewed_by == world.users["town_a"]
    page = client.get(detail).content.decode()
    assert 'data-testid="section-review"' not in page and "已确认" in text(page)
    assert client.post(review, {"decision": "confirm"}).status_code == 400  # not twice


def test_the_enterprise_adds_evidence_to_a_filed_report(ent, plan):
    post_report(ent, plan)
    report = ProgressReport.objects.get()
    url = reverse("rectification:evidence_upload", args=[report.pk])
    response = ent.post(url, {"evidence_kind_0": "photo", "evidence_0": [photo()]})
    assert response.status_code == 302
    assert report.evidence.count() == 1
    response = ent.post(url, {"evidence_kind_0": "photo"})
    assert response.status_code == 400 and "请选择要上传的文件" in text(response.content.decode())


@pytest.mark.parametrize("username", ["ent_b", "town_b"])
def test_other_enterprise_and_township_get_404_on_the_report_and_its_files(client, login, world, plan, username):
    login(world.users["ent_a"])
    post_report(client, plan, files=[photo()])
    report = ProgressReport.objects.get()
    ev = report.evidence.get()
    login(world.users[username])
    assert client.get(reverse("rectification:report_detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("rectification:evidence_file", args=[ev.pk])).status_code == 404
    assert client.get(reverse("rectification:report_create", args=[plan.pk])).status_code == 404
    assert client.post(reverse("rectification:report_review", args=[report.pk]),
                       {"decision": "confirm"}).status_code == 404


def test_evidence_files_are_streamed_inline_for_images_and_pdf_and_never_sniffed(ent, plan):
    docx = SimpleUploadedFile("合同.docx", b"PK\x03\x04" + b"\x00" * 50)
    pdf = SimpleUploadedFile("发票.pdf", b"%PDF-1.4\n%%EOF")
    post_report(ent, plan, files=[photo()])
    report = ProgressReport.objects.get()
    ent.post(reverse("rectification:evidence_upload", args=[report.pk]),
             {"evidence_kind_0": "contract", "evidence_0": [docx], "evidence_kind_1": "invoice", "evidence_1": [pdf]})
    by_name = {e.original_name: e for e in report.evidence.all()}
    for name, disposition, ctype in (("现场.jpg", "inline", "image/jpeg"), ("发票.pdf", "inline", "application/pdf"),
                                     ("合同.docx", "attachment", "wordprocessingml")):
        response = ent.get(reverse("rectification:evidence_file", args=[by_name[name].pk]))
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith(disposition)
        assert ctype in response["Content-Type"]
    body = b"".join(ent.get(reverse("rectification:evidence_file", args=[by_name["现场.jpg"].pk])).streaming_content)
    assert body.startswith(b"\xff\xd8")


def test_a_progress_link_session_reports_without_logging_in(client, world, plan):
    link, _token = services.link_create(user=world.users["town_a"], plan=plan, purpose="progress")
    url = reverse("rectification:report_create", args=[plan.pk])
    assert client.get(url).status_code == 302                          # no login, no link: to the login page
    session = client.session
    session["pandi_link"] = link.pk
    session.save()
    page = text(client.get(url).content.decode())
    assert "填报链接" in page
    response = post_report(client, plan, files=[photo()])
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.submitted_by is None
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("rectification:evidence_file", args=[report.evidence.get().pk])).status_code == 200
    assert client.get(reverse("rectification:queue")).status_code == 302   # nothing else without a login


def test_a_plan_link_does_not_open_the_report_form(client, world, plan):
    link, _token = services.link_create(user=world.users["town_a"], plan=plan, purpose="plan")
    session = client.session
    session["pandi_link"] = link.pk
    session.save()
    assert client.get(reverse("rectification:report_create", args=[plan.pk])).status_code == 302


def test_district_users_see_the_report_but_do_not_report(client, login, world, plan):
    login(world.users["lead"])
    assert client.get(reverse("rectification:report_create", args=[plan.pk])).status_code == 403


def test_report_detail_query_count_is_pinned(ent, plan, django_assert_max_num_queries):
    post_report(ent, plan, files=[photo(), photo("二.jpg")])
    report = ProgressReport.objects.get()
    url = reverse("rectification:report_detail", args=[report.pk])
    ent.get(url)
    with django_assert_max_num_queries(12):
        assert ent.get(url).status_code == 200


# --- the queue ------------------------------------------------------------------------------------

def _queue_world(world):
    plan = filed(world)
    services.report_submit(user=world.users["ent_a"], plan=plan, month=JUNE, narrative="六月进展",
                           items=[{"step_id": plan.steps.get(month=JUNE).pk, "floor_area_m2": "2000",
                                   "investment_wan": "500", "milestone_reached": True}])
    services.queue_refresh(today=date(2021, 8, 10))
    return plan


def test_the_township_queue_lists_what_is_due_with_overdue_badges_and_reason_help(client, login, world):
    _queue_world(world)
    login(world.users["town_a"])
    page = client.get(reverse("rectification:queue")).content.decode()
    body = text(page)
    reasons = set(re.findall(r'data-testid="queue-row" data-reason="(\w+)"', page))
    assert reasons == {"progress_confirm_pending", "evidence_missing", "progress_overdue", "behind_schedule"}
    assert "甲公司" in body and "多湖街道" in body and "逾期" in body
    assert 'data-testid="late-badge"' in page
    assert "2021年07月进展未报送" in body and "2021年06月进展待确认" in body
    assert "事项说明" in body and "进展在次月 5 日前未报送" in body
    assert 'data-testid="queue-refresh"' not in page                     # only 区经商局 refreshes by hand
    assert reverse("rectification:report_create", args=[QueueEntry.objects.first().plan_id]) in page
    # filter by reason (HTMX: the table only)
    partial = client.get(reverse("rectification:queue"), {"reason": "progress_overdue"}, **HTMX,
                         HTTP_HX_TARGET="queue-table").content.decode()
    assert "<html" not in partial
    assert set(re.findall(r'data-reason="(\w+)"', partial)) == {"progress_overdue"}


def test_the_enterprise_queue_has_only_its_own_items_and_others_see_none(client, login, world):
    _queue_world(world)
    login(world.users["ent_a"])
    page = client.get(reverse("rectification:queue")).content.decode()
    assert set(re.findall(r'data-reason="(\w+)"', page)) == {"evidence_missing", "progress_overdue"}
    for username in ("ent_b", "town_b", "court"):
        login(world.users[username])
        page = client.get(reverse("rectification:queue")).content.decode()
        assert 'data-testid="queue-empty"' in page and "甲公司" not in page


def test_the_lead_refreshes_the_queue_by_hand(client, login, world):
    filed(world)
    login(world.users["lead"])
    page = client.get(reverse("rectification:queue")).content.decode()
    assert 'data-testid="queue-refresh"' in page
    response = client.post(reverse("rectification:queue_refresh"), follow=True)
    assert "待办事项已更新" in text(response.content.decode())
    assert QueueEntry.objects.filter(resolved_at=None).exists()
    login(world.users["town_a"])
    assert client.post(reverse("rectification:queue_refresh")).status_code == 403


def test_the_queue_count_is_shown_in_the_navigation(client, login, world):
    from pandi.core.navigation import SECTIONS

    item = next((i for s in SECTIONS for i in s.items if i.url_name == "rectification:queue"), None)
    if item is None or not item.badge:
        pytest.skip("the 待办事项 navigation item is not registered yet")
    _queue_world(world)
    login(world.users["ent_a"])
    page = client.get(reverse("core:home")).content.decode()
    badge = re.search(r'data-testid="nav-badge"[^>]*>(\d+)<', page)
    assert badge and int(badge.group(1)) == QueueEntry.objects.filter(resolved_at=None, who="enterprise").count()
    login(world.users["ent_b"])
    assert 'data-testid="nav-badge"' not in client.get(reverse("core:home")).content.decode()


def test_queue_query_count_is_pinned(client, login, world, django_assert_max_num_queries):
    _queue_world(world)
    login(world.users["town_a"])
    url = reverse("rectification:queue")
    client.get(url)
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200

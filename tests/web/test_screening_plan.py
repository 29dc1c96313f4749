"""The annual work plan (R8) and the distribution map pages: the plan with its totals and targets,
the bulk edit saved all-or-nothing through the service (with the bad row named), the targets grid,
the web map and the printable A3 map (PNG/PDF, township scoping, the 503 without a CJK font)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from pandi.audit.models import AuditEntry
from pandi.screening import services
from pandi.screening.models import WorkPlanItem, WorkPlanTarget
from tests.screening_world import accepted

pytestmark = pytest.mark.django_db

PLAN = "screening:workplan"


def _rows(*rows: dict) -> dict:
    data = {"rows-TOTAL_FORMS": str(len(rows)), "rows-INITIAL_FORMS": str(len(rows)), "rows-MIN_NUM_FORMS": "0",
            "rows-MAX_NUM_FORMS": "500"}
    for i, r in enumerate(rows):
        full = {"row": str(i + 1), "year": "", "route": "", "responsible_township": "",
                "responsible_department": "", "note": "", **r}
        data.update({f"rows-{i}-{k}": str(v) for k, v in full.items()})
    return data


def _plan_audits() -> int:
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(WorkPlanItem)).count()


# --- the work plan page --------------------------------------------------------------------------------

def test_workplan_lists_every_inventory_entry_with_the_deadline_and_the_goals(login, world):
    ns = accepted(world)
    html = login(world.users["lead"]).get(reverse(PLAN)).content.decode()
    for e in (ns.entry_a, ns.entry_b, ns.block_a, ns.block_b):
        assert e.number in html
    assert 'data-testid="workplan-form"' in html
    assert "2021-05-31" in html                      # campaign.work_plan_deadline
    assert "2,000" in html and "1,600,000" in html  # the campaign's targets
    assert "与区级清单重叠" in html                    # block_a lies on A-001, which is in the district list


def test_township_officer_sees_only_their_entries_read_only(login, world):
    ns = accepted(world)
    response = login(world.users["town_a"]).get(reverse(PLAN))
    html = response.content.decode()
    assert response.status_code == 200
    assert ns.entry_a.number in html and ns.block_a.number in html
    assert ns.entry_b.number not in html and ns.block_b.number not in html
    assert "东孝街道" not in html
    assert 'data-testid="workplan-form"' not in html
    assert "本乡镇已列入工作方案" in html


def test_township_officer_cannot_post_the_plan(login, world):
    ns = accepted(world)
    response = login(world.users["town_a"]).post(reverse(PLAN), _rows(
        {"entry": ns.entry_a.pk, "year": 2021, "route": "self"}))
    assert response.status_code == 403
    assert not WorkPlanItem.objects.exists()


def test_valid_bulk_save_creates_plan_items_with_audit_entries(login, world):
    ns = accepted(world)
    dept = world.orgs["GZGS"]
    before = _plan_audits()
    response = login(world.users["lead"]).post(reverse(PLAN), _rows(
        {"entry": ns.entry_a.pk, "year": 2021, "route": "acquisition", "responsible_department": dept.pk,
         "note": "国企收储"},
        {"entry": ns.block_b.pk, "year": 2022, "route": "self"},
        {"entry": ns.block_a.pk},                                  # left unassigned: nothing happens
    ))
    assert response.status_code == 302
    items = {i.entry_id: i for i in WorkPlanItem.objects.all()}
    assert set(items) == {ns.entry_a.pk, ns.block_b.pk}
    a = items[ns.entry_a.pk]
    assert (a.year, a.route, a.responsible_department, a.note) == (2021, "acquisition", dept, "国企收储")
    assert a.responsible_township == world.township_a          # defaults to the entry's township
    assert items[ns.block_b.pk].township == world.township_b
    assert _plan_audits() == before + 2
    # saving the same again changes nothing and writes no audit rows
    login(world.users["lead"]).post(reverse(PLAN), _rows(
        {"entry": ns.entry_a.pk, "year": 2021, "route": "acquisition", "responsible_department": dept.pk,
         "responsible_township": world.township_a.pk, "note": "国企收储"}))
    assert _plan_audits() == before + 2
    html = login(world.users["lead"]).get(reverse(PLAN), {"year": 2021}).content.decode()
    assert ns.entry_a.number in html and ns.block_b.number not in html


def test_bulk_save_with_one_invalid_row_saves_nothing_and_names_the_row(login, world):
    ns = accepted(world)
    response = login(world.users["lead"]).post(reverse(PLAN), _rows(
        {"entry": ns.entry_a.pk, "year": 2021, "route": "self"},
        {"entry": ns.entry_b.pk, "year": 2022, "route": ""},       # a year without a route
    ))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"第 2 行（清单编号 {ns.entry_b.number}）：请选择处置路径" in html
    assert "没有任何一行被保存" in html
    assert not WorkPlanItem.objects.exists()


def test_bulk_save_rolls_back_when_the_service_refuses_a_later_row(login, world, monkeypatch):
    ns = accepted(world)
    real = services.workplan_assign
    from django.core.exceptions import ValidationError

    def refuse_b(*, entry, **kwargs):
        if entry.pk == ns.entry_b.pk:
            raise ValidationError("处置年度超出行动期")
        return real(entry=entry, **kwargs)

    monkeypatch.setattr(services, "workplan_assign", refuse_b)
    audits = _plan_audits()
    response = login(world.users["lead"]).post(reverse(PLAN), _rows(
        {"entry": ns.entry_a.pk, "year": 2021, "route": "self"},
        {"entry": ns.entry_b.pk, "year": 2022, "route": "lease"},
    ))
    assert response.status_code == 400
    assert f"第 2 行（清单编号 {ns.entry_b.number}）：处置年度超出行动期" in response.content.decode()
    assert not WorkPlanItem.objects.exists()          # row 1 was saved by the service, then rolled back
    assert _plan_audits() == audits


def test_bulk_save_refuses_entries_outside_the_inventory_and_unknown_years(login, world):
    ns = accepted(world)
    response = login(world.users["lead"]).post(reverse(PLAN), _rows(
        {"entry": 99999999, "year": 2021, "route": "self"},
        {"entry": ns.entry_a.pk, "year": 2040, "route": "self"},
    ))
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 1 行：清单条目不存在" in html
    assert f"第 2 行（清单编号 {ns.entry_a.number}）" in html
    assert not WorkPlanItem.objects.exists()


def test_a_planned_entry_cannot_be_cleared(login, world):
    ns = accepted(world)
    services.workplan_assign(user=world.users["lead"], entry=ns.entry_a, year=2021, route="self")
    response = login(world.users["lead"]).post(reverse(PLAN), _rows({"entry": ns.entry_a.pk}))
    assert response.status_code == 400
    assert "不能清空处置年度和处置路径" in response.content.decode()
    assert WorkPlanItem.objects.get().route == "self"


def test_a_broken_form_is_a_message_not_a_500(login, world):
    accepted(world)
    response = login(world.users["lead"]).post(reverse(PLAN), {"rows-0-entry": "x"})
    assert response.status_code == 400
    assert "提交的表格不完整" in response.content.decode()


def test_totals_compare_the_assigned_area_with_the_township_targets(login, world):
    ns = accepted(world)
    lead = world.users["lead"]
    services.workplan_assign(user=lead, entry=ns.entry_a, year=2021, route="self")
    services.workplan_target_set(user=lead, campaign=world.campaign, township=world.township_a, year=2021,
                                 target_mu=120, target_m2=30000)
    html = login(lead).get(reverse(PLAN)).content.decode()
    totals = html.split('data-testid="workplan-totals"', 1)[1].split("</table>", 1)[0]
    mu = (ns.entry_a.area_m2 * 15 / 10000).quantize(Decimal("0.01"))
    assert f"{mu:,.2f}" in totals and "120.00" in totals
    assert f"{(mu / 120 * 100):.1f}%" in totals


def test_workplan_page_queries_are_bounded(login, world, django_assert_max_num_queries):
    ns = accepted(world)
    lead = world.users["lead"]
    for e in (ns.entry_a, ns.entry_b, ns.block_a):
        services.workplan_assign(user=lead, entry=e, year=2022, route="self", responsible_department=world.orgs["JSJ"])
    client = login(lead)
    client.get(reverse(PLAN))
    with django_assert_max_num_queries(12):
        assert client.get(reverse(PLAN)).status_code == 200
    client = login(world.users["town_a"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse(PLAN)).status_code == 200


def test_workplan_filters_and_htmx_partial(login, world):
    ns = accepted(world)
    services.workplan_assign(user=world.users["lead"], entry=ns.entry_a, year=2021, route="self")
    client = login(world.users["admin"])
    html = client.get(reverse(PLAN), {"unassigned": "1"}).content.decode()
    assert ns.entry_a.number not in html and ns.block_a.number in html
    html = client.get(reverse(PLAN), {"township": world.township_b.pk}).content.decode()
    assert ns.entry_b.number in html and ns.entry_a.number not in html
    partial = client.get(reverse(PLAN), {"route": "self"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and ns.entry_a.number in partial and ns.entry_b.number not in partial


# --- targets -------------------------------------------------------------------------------------------

def test_targets_are_saved_per_township_and_year(login, world):
    a = world.township_a
    response = login(world.users["lead"]).post(reverse("screening:workplan_targets"), {
        f"mu_{a.pk}_2021": "150", f"m2_{a.pk}_2021": "80000", f"mu_{a.pk}_2022": "50.5"})
    assert response.status_code == 302
    got = {(t.township_id, t.year): (t.target_mu, t.target_m2) for t in WorkPlanTarget.objects.all()}
    assert got == {(a.pk, 2021): (Decimal("150"), Decimal("80000")), (a.pk, 2022): (Decimal("50.5"), Decimal("0"))}
    html = login(world.users["town_a"]).get(reverse("screening:workplan_targets")).content.decode()
    assert "150.00" in html and "东孝街道" not in html and "targets-form" not in html


def test_a_bad_target_saves_nothing(login, world):
    a, b = world.township_a, world.township_b
    response = login(world.users["lead"]).post(reverse("screening:workplan_targets"), {
        f"mu_{a.pk}_2021": "150", f"mu_{b.pk}_2021": "-3"})
    assert response.status_code == 400
    assert "东孝街道 2021年" in response.content.decode()
    assert not WorkPlanTarget.objects.exists()


def test_township_officer_cannot_set_targets(login, world):
    response = login(world.users["town_a"]).post(reverse("screening:workplan_targets"),
                                                  {f"mu_{world.township_a.pk}_2021": "1"})
    assert response.status_code == 403


# --- the distribution map -----------------------------------------------------------------------------

def test_distribution_map_draws_the_inventory_with_print_links(login, world):
    ns = accepted(world)
    html = login(world.users["lead"]).get(reverse("screening:distribution_map")).content.decode()
    assert 'data-testid="distribution-svg"' in html
    assert ns.entry_a.number.split("-", 1)[1] in html       # the short label on the map
    assert ns.block_b.number in html                          # the table
    assert reverse("screening:distribution_print", args=["pdf"]) in html
    assert f"?township={world.township_a.pk}" in html


def test_township_officer_map_shows_only_their_township(login, world):
    ns = accepted(world)
    html = login(world.users["town_a"]).get(reverse("screening:distribution_map")).content.decode()
    assert ns.entry_a.number in html and ns.entry_b.number not in html
    assert "东孝街道" not in html and "多湖街道闲置工业用地地块分布图" in html


def _png_size(content: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(content)) as img:
        img.load()
        return img.size


def test_printed_png_decodes_at_a3_landscape(login, world):
    accepted(world)
    response = login(world.users["lead"]).get(reverse("screening:distribution_print", args=["png"]), {"dpi": 60})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    w, h = _png_size(response.content)
    assert w > h and abs(w / h - 420 / 297) < 0.01


def test_printed_pdf_of_a_township(login, world):
    accepted(world)
    response = login(world.users["town_a"]).get(reverse("screening:distribution_print", args=["pdf"]),
                                                 {"township": world.township_a.pk, "dpi": 60})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "inline" in response["Content-Disposition"]


def test_township_officer_asking_for_another_townships_map_gets_404(login, world):
    accepted(world)
    client = login(world.users["town_a"])
    for fmt in ("png", "pdf"):
        response = client.get(reverse("screening:distribution_print", args=[fmt]),
                              {"township": world.township_b.pk, "dpi": 60})
        assert response.status_code == 404
    assert client.get(reverse("screening:distribution_print", args=["png"]), {"township": "x"}).status_code == 404


def test_unknown_print_format_is_404(login, world):
    assert login(world.users["lead"]).get(reverse("screening:distribution_print", args=["gif"])).status_code == 404


def test_missing_cjk_font_is_a_503_with_the_chinese_message(login, world, monkeypatch):
    from pandi.screening import mapprint

    def no_font(**kwargs):
        raise mapprint.MapFontMissing()

    monkeypatch.setattr(mapprint, "render_distribution_map", no_font)
    response = login(world.users["lead"]).get(reverse("screening:distribution_print", args=["pdf"]))
    assert response.status_code == 503
    assert "未找到中文字体" in response.content.decode()


def test_enterprise_users_see_none_of_it(login, world):
    accepted(world)
    client = login(world.users["ent_a"])
    for name, args in ((PLAN, []), ("screening:workplan_targets", []), ("screening:distribution_map", []),
                       ("screening:distribution_print", ["png"]), ("screening:inventory_xlsx", [])):
        assert client.get(reverse(name, args=args)).status_code == 404

from datetime import date

import pytest
from django.urls import reverse

from pandi.accounts.models import Membership, OrgUnit, User
from pandi.audit.models import AuditEntry
from pandi.supervision.models import Campaign

pytestmark = pytest.mark.django_db


def campaign_form(campaign, **changes):
    data = {f: getattr(campaign, f) for f in [
        "name", "code", "district_name", "document_no", "rectification_months", "horizon_months",
        "target_reclaimed_mu", "target_floor_area_m2", "annual_acquisition_mu", "annual_lease_m2",
        "district_list_min_mu", "township_list_min_mu", "notes"]}
    for f in ["start", "survey_deadline", "work_plan_deadline", "rectification_start_deadline"]:
        data[f] = getattr(campaign, f).isoformat()
    data.update(changes)
    return data


def test_campaign_edit_through_page_shows_in_history(login, world):
    client = login(world.users["lead"])
    url = reverse("supervision:campaign_edit", args=[world.campaign.pk])
    response = client.post(url, campaign_form(world.campaign, target_reclaimed_mu="2100"))
    assert response.status_code == 302
    history = client.get(reverse("audit:history", args=["supervision.campaign", world.campaign.pk])).content.decode()
    assert "2000.00" in history and "2100.00" in history and "lead 测试" in history and "网页" in history


def test_campaign_form_errors_are_in_chinese_and_nothing_is_saved(login, world):
    client = login(world.users["lead"])
    url = reverse("supervision:campaign_edit", args=[world.campaign.pk])
    response = client.post(url, campaign_form(world.campaign, survey_deadline="2021-03-01", name="改了名"))
    assert response.status_code == 200
    assert "排摸清单截止日期（2021-03-01）不能早于开始日期（2021-04-01）" in response.content.decode()
    assert Campaign.objects.get(pk=world.campaign.pk).name == "测试盘地行动"


def test_campaign_create_page(login, world):
    client = login(world.users["lead"])
    data = campaign_form(world.campaign, code="t-2022", name="2022 年盘地行动", start="2022-04-01",
                         survey_deadline="2022-04-30", work_plan_deadline="2022-05-31",
                         rectification_start_deadline="2022-06-30")
    response = client.post(reverse("supervision:campaign_create"), data)
    assert response.status_code == 302
    created = Campaign.objects.get(code="t-2022")
    assert created.start == date(2022, 4, 1) and not created.is_current
    client.post(reverse("supervision:campaign_make_current", args=[created.pk]))
    assert Campaign.objects.get(is_current=True) == created


def test_admin_creates_user_with_membership_and_history(login, world):
    client = login(world.users["admin"])
    response = client.post(reverse("accounts:user_create"), {
        "username": "newtown", "full_name": "新人", "phone": "", "email": "", "password1": "Strong#Pass2024",
        "password2": "Strong#Pass2024", "role": "township_officer", "org_unit": world.township_b.pk,
        "enterprise": "", "title": "科员"})
    assert response.status_code == 302
    account = User.objects.get(username="newtown")
    assert account.must_change_password
    assert Membership.objects.get(user=account).org_unit == world.township_b
    history = client.get(reverse("audit:history", args=["accounts.user", account.pk])).content.decode()
    assert "新增" in history and "新人" in history


def test_user_create_with_wrong_org_kind_writes_nothing(login, world):
    client = login(world.users["admin"])
    response = client.post(reverse("accounts:user_create"), {
        "username": "wrong", "full_name": "错", "password1": "Strong#Pass2024", "password2": "Strong#Pass2024",
        "role": "township_officer", "org_unit": world.orgs["JSJ"].pk, "enterprise": ""})
    assert response.status_code == 200
    assert "只能设在" in response.content.decode()
    assert not User.objects.filter(username="wrong").exists()


def test_org_edit_through_page_is_audited(login, world):
    client = login(world.users["admin"])
    org = world.township_a
    response = client.post(reverse("accounts:org_edit", args=[org.pk]), {
        "code": org.code, "name": org.name, "short_name": "多湖", "kind": org.kind, "township_type": "街道",
        "area_km2": "32.24", "contact_person": "王主任", "contact_phone": "0579-1", "duties": "", "sort_order": 1,
        "is_active": "on"})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_id=str(org.pk), content_type__model="orgunit").first()
    assert {c["field"] for c in entry.changes} >= {"short_name", "contact_person"}
    assert OrgUnit.objects.get(pk=org.pk).boundary_geojson == org.boundary_geojson


def test_htmx_request_gets_only_the_table(login, world):
    client = login(world.users["lead"])
    response = client.get(reverse("accounts:org_list") + "?kind=township", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="org-table"' in body
    assert "多湖街道" in body and "金东区经济商务局" not in body


def test_user_list_filters(login, world):
    client = login(world.users["admin"])
    body = client.get(reverse("accounts:user_list") + "?role=township_officer").content.decode()
    assert "town_a" in body and "town_b" in body and "ent_a" not in body


@pytest.mark.parametrize(("url_name", "max_queries"), [
    ("accounts:user_list", 12), ("accounts:org_list", 10), ("audit:log", 10), ("core:home", 12),
    ("supervision:campaign_list", 8),
])
def test_list_pages_do_not_grow_queries_with_rows(login, world, django_assert_max_num_queries, url_name,
                                                  max_queries):
    from pandi.accounts import services

    for i in range(30):
        account = services.user_create(user=None, check=False, data={"username": f"extra{i}"},
                                       password="Strong#Pass2024")
        services.membership_add(user=None, check=False, account=account, role="township_officer",
                                org_unit=world.township_a)
    client = login(world.users["admin"])
    with django_assert_max_num_queries(max_queries):
        assert client.get(reverse(url_name)).status_code == 200


def test_api_lists_are_query_bounded(login, world, django_assert_max_num_queries):
    client = login(world.users["lead"])
    with django_assert_max_num_queries(6):
        assert client.get("/api/accounts/orgs").status_code == 200


def test_current_campaign_api_gives_dates_and_targets(login, world):
    data = login(world.users["ent_a"]).get("/api/campaigns/current").json()
    assert data["survey_deadline"] == "2021-04-30"
    assert data["rectification_end"] == "2022-06-30"
    assert data["end"] == "2023-04-01"
    assert float(data["target_floor_area_m2"]) == 1600000


def test_healthz_reports_database(client, world):
    assert client.get("/healthz").json()["status"] == "ok"


def test_org_page_draws_boundary(login, world):
    body = login(world.users["town_a"]).get(reverse("accounts:org_detail", args=[world.township_a.pk])).content
    assert b"<svg" in body and b"pd-township" in body


def _boundary_post(client, org, upload):
    return client.post(reverse("accounts:org_edit", args=[org.pk]), {
        "code": org.code, "name": org.name, "short_name": org.short_name, "kind": org.kind,
        "township_type": org.township_type, "area_km2": "", "contact_person": "", "contact_phone": "", "duties": "",
        "sort_order": 1, "is_active": "on", "boundary_file": upload})


def test_admin_replaces_a_boundary_by_upload(login, world):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.users["admin"])
    square = {"type": "Polygon", "coordinates": [[[119.6, 29.0], [119.65, 29.0], [119.65, 29.05], [119.6, 29.05],
                                                  [119.6, 29.0]]]}
    upload = SimpleUploadedFile("duohu.geojson", json.dumps({"type": "Feature", "geometry": square}).encode())
    assert _boundary_post(client, world.township_a, upload).status_code == 302
    org = OrgUnit.objects.get(pk=world.township_a.pk)
    assert org.boundary_geojson == square and org.boundary_source == "上传文件：duohu.geojson"


def test_swapped_boundary_upload_is_refused_in_chinese(login, world):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.users["admin"])
    swapped = {"type": "Polygon", "coordinates": [[[29.0, 119.6], [29.0, 119.65], [29.05, 119.65], [29.0, 119.6]]]}
    upload = SimpleUploadedFile("bad.geojson", json.dumps(swapped).encode())
    response = _boundary_post(client, world.township_a, upload)
    assert response.status_code == 200 and "经纬度顺序颠倒" in response.content.decode()
    assert OrgUnit.objects.get(pk=world.township_a.pk).boundary_geojson == world.township_a.boundary_geojson


def test_client_ip_behind_trusted_proxy(client, world, settings):
    from django.test import RequestFactory

    from pandi.accounts.models import LoginFailure
    from pandi.core.middleware import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert client_ip(request) == "10.0.0.1"  # no trusted proxy: the header is ignored
    settings.PANDI_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # the address our proxy saw, not the client-supplied one
    client.post("/accounts/login/", {"username": "town_a", "password": "wrong"}, REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert LoginFailure.objects.get().ip == "203.0.113.9"


def test_api_refuses_session_that_must_change_password(login, world):
    from pandi.accounts.services import user_reset_password

    user_reset_password(user=world.users["admin"], account=world.users["town_a"], password="Temp#Pass2021")
    client = login(User.objects.get(pk=world.users["town_a"].pk))
    response = client.get("/api/accounts/me")
    assert response.status_code == 403 and "修改密码" in response.json()["detail"]


def test_api_docs_use_bundled_swagger_not_a_cdn(login, world):
    body = login(world.users["lead"]).get("/api/docs").content.decode()
    assert "cdn." not in body and "/static/" in body

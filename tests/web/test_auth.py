import pytest
from django.urls import reverse

from pandi.accounts.models import LoginFailure
from pandi.audit.models import AuditEntry

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def post_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_lands_on_home_and_is_audited(client, world):
    response = post_login(client, "town_a", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEntry.objects.filter(event="login", object_id=str(world.users["town_a"].pk)).exists()
    home = client.get("/")
    assert "多湖街道" in home.content.decode()


def test_wrong_password_gives_a_chinese_error(client, world):
    response = post_login(client, "town_a", "wrong")
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.content.decode()
    assert LoginFailure.objects.filter(username="town_a").count() == 1


def test_five_failures_lock_the_account_even_for_the_right_password(client, world):
    for _ in range(5):
        post_login(client, "town_a", "wrong")
    response = post_login(client, "town_a", PASSWORD)
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_then_success_clears_the_counter(client, world):
    for _ in range(4):
        post_login(client, "town_a", "wrong")
    assert post_login(client, "town_a", PASSWORD).status_code == 302
    assert LoginFailure.objects.filter(username="town_a").count() == 0


def test_admin_reset_unlocks(client, world):
    from pandi.accounts.services import user_reset_password

    for _ in range(5):
        post_login(client, "town_a", "wrong")
    user_reset_password(user=world.users["admin"], account=world.users["town_a"], password="Fresh#Pass2021")
    assert post_login(client, "town_a", "Fresh#Pass2021").status_code == 302


def test_open_redirect_is_refused(client, world):
    response = client.post(LOGIN + "?next=https://evil.example/", {"username": "lead", "password": PASSWORD,
                                                                   "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_must_change_password_blocks_other_pages_until_changed(client, world):
    from pandi.accounts.services import user_reset_password

    user_reset_password(user=world.users["admin"], account=world.users["town_a"], password="Temp#Pass2021")
    post_login(client, "town_a", "Temp#Pass2021")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_change")
    weak = client.post(reverse("accounts:password_change"), {"old_password": "Temp#Pass2021",
                                                             "new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 200 and "密码" in weak.content.decode()
    done = client.post(reverse("accounts:password_change"), {
        "old_password": "Temp#Pass2021", "new_password1": "Mine#Pass2022", "new_password2": "Mine#Pass2022"})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_logout_needs_post(client, world):
    client.force_login(world.users["lead"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_csrf_is_enforced_on_forms(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["lead"])
    response = strict.post(reverse("supervision:campaign_edit", args=[world.campaign.pk]), {"name": "x"})
    assert response.status_code == 403


def test_api_bearer_token(client, world):
    from pandi.accounts.services import api_token_create

    _, key = api_token_create(user=world.users["town_a"], name="数据交换")
    response = client.get("/api/accounts/orgs", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    codes = {o["code"] for o in response.json()}
    assert "330703001" in codes and "330703002" not in codes
    other = client.get(f"/api/accounts/orgs/{world.township_b.pk}", headers={"Authorization": f"Bearer {key}"})
    assert other.status_code == 404
    assert client.get("/api/accounts/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_every_password_rule_speaks_chinese(world):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"):
        for weak in ["Ab#1", "password123", "12345678901", "town_a12345"]:
            with pytest.raises(ValidationError) as exc:
                validate_password(weak, world.users["town_a"])
            for message in exc.value.messages:
                assert not any(word in message for word in ("password", "This", "too")), message

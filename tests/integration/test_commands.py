import io
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pandi.accounts.models import ApiToken, LoginFailure, OrgUnit, User
from pandi.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_setup_district_loads_reference_units_without_users():
    out = io.StringIO()
    call_command("setup_district", stdout=out)
    assert OrgUnit.objects.filter(kind="township").count() == 11
    assert OrgUnit.objects.get(code="330703200").name == "源东乡"
    assert not User.objects.exists()
    entries = AuditEntry.objects.count()
    call_command("setup_district", stdout=io.StringIO())
    assert AuditEntry.objects.count() == entries


def test_create_admin_uses_the_password_rules():
    call_command("setup_district", stdout=io.StringIO())
    with pytest.raises(CommandError, match="密码"):
        call_command("create_admin", "boss", password="weak", stdout=io.StringIO())
    assert not User.objects.filter(username="boss").exists()
    call_command("create_admin", "boss", password="Boss#Pass2021", stdout=io.StringIO())
    boss = User.objects.get(username="boss")
    assert boss.memberships.get().role == "admin"


def test_create_admin_needs_the_district_first():
    with pytest.raises(CommandError, match="setup-district"):
        call_command("create_admin", "boss", password="Boss#Pass2021", stdout=io.StringIO())


def test_tick_is_idempotent_and_cleans_up(world):
    from pandi.accounts.services import api_token_create

    token, _ = api_token_create(user=world.users["lead"], name="旧令牌", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    old = LoginFailure.objects.create(username="x")
    LoginFailure.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    LoginFailure.objects.create(username="y")
    call_command("tick", stdout=io.StringIO())
    assert not ApiToken.objects.get(pk=token.pk).is_active
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["y"]
    out = io.StringIO()
    call_command("tick", stdout=out)
    assert "0 个" in out.getvalue()


def test_console_command_maps_hyphens_and_reports_errors(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "pandi.settings.dev", "PANDI_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "PANDI_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "pandi", "create-admin", "boss", "--password", "Boss#Pass2021"],
                            env=env, capture_output=True, text=True, timeout=120)
    # no migrations yet on this throw-away database: a clear failure, not a traceback about an unknown command
    assert result.returncode != 0
    assert "Unknown command" not in result.stderr


def test_create_admin_reports_django_password_rules_in_chinese():
    call_command("setup_district", stdout=io.StringIO())
    with pytest.raises(CommandError) as exc:
        call_command("create_admin", "boss2", password="Ab#1", stdout=io.StringIO())
    assert "密码" in str(exc.value) and "This password" not in str(exc.value)

"""`pandi check --deploy` is clean under the production settings."""

import os
import subprocess
import sys


def test_deploy_checks_pass_under_prod_settings(tmp_path):
    # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a production server never has it
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "DJANGO_SETTINGS_MODULE": "pandi.settings.prod",
           "PANDI_SECRET_KEY": "x" * 20 + "Qw8#kL2$vN9@pR4!tY7&zU1^mB6*cX3%hJ5(", "PANDI_ALLOWED_HOSTS": "pandi.gov.cn",
           "PANDI_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "pandi", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PANDI_SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "pandi.settings.prod", "PANDI_VAR_DIR": str(tmp_path)})
    result = subprocess.run([sys.executable, "-m", "pandi", "check"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "PANDI_SECRET_KEY" in result.stderr

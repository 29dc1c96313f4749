"""Tests: in-memory SQLite unless PANDI_DATABASE_URL points elsewhere (CI runs PostgreSQL too)."""

import os

from .base import *  # noqa: F403
from .base import database_config

DEBUG = False
if not os.environ.get("PANDI_DATABASE_URL"):
    DATABASES = {"default": database_config("sqlite://:memory:")}
    DATABASES["default"]["OPTIONS"].pop("init_command", None)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PANDI_LOGIN_MAX_FAILURES = 5
PANDI_LOGIN_LOCK_MINUTES = 15
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (WhiteNoise warns when it is missing)

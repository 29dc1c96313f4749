"""Shared settings. Everything that differs between machines comes from PANDI_* variables."""

from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PANDI_DIR = BASE_DIR / "pandi"
VAR_DIR = Path(env_str("PANDI_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("PANDI_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = env_bool("PANDI_DEBUG", False)
ALLOWED_HOSTS = env_list("PANDI_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("PANDI_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves Swagger UI for /api/docs from the package itself, not from a CDN
    "pandi.core",
    "pandi.accounts",
    "pandi.audit",
    "pandi.land",
    "pandi.supervision",
    "pandi.screening",
    "pandi.rectification",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pandi.core.middleware.AuditContextMiddleware",
    "pandi.accounts.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "pandi.urls"
WSGI_APPLICATION = "pandi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PANDI_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pandi.core.context_processors.pandi",
                "pandi.rectification.context_processors.queue",
            ],
        },
    }
]


def database_config(url: str) -> dict:
    """One database from a URL; SQLite gets WAL mode and immediate transactions."""
    config = dj_database_url.parse(url, conn_max_age=env_int("PANDI_DB_CONN_MAX_AGE", 0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASE_URL = env_str("PANDI_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'pandi.sqlite3'}"
DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "pandi.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "pandi.accounts.validators.CharacterClassValidator"},
]
# Lock-out after repeated failed logins (per user name and per address).
PANDI_LOGIN_MAX_FAILURES = env_int("PANDI_LOGIN_MAX_FAILURES", 5)
PANDI_LOGIN_LOCK_MINUTES = env_int("PANDI_LOGIN_LOCK_MINUTES", 15)
# Failures from one address (all user names together) before that address is locked out.
PANDI_LOGIN_MAX_FAILURES_PER_IP = env_int("PANDI_LOGIN_MAX_FAILURES_PER_IP", 50)
# Number of reverse proxies in front of Pandi whose X-Forwarded-For entries are trusted (0 = none):
# the client address for audit rows and lock-outs is taken that many hops from the right.
PANDI_TRUSTED_PROXIES = env_int("PANDI_TRUSTED_PROXIES", 0)

SESSION_COOKIE_AGE = env_int("PANDI_SESSION_HOURS", 10) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("PANDI_STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [PANDI_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("PANDI_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True

# Basemap for the map islands: "none" (intranet, no tiles), "tianditu" (needs a key), "osm",
# or "custom" with PANDI_TILE_URL (an intranet tile server).
PANDI_BASEMAP = env_str("PANDI_BASEMAP", "none")
PANDI_TIANDITU_KEY = env_str("PANDI_TIANDITU_KEY", "")
PANDI_TILE_URL = env_str("PANDI_TILE_URL", "")
PANDI_TILE_ATTRIBUTION = env_str("PANDI_TILE_ATTRIBUTION", "")

# Reminders: the action queue is always shown in the application; with PANDI_REMINDER_EMAIL=1 each new
# queue item is also e-mailed to the users who must act (those with an e-mail address).
PANDI_REMINDER_EMAIL = env_bool("PANDI_REMINDER_EMAIL", False)
PANDI_SITE_URL = env_str("PANDI_SITE_URL", "http://127.0.0.1:8000")
EMAIL_HOST = env_str("PANDI_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("PANDI_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("PANDI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("PANDI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PANDI_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("PANDI_EMAIL_FROM", "pandi@localhost")

PANDI_DISTRICT_NAME = env_str("PANDI_DISTRICT_NAME", "金东区")
PANDI_DISTRICT_CODE = env_str("PANDI_DISTRICT_CODE", "330703")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("PANDI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

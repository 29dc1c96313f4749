"""Production: behind a TLS-terminating proxy, PostgreSQL, secrets from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str

DEBUG = env_bool("PANDI_DEBUG", False)
SECRET_KEY = env_str("PANDI_SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("生产环境必须设置 PANDI_SECRET_KEY（至少 50 个随机字符）")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("PANDI_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("PANDI_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("PANDI_HSTS_PRELOAD", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
# Behind the documented nginx proxy: one trusted hop unless configured otherwise.
PANDI_TRUSTED_PROXIES = env_int("PANDI_TRUSTED_PROXIES", 1)

"""The Pandi API (django-ninja). OpenAPI at /api/docs. Session auth for the pages, bearer tokens
for machine clients. Every endpoint reads through the same selectors as the pages, so the API
is scoped exactly like them; an object out of scope answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from pandi.accounts.api import router as accounts_router
from pandi.land.api import router as land_router
from pandi.land.api_map import router as map_router
from pandi.screening.api import router as screening_router
from pandi.supervision.api import router as supervision_router


class SessionAuth(APIKeyCookie):
    """The browser session (CSRF-checked for writes, like the pages)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from pandi.accounts.services import api_token_user

        user = api_token_user(token)
        if user is not None and user.must_change_password:
            return None  # an administrator reset this account: its tokens wait for the holder's own password
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="盘地 Pandi API",
    version="1",
    description="金东区闲置工业用地盘地行动系统接口。会话或 Bearer 令牌认证；数据范围与网页一致。",
    auth=[SessionAuth(), TokenAuth()],
    urls_namespace="api",
    docs_decorator=login_required,
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "无权执行此操作"}, status=403)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


api.add_router("/accounts", accounts_router)
api.add_router("/campaigns", supervision_router)
api.add_router("/land", land_router)
api.add_router("/map", map_router)
api.add_router("/screening", screening_router)

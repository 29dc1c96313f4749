"""The Pandi API (django-ninja). OpenAPI at /api/docs. Session auth for the pages, bearer tokens
for machine clients. Every endpoint reads through the same selectors as the pages, so the API
is scoped exactly like them; an object out of scope answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from pandi.accounts.api import router as accounts_router
from pandi.land.api import router as land_router
from pandi.land.api_map import router as map_router
from pandi.rectification.api import router as rectification_router
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


SCHEMA_ERRORS_ZH = {
    "missing": "缺少此项", "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "decimal_parsing": "应为数字", "decimal_type": "应为数字",
    "date_parsing": "应为日期（YYYY-MM-DD）", "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）", "datetime_parsing": "应为日期时间",
    "bool_parsing": "应为是或否（true/false）", "bool_type": "应为是或否（true/false）",
    "string_type": "应为文本", "list_type": "应为列表", "dict_type": "应为对象",
    "model_attributes_type": "应为对象", "json_invalid": "请求体不是有效的 JSON", "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大", "greater_than": "数值过小", "less_than": "数值过大",
    "string_too_long": "文本过长", "string_too_short": "文本过短", "enum": "取值无效", "literal_error": "取值无效",
    "extra_forbidden": "不认识的字段",
}


@api.exception_handler(NinjaValidationError)
def schema_error(request: HttpRequest, exc: NinjaValidationError):
    """Request data that does not fit the schema: 422 with a Chinese message per field (the original
    machine-readable errors stay under `errors`)."""
    detail: dict[str, list[str]] = {}
    for e in exc.errors:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path", "payload", "data")]
        field = ".".join(loc) or "__all__"
        message = SCHEMA_ERRORS_ZH.get(e.get("type", ""), "格式错误")
        value = e.get("input")
        shown = f"（收到“{value}”）" if isinstance(value, str | int | float) and not isinstance(value, bool) else ""
        detail.setdefault(field, []).append(f"“{field}”{message}{shown}")
    return api.create_response(request, {"detail": detail, "errors": exc.errors}, status=422)


api.add_router("/accounts", accounts_router)
api.add_router("/campaigns", supervision_router)
api.add_router("/land", land_router)
api.add_router("/map", map_router)
api.add_router("/rectification", rectification_router)
api.add_router("/screening", screening_router)

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .auditctx import audit_context


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


class AuditContextMiddleware:
    """Marks every write during a request as coming from the web (or the API) with a request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with audit_context(source, ip=client_ip(request)) as ctx:
            request.audit_request_id = ctx.request_id
            return self.get_response(request)

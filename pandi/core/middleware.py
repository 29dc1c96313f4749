from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .auditctx import audit_context


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind N trusted proxies (PANDI_TRUSTED_PROXIES) it is the N-th entry
    of X-Forwarded-For counted from the right; entries further left are client-supplied and ignored."""
    from django.conf import settings

    hops = settings.PANDI_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops > 0 and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        candidate = chain[-hops] if len(chain) >= hops else (chain[0] if chain else "")
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass  # not an address (a misconfigured hop count or a forged header): use the socket's
    return request.META.get("REMOTE_ADDR")


class AuditContextMiddleware:
    """Marks every write during a request as coming from the web (or the API) with a request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with audit_context(source, ip=client_ip(request)) as ctx:
            request.audit_request_id = ctx.request_id
            request.client_ip = ctx.ip
            return self.get_response(request)

"""Where a write comes from (web, api, cli, import, seed) and which request, for audit rows."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    source: str = "system"
    request_id: str = ""
    ip: str | None = None


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("pandi_audit", default=AuditContext())  # noqa: B039 (frozen)


def current_audit_context() -> AuditContext:
    return _current.get()


@contextmanager
def audit_context(source: str, *, ip: str | None = None, request_id: str | None = None) -> Iterator[AuditContext]:
    ctx = AuditContext(source=source, request_id=request_id or uuid.uuid4().hex[:16], ip=ip)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)

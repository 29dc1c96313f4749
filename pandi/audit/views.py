from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from pandi.core.permissions import require
from pandi.domain.access import Perm

from .models import SOURCE_LABELS, AuditAction
from .selectors import audit_log, record_history


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def log_view(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.VIEW_AUDIT_LOG)
    params = {k: request.GET.get(k, "") for k in ("source", "action", "actor", "model", "since", "until", "q")}
    entries = audit_log(user=request.user, source=params["source"] or None, action=params["action"] or None,
                        actor=params["actor"] or None, model=params["model"] or None,
                        since=_date(params["since"]), until=_date(params["until"]), q=params["q"] or None)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    ctx = {"page": page, "params": params, "sources": SOURCE_LABELS.items(), "actions": AuditAction.choices,
           "breadcrumbs": [("首页", reverse("core:home")), ("审计日志", None)]}
    if request.htmx:
        return render(request, "audit/partials/_log_table.html", ctx)
    return render(request, "audit/log.html", ctx)


@login_required
def history_view(request: HttpRequest, label: str, pk: str) -> HttpResponse:
    obj, entries = record_history(user=request.user, label=label, pk=pk)
    page = Paginator(entries.select_related("content_type"), 30).get_page(request.GET.get("page"))
    back = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None
    ctx = {"obj": obj, "page": page, "label": label, "model_name": obj._meta.verbose_name,
           "breadcrumbs": [("首页", reverse("core:home")), (str(obj), back), ("历史记录", None)]}
    if request.htmx:
        return render(request, "audit/partials/_history_entries.html", ctx)
    return render(request, "audit/history.html", ctx)

from __future__ import annotations

from datetime import date
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from pandi.core.scope import get_visible_or_404

from .models import AuditEntry


def audit_recent(*, user: Any, limit: int = 10) -> list[AuditEntry]:
    return list(AuditEntry.objects.visible_to(user).exclude(event__in=["login", "login_failed"])
                .select_related("content_type")[:limit])


def audit_log(*, user: Any, source: str | None = None, action: str | None = None, actor: str | None = None,
              model: str | None = None, since: date | None = None, until: date | None = None,
              q: str | None = None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.visible_to(user).select_related("content_type")
    if source:
        qs = qs.filter(source=source)
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if model and "." in model:
        app_label, model_name = model.split(".", 1)
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model_name)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    if q:
        qs = qs.filter(object_repr__icontains=q)
    return qs


def history_model(label: str) -> type[models.Model]:
    """The model for a 'app_label.model' label if it is a Pandi model with scoped reads, else 404."""
    try:
        app_label, model_name = label.split(".", 1)
        model = apps.get_model(app_label, model_name)
    except (ValueError, LookupError) as exc:
        raise Http404("未知的记录类型") from exc
    if not model.__module__.startswith("pandi.") or not hasattr(model.objects, "visible_to"):
        raise Http404("该类型没有历史记录")
    return model


def record_history(*, user: Any, label: str, pk: str) -> tuple[models.Model, QuerySet[AuditEntry]]:
    """The record (if `user` may see it) and its audit trail, newest first."""
    model = history_model(label)
    obj = get_visible_or_404(model.objects, user, pk=pk)
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=False), object_id=str(obj.pk)
    ).order_by("-at", "-id")
    return obj, entries

"""Helpers every service uses: apply field changes, validate, save, audit — in one place."""

from __future__ import annotations

from typing import Any

from django.db import models

from pandi.audit.services import record_change, snapshot


def model_update(*, obj: models.Model, user: Any, data: dict[str, Any], comment: str = "") -> models.Model:
    """Set the given fields, validate the whole record, save only those fields and audit the change.

    Call inside the service's transaction.
    """
    before = snapshot(obj)
    for name, value in data.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    record_change(obj=obj, user=user, before=before, comment=comment)
    return obj


def model_create(*, model: type[models.Model], user: Any, data: dict[str, Any], comment: str = "") -> models.Model:
    obj = model(**data)
    obj.full_clean()
    obj.save()
    record_change(obj=obj, user=user, before=None, comment=comment)
    return obj

"""Writes for enterprises (the land registry grows here)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pandi.core.permissions import require, require_township
from pandi.core.services import model_create, model_update
from pandi.domain.access import Perm
from pandi.domain.uscc import normalise_uscc

from .models import Enterprise

ENTERPRISE_FIELDS = ("name", "uscc", "legal_representative", "contact_person", "contact_phone", "address",
                     "industry_code", "industry_name", "above_scale", "township")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if data.get("uscc"):
        data = {**data, "uscc": normalise_uscc(data["uscc"])}
    return data


@transaction.atomic
def enterprise_create(*, user: Any, data: dict[str, Any], check: bool = True) -> Enterprise:
    if check:
        require(user, Perm.EDIT_LAND)
        township = data.get("township")
        require_township(user, township.pk if township else None)
    return model_create(model=Enterprise, user=user, data=_clean(data))


@transaction.atomic
def enterprise_update(*, user: Any, enterprise: Enterprise, data: dict[str, Any], check: bool = True) -> Enterprise:
    if check:
        require(user, Perm.EDIT_LAND)
        require_township(user, enterprise.township_id)
        if "township" in data:
            require_township(user, data["township"].pk if data["township"] else None)
    return model_update(obj=enterprise, user=user, data=_clean(data))

"""Writes for campaigns. The district lead edits them; every change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pandi.core.permissions import require
from pandi.core.services import model_create, model_update
from pandi.domain.access import Perm

from .models import Campaign

CAMPAIGN_FIELDS = (
    "name", "code", "district_name", "document_no", "start", "survey_deadline", "work_plan_deadline",
    "rectification_start_deadline", "rectification_months", "horizon_months", "target_reclaimed_mu",
    "target_floor_area_m2", "annual_acquisition_mu", "annual_lease_m2", "district_list_min_mu",
    "township_list_min_mu", "notes",
)


def _check_fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return data


@transaction.atomic
def campaign_create(*, user: Any, data: dict[str, Any], make_current: bool = False, check: bool = True) -> Campaign:
    if check:
        require(user, Perm.EDIT_CAMPAIGN)
    campaign = model_create(model=Campaign, user=user, data=_check_fields(data))
    if make_current:
        campaign_set_current(user=user, campaign=campaign, check=check)
    return campaign


@transaction.atomic
def campaign_update(*, user: Any, campaign: Campaign, data: dict[str, Any], check: bool = True) -> Campaign:
    if check:
        require(user, Perm.EDIT_CAMPAIGN)
    return model_update(obj=campaign, user=user, data=_check_fields(data))


@transaction.atomic
def campaign_set_current(*, user: Any, campaign: Campaign, check: bool = True) -> Campaign:
    """Make `campaign` the one the system works on; the previous current campaign is released."""
    if check:
        require(user, Perm.EDIT_CAMPAIGN)
    for other in Campaign.objects.select_for_update().filter(is_current=True).exclude(pk=campaign.pk):
        model_update(obj=other, user=user, data={"is_current": False})
    if not campaign.is_current:
        model_update(obj=campaign, user=user, data={"is_current": True})
    return campaign

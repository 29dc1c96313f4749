from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from pandi.core.scope import get_visible_or_404

from .models import Campaign
from .selectors import campaign_current, campaign_list

router = Router(tags=["盘地行动"])


class CampaignOut(Schema):
    id: int
    name: str
    code: str
    district_name: str
    document_no: str
    is_current: bool
    start: date
    survey_deadline: date
    work_plan_deadline: date
    rectification_start_deadline: date
    rectification_months: int
    horizon_months: int
    rectification_end: date
    end: date
    target_reclaimed_mu: Decimal
    target_floor_area_m2: Decimal
    annual_acquisition_mu: Decimal
    annual_lease_m2: Decimal
    district_list_min_mu: Decimal
    township_list_min_mu: Decimal


@router.get("", response=list[CampaignOut], summary="盘地行动列表")
def campaigns(request: HttpRequest):
    return list(campaign_list(user=request.user))


@router.get("/current", response=CampaignOut, summary="当前盘地行动（日期与目标）")
def current(request: HttpRequest):
    campaign = campaign_current(user=request.user)
    if campaign is None:
        raise Http404("尚未设置当前盘地行动")
    return campaign


@router.get("/{campaign_id}", response=CampaignOut, summary="盘地行动详情")
def campaign_detail(request: HttpRequest, campaign_id: int):
    return get_visible_or_404(Campaign.objects, request.user, pk=campaign_id)

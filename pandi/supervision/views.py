from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pandi.core.forms import apply_validation_error
from pandi.core.permissions import require
from pandi.core.scope import access_for, get_visible_or_404
from pandi.domain.access import Perm

from . import services
from .forms import CampaignForm
from .models import Campaign
from .selectors import campaign_list, campaign_milestones


def _crumbs(*items):
    return [("首页", reverse("core:home")), ("盘地行动", reverse("supervision:campaign_list")), *items]


@login_required
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/campaign_list.html", {
        "campaigns": campaign_list(user=request.user),
        "can_edit": access_for(request.user).can(Perm.EDIT_CAMPAIGN),
        "breadcrumbs": [("首页", reverse("core:home")), ("盘地行动", None)],
    })


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=pk)
    return render(request, "supervision/campaign_detail.html", {
        "campaign": campaign, "milestones": campaign_milestones(campaign=campaign, today=timezone.localdate()),
        "can_edit": access_for(request.user).can(Perm.EDIT_CAMPAIGN),
        "breadcrumbs": _crumbs((campaign.name, None)),
    })


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    require(request.user, Perm.EDIT_CAMPAIGN)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in CampaignForm.Meta.fields}
        try:
            if campaign is None:
                campaign = services.campaign_create(user=request.user, data=data,
                                                    make_current=not Campaign.objects.filter(is_current=True).exists())
            else:
                campaign = services.campaign_update(user=request.user, campaign=Campaign.objects.get(pk=campaign.pk),
                                                    data=data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"“{campaign.name}”已保存。")
            return redirect("supervision:campaign_detail", pk=campaign.pk)
    title = "新建盘地行动" if campaign is None else f"编辑：{campaign.name}"
    crumbs = [] if campaign is None else [(campaign.name, reverse("supervision:campaign_detail", args=[campaign.pk]))]
    return render(request, "form_page.html", {"form": form, "title": title,
                                              "breadcrumbs": _crumbs(*crumbs, (title, None))})


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=pk)
    return _campaign_form(request, campaign)


@login_required
@require_POST
def campaign_make_current(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=pk)
    services.campaign_set_current(user=request.user, campaign=campaign)
    messages.success(request, f"已将“{campaign.name}”设为当前行动。")
    return redirect("supervision:campaign_detail", pk=pk)

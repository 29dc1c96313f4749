from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from pandi.accounts.selectors import township_list
from pandi.audit.selectors import audit_recent
from pandi.land.selectors import enterprise_list
from pandi.supervision.selectors import campaign_current, campaign_milestones

from .scope import access_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    campaign = campaign_current(user=request.user)
    today = timezone.localdate()
    return render(request, "core/home.html", {
        "campaign": campaign,
        "milestones": campaign_milestones(campaign=campaign, today=today) if campaign else [],
        "townships": township_list(user=request.user),
        "enterprises": enterprise_list(user=request.user)[:20] if access.scope.enterprise_ids else [],
        "scope": access.scope,
        "recent": audit_recent(user=request.user, limit=8),
        "today": today,
    })


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception) if exception else ""}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)

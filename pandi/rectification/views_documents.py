"""Downloads of rectification: the formal documents of one plan (.docx / PDF) and the .xlsx exports of
the plans and the progress — each read through the scoped selectors, so a user gets only what the
pages show them (another township's plan answers 404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from pandi.core.scope import access_for
from pandi.screening.exporters import XLSX, download, export_subtitle

from . import documents, exporters, selectors
from .choices import PlanStatusChoices
from .models import ProgressItem, ProgressReport


def _attachment(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "no-store"
    return response


def _document(request: HttpRequest, pk: int, fmt: str, build: Any) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    content, content_type, name = documents.render(build(plan), fmt)
    return _attachment(content, content_type, name)


@login_required
@require_GET
def plan_notice(request: HttpRequest, pk: str, fmt: str) -> HttpResponse:
    """限期整改告知书 to the plan's enterprise."""
    return _document(request, int(pk), fmt, documents.notice)


@login_required
@require_GET
def plan_document(request: HttpRequest, pk: str, fmt: str) -> HttpResponse:
    """The plan as a formal document (整改方案)."""
    return _document(request, int(pk), fmt, documents.plan_document)


# --- exports -------------------------------------------------------------------------------------------

def _owner(user: Any) -> tuple[str, str]:
    """(whose export it is, the unit that made it): the district, a township or an enterprise."""
    from pandi.accounts.models import OrgUnit
    from pandi.land.models import Enterprise

    scope = access_for(user).scope
    district = getattr(settings, "PANDI_DISTRICT_NAME", "金东区")
    if scope.district:
        return district, f"{district}经济商务局"
    if len(scope.township_ids) == 1 and not scope.enterprise_ids:
        name = OrgUnit.objects.get(pk=next(iter(scope.township_ids))).name
        return name, name
    if len(scope.enterprise_ids) == 1 and not scope.township_ids:
        name = Enterprise.objects.get(pk=next(iter(scope.enterprise_ids))).name
        return name, name
    return district, ""


def _filters(request: HttpRequest) -> tuple[str | None, int | None, str]:
    statuses = [s for s in request.GET.get("status", "").split(",") if s in PlanStatusChoices.values]
    raw = request.GET.get("township", "").strip()
    township = int(raw) if raw.isdigit() else None
    labels = dict(PlanStatusChoices.choices)
    text = "、".join(labels[s] for s in statuses)
    return (",".join(statuses) or None), township, text


@login_required
@require_GET
def plans_xlsx(request: HttpRequest) -> HttpResponse:
    user = request.user
    status, township, filters = _filters(request)
    plans = list(selectors.plan_list(user=user, status=status, township=township)
                 .prefetch_related("steps", "plan_entries__entry")
                 .order_by("township__sort_order", "township__code", "enterprise__name", "pk"))
    progress: dict[int, Decimal] = {p.pk: selectors.plan_progress(p).percent for p in plans}
    owner, unit = _owner(user)
    if township is not None and plans:
        owner = plans[0].township.name
    subtitle = export_subtitle(user=user, unit=unit, count_text=f"共 {len(plans)} 个方案", filters=filters)
    content = exporters.plans_xlsx(plans, progress=progress, title=f"{owner}闲置工业用地整改方案汇总表",
                                   subtitle=subtitle)
    return _attachment(*_export(download(content, XLSX, f"{owner}整改方案", "xlsx")))


@login_required
@require_GET
def progress_xlsx(request: HttpRequest) -> HttpResponse:
    user = request.user
    status, township, filters = _filters(request)
    plans = selectors.plan_list(user=user, status=status, township=township).order_by().values("pk")
    reports = ProgressReport.objects.visible_to(user).filter(plan__in=plans)
    items = list(ProgressItem.objects.filter(report__in=reports)
                 .select_related("step", "report__plan__enterprise", "report__plan__township")
                 .prefetch_related("report__evidence"))
    owner, unit = _owner(user)
    subtitle = export_subtitle(user=user, unit=unit, count_text=f"共 {len(items)} 条进展明细", filters=filters)
    content = exporters.progress_xlsx(items, title=f"{owner}闲置工业用地整改进展明细表", subtitle=subtitle)
    return _attachment(*_export(download(content, XLSX, f"{owner}整改进展", "xlsx")))


def _export(export: Any) -> tuple[bytes, str, str]:
    return export.content, export.content_type, export.file_name



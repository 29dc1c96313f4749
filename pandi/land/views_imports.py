"""Import pages: the list of import batches, upload (always a dry run first, shown as a preview),
confirm (imports the very file previewed, checked by its SHA-256), the batch report and the
problem list as a workbook."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from pandi.audit.models import SOURCE_LABELS
from pandi.core.permissions import require
from pandi.core.scope import access_for, get_visible_or_404
from pandi.domain.access import Perm

from .choices import ImportKind, ImportStatus
from .exporters_issues import issues_filename, issues_workbook
from .forms_imports import ImportConfirmForm, ImportUploadForm
from .importers import common
from .models import ImportBatch

ISSUES_PER_PAGE = 50
BATCHES_PER_PAGE = 30
COUNT_LABELS = (("total", "总行数"), ("created", "新增"), ("updated", "更新"), ("unchanged", "未变"),
                ("skipped", "跳过"), ("invalid_rows", "有错误未导入"), ("failed", "写入失败"), ("errors", "错误"),
                ("warnings", "警告"), ("enterprises_created", "新建企业"), ("contracts_created", "新建供地记录"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def stored_name(sha256: str) -> str:
    """Where an uploaded file waits between the preview and the confirmation."""
    return f"imports/{sha256}"


def _store(data: bytes) -> str:
    """Keep the uploaded bytes until the confirmation, under their hash (replacing a damaged copy)."""
    name = stored_name(common.sha256(data))
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as f:
            if common.sha256(f.read()) == common.sha256(data):
                return name
        default_storage.delete(name)
    default_storage.save(name, ContentFile(data))
    return name


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), ("数据导入", reverse("land:import_list")), *items]


def _district_of(batch: ImportBatch) -> str:
    """The district filter the preview used (the supplies importer writes it into the notes)."""
    return "all" if "行政区过滤：不过滤" in (batch.notes or "") else "金东区"


def _list_page(request: HttpRequest, form: ImportUploadForm | None, status: int = 200) -> HttpResponse:
    batches = ImportBatch.objects.visible_to(request.user).select_related("user")
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _label_sources(page.object_list)
    return render(request, "land/import_list.html", {
        "page": page, "form": form, "breadcrumbs": [("首页", reverse("core:home")), ("数据导入", None)],
    }, status=status)


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    can_import = access_for(request.user).can(Perm.IMPORT_LAND)
    return _list_page(request, ImportUploadForm() if can_import else None)


@login_required
@require_POST
def import_upload(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.IMPORT_LAND)
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form)
    kind = form.cleaned_data["kind"]
    common._load_importers()
    if kind not in common.IMPORTERS:
        messages.error(request, f"“{ImportKind(kind).label}”导入尚未开放。")
        return redirect("land:import_list")
    upload = form.cleaned_data["file"]
    data = upload.read()
    _store(data)
    ctx = common.run_import(kind=kind, user=request.user, file_name=upload.name, data=data, dry_run=True,
                            valid_only=form.cleaned_data["valid_only"],
                            options={"district": form.cleaned_data["district"]})
    if ctx.errors:
        messages.warning(request, f"试导入发现 {len(ctx.errors)} 个错误，请查看下方问题清单。")
    else:
        messages.info(request, "试导入完成，未写入任何数据。请核对结果后点击“确认导入”。")
    return redirect("land:import_detail", pk=ctx.batch.pk)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(ImportBatch.objects, request.user, pk=pk)
    require(request.user, Perm.IMPORT_LAND)
    if batch.status != ImportStatus.DRY_RUN:
        messages.error(request, "只有试导入的批次可以确认导入。")
        return redirect("land:import_detail", pk=batch.pk)
    name = stored_name(batch.file_sha256)
    if not default_storage.exists(name):
        messages.error(request, "试导入的文件已不在服务器上（可能已经导入过），请重新上传。")
        return redirect("land:import_list")
    with default_storage.open(name, "rb") as f:
        data = f.read()
    if common.sha256(data) != batch.file_sha256:
        messages.error(request, "文件校验失败（SHA-256 与试导入时不符），请重新上传。")
        return redirect("land:import_detail", pk=batch.pk)
    form = ImportConfirmForm(request.POST)
    valid_only = form.cleaned_data["valid_only"] if form.is_valid() else batch.valid_rows_only
    ctx = common.run_import(kind=batch.kind, user=request.user, file_name=batch.file_name, data=data,
                            valid_only=valid_only, options={"district": _district_of(batch)})
    result = ctx.batch
    if result.status in (ImportStatus.DONE, ImportStatus.PARTIAL):
        default_storage.delete(name)
        c = result.counts
        messages.success(request, f"导入完成：新增 {c.get('created', 0)}，更新 {c.get('updated', 0)}，"
                                  f"未变 {c.get('unchanged', 0)}，跳过 {c.get('skipped', 0)}。")
    else:
        messages.error(request, f"有 {len(ctx.errors)} 个错误，未写入任何数据。")
    return redirect("land:import_detail", pk=result.pk)


def report_counts(batch: ImportBatch) -> list[tuple[str, Any]]:
    counts = batch.counts or {}
    hidden_when_zero = {"invalid_rows", "failed"}
    return [(label, counts[key]) for key, label in COUNT_LABELS
            if key in counts and (counts[key] or key not in hidden_when_zero)]


def _label_sources(batches: Any) -> None:
    for b in batches:
        b.source_label = SOURCE_LABELS.get(b.source, b.source)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(ImportBatch.objects.select_related("user"), request.user, pk=pk)
    _label_sources([batch])
    level = request.GET.get("level", "")
    level = level if level in ("error", "warning") else ""
    issues = [i for i in (batch.issues or []) if not level or i.get("level") == level]
    page = Paginator(issues, ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    can_confirm = (batch.status == ImportStatus.DRY_RUN and access_for(request.user).can(Perm.IMPORT_LAND)
                   and default_storage.exists(stored_name(batch.file_sha256)))
    counts = batch.counts or {}
    ctx = {
        "batch": batch, "page": page, "level": level, "query_prefix": f"level={level}&" if level else "",
        "counts": report_counts(batch), "skipped_reasons": sorted((counts.get("skipped_reasons") or {}).items(),
                                                                    key=lambda kv: -kv[1]),
        "error_count": sum(1 for i in batch.issues or [] if i.get("level") == "error"),
        "warning_count": sum(1 for i in batch.issues or [] if i.get("level") == "warning"),
        "stored_issues": len(batch.issues or []), "notes": [n for n in (batch.notes or "").splitlines() if n],
        "can_confirm": can_confirm, "confirm_form": ImportConfirmForm(initial={"valid_only": batch.valid_rows_only}),
        "breadcrumbs": _crumbs((f"{batch.get_kind_display()} · {batch.file_name}", None)),
    }
    if request.htmx:
        return render(request, "land/partials/_import_issues.html", ctx)
    return render(request, "land/import_detail.html", ctx)


@login_required
@require_GET
def import_issues(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(ImportBatch.objects, request.user, pk=pk)
    response = HttpResponse(issues_workbook(batch), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, issues_filename(batch))
    return response

"""The import engine shared by every kind of file.

Flow (import-formats.md): read and validate every row first, collecting issues (row, column,
value, message in Chinese); then write through the land services inside one transaction. A dry
run does the same writes and rolls them back, so its counts are exact. A real run with errors
writes nothing unless the user asked for the valid rows only. Every run leaves an ImportBatch
(who, when, file name and hash, counts, issues) and its writes are audited with source "import".
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pandi.core.auditctx import audit_context, current_audit_context
from pandi.core.permissions import require
from pandi.domain.access import Perm

from ..choices import ImportKind, ImportStatus
from ..models import ImportBatch

MAX_STORED_ISSUES = 5000


@dataclass
class Issue:
    row: int | None  # the row number as the user sees it in the file (header = 1), or feature number
    column: str
    value: str
    message: str
    level: str = "error"  # "error" or "warning"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message,
                "level": self.level}


class _Rollback(Exception):
    pass


class AbortImport(Exception):
    """Raised by an importer's `apply` when a row cannot be written after all (record the error on
    the context first): the whole file is rolled back and the batch says so."""


@dataclass
class ImportContext:
    """What an importer gets, and where it reports. Importers call `error`/`warning` while
    validating, then `apply` each valid row (inside the engine's transaction)."""

    kind: str
    user: Any
    file_name: str
    data: bytes
    dry_run: bool = False
    valid_only: bool = False
    progress: Callable[[str], None] = lambda _msg: None
    options: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    skipped_reasons: Counter = field(default_factory=Counter)
    crs: str = ""
    encoding: str = ""
    notes: list[str] = field(default_factory=list)
    batch: ImportBatch | None = None

    def error(self, row: int | None, column: str, value: Any, message: str) -> None:
        self.issues.append(Issue(row, column, "" if value is None else str(value)[:200], message, "error"))

    def warning(self, row: int | None, column: str, value: Any, message: str) -> None:
        self.issues.append(Issue(row, column, "" if value is None else str(value)[:200], message, "warning"))

    def skip(self, reason: str) -> None:
        """A row deliberately not imported (e.g. outside the district) — not an error."""
        self.counts["skipped"] += 1
        self.skipped_reasons[reason] += 1

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    def rows_with_errors(self) -> set[int | None]:
        return {i.row for i in self.errors}


# An importer: validate(ctx) -> list of prepared rows, each with a `.row` attribute (the row number
# used in its issues); apply(ctx, rows) writes them through the land services and counts
# ctx.counts["created"|"updated"|"unchanged"].
Importer = tuple[Callable[[ImportContext], list[Any]], Callable[[ImportContext, list[Any]], None]]
IMPORTERS: dict[str, Importer] = {}


def register(kind: str, validate: Callable[[ImportContext], list[Any]],
             apply: Callable[[ImportContext, list[Any]], None]) -> None:
    IMPORTERS[kind] = (validate, apply)


def _load_importers() -> None:
    from . import geo, supplies  # noqa: F401  (they register themselves)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_import(*, kind: str, user: Any, file_name: str, data: bytes, dry_run: bool = False,
               valid_only: bool = False, progress: Callable[[str], None] = lambda _msg: None,
               check: bool = True, options: dict[str, Any] | None = None) -> ImportContext:
    """Import one file. Returns the context (issues, counts, batch)."""
    if check:
        require(user, Perm.IMPORT_LAND)
    if kind not in ImportKind.values:
        raise ValueError(f"unknown import kind {kind!r}")
    _load_importers()
    validate, apply = IMPORTERS[kind]
    ctx = ImportContext(kind=kind, user=user, file_name=file_name, data=data, dry_run=dry_run,
                        valid_only=valid_only, progress=progress, options=options or {})
    source = "import" if current_audit_context().source in ("web", "api", "system") else current_audit_context().source
    started = timezone.now()
    # the batch exists from the start, so written records can point at it (a dry run's do not survive)
    ctx.batch = ImportBatch.objects.create(
        kind=kind, file_name=file_name[:255], file_sha256=sha256(data), file_size=len(data),
        user=user if getattr(user, "is_authenticated", False) else None, source=source,
        status=ImportStatus.DRY_RUN if dry_run else ImportStatus.FAILED, valid_rows_only=valid_only,
    )
    rows = validate(ctx)
    bad_rows = ctx.rows_with_errors()
    if "total" not in ctx.counts:  # importers may count rows themselves (e.g. before filtering)
        ctx.counts["total"] = len(rows) + ctx.counts.get("skipped", 0)
    blocked = bool(ctx.errors) and not valid_only
    aborted = False
    if not blocked:
        to_write = [r for r in rows if getattr(r, "row", None) not in bad_rows] if ctx.errors else rows
        ctx.counts["invalid_rows"] = len(rows) - len(to_write)
        errors_before = len(ctx.errors)
        try:
            with audit_context("import" if source != "seed" else "seed"), transaction.atomic():
                apply(ctx, to_write)
                if len(ctx.errors) > errors_before and not valid_only:
                    raise AbortImport
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        except ValidationError as exc:  # a service refused a row the checks let through
            aborted = True
            ctx.error(None, "", "", "写入时被拒绝：" + "；".join(exc.messages))
            ctx.notes.append("写入时发现错误，已全部撤销，未写入任何数据")
            for key in ("created", "updated", "unchanged"):
                ctx.counts.pop(key, None)
        except AbortImport:
            aborted = True
            ctx.notes.append("写入时发现错误，已全部撤销，未写入任何数据")
            for key in ("created", "updated", "unchanged"):
                ctx.counts.pop(key, None)
    ctx.counts["errors"] = len(ctx.errors)
    ctx.counts["warnings"] = len(ctx.warnings)
    if dry_run:
        status = ImportStatus.DRY_RUN
    elif blocked or aborted:
        status = ImportStatus.FAILED
    elif ctx.errors:
        status = ImportStatus.PARTIAL
    else:
        status = ImportStatus.DONE
    batch = ctx.batch
    batch.finished_at = timezone.now()
    batch.status = status
    batch.crs = ctx.crs[:50]
    batch.encoding = ctx.encoding[:20]
    batch.counts = {**dict(ctx.counts), "skipped_reasons": dict(ctx.skipped_reasons),
                    "seconds": round((timezone.now() - started).total_seconds(), 2)}
    batch.issues = [i.as_dict() for i in ctx.issues[:MAX_STORED_ISSUES]]
    batch.notes = "\n".join(ctx.notes)
    batch.save()
    return ctx


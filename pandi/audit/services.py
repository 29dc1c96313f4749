"""Writing the audit trail. Every service that changes a business record calls `record_change`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from pandi.core.auditctx import current_audit_context

from .models import AuditAction, AuditEntry

LARGE_TEXT = 2000


@dataclass
class Snapshot:
    values: dict[str, Any] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):  # the common cases first: no JSON round trip
        return value
    if isinstance(value, str) and len(value) <= LARGE_TEXT // 2:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str) and len(value) > LARGE_TEXT:
        digest = hashlib.sha1(value.encode()).hexdigest()[:12]
        return f"<{len(value)} 字符, sha1 {digest}>"
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        return f"<{len(data)} 字节, sha1 {hashlib.sha1(data).hexdigest()[:12]}>"
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except TypeError:
        return str(value)
    if len(text) > LARGE_TEXT:
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        return f"<{len(text)} 字符, sha1 {digest}>"
    return value


@lru_cache(maxsize=1024)
def _choices(f: models.Field) -> dict[Any, Any]:
    return dict(f.flatchoices)


def _display(obj: models.Model, f: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if f.is_relation and f.many_to_one:
        related = getattr(obj, f.name, None)
        return str(related) if related is not None else str(value)
    if f.choices:
        return str(_choices(f).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = _json_value(value)
    return text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)


def snapshot(obj: models.Model | None) -> Snapshot | None:
    """The audited state of `obj`: every concrete field except those in `audit_exclude`."""
    if obj is None or obj.pk is None:
        return None
    exclude = set(getattr(obj, "audit_exclude", ())) | {"password", "last_login"}
    snap = Snapshot()
    for f in obj._meta.concrete_fields:
        if f.primary_key or f.name in exclude:
            continue
        value = getattr(obj, f.attname)
        if isinstance(f, models.DecimalField) and value is not None:
            value = Decimal(str(value)).quantize(Decimal(1).scaleb(-f.decimal_places))
        snap.values[f.name] = _json_value(value)
        snap.display[f.name] = _display(obj, f, value)
        snap.labels[f.name] = str(f.verbose_name)
    return snap


def diff(before: Snapshot | None, after: Snapshot | None) -> list[dict[str, str]]:
    """Field-by-field changes with labels and display values; a creation lists its filled fields."""
    changes = []
    for name in (after or before or Snapshot()).values:
        old = before.values.get(name) if before else None
        new = after.values.get(name) if after else None
        if before is not None and after is not None and old == new:
            continue
        if before is None and new in (None, "", [], {}):
            continue
        labels = (after or before).labels
        changes.append({
            "field": name,
            "label": labels.get(name, name),
            "old": before.display.get(name, "—") if before else "—",
            "new": after.display.get(name, "—") if after else "—",
        })
    return changes


def _scope_refs(obj: models.Model) -> tuple[int | None, int | None]:
    if hasattr(obj, "audit_scope_refs"):
        return obj.audit_scope_refs()
    refs: list[int | None] = []
    for attr in ("scope_township_path", "scope_enterprise_path"):
        path = getattr(obj, attr, None)
        value: Any = None
        if path and "__" not in path:
            value = getattr(obj, f"{path}_id", None) if hasattr(obj, f"{path}_id") else getattr(obj, path, None)
        refs.append(value if isinstance(value, int) else None)
    return refs[0], refs[1]


def _actor_fields(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"actor": None, "actor_name": "系统"}
    name = getattr(user, "full_name", "") or user.get_username()
    return {"actor": user, "actor_name": name[:150]}


def record_change(
    *,
    obj: models.Model,
    user: Any,
    before: Snapshot | None,
    action: str | None = None,
    comment: str = "",
    event: str = "",
) -> AuditEntry | None:
    """Store who changed `obj`, when and how. Returns None for an update that changed nothing."""
    after = snapshot(obj) if action != AuditAction.DELETE else None
    if action is None:
        action = AuditAction.CREATE if before is None else AuditAction.UPDATE
    changes = diff(before, after)
    if action == AuditAction.UPDATE and not changes and not event:
        return None
    ctx = current_audit_context()
    township_ref, enterprise_ref = _scope_refs(obj)
    return AuditEntry.objects.create(
        **_actor_fields(user),
        source=ctx.source,
        request_id=ctx.request_id,
        ip=ctx.ip,
        action=action,
        event=event,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=before.values if before else None,
        after=after.values if after else None,
        changes=changes,
        comment=comment,
        township_ref=township_ref,
        enterprise_ref=enterprise_ref,
    )


def record_event(*, obj: models.Model, user: Any, event: str, comment: str = "") -> AuditEntry:
    """An action on a record that is not a field change (a login, a password reset, a lock-out)."""
    entry = record_change(obj=obj, user=user, before=snapshot(obj), action=AuditAction.EVENT, event=event,
                          comment=comment)
    assert entry is not None
    return entry


def record_changes_bulk(*, objs: list[models.Model], user: Any, befores: list[Snapshot | None],
                        comment: str = "", batch_size: int = 2000) -> int:
    """`record_change` for many records at once (imports, list proposals): batched raw INSERTs, no
    model instance per row. Returns rows written.

    A created record's entry keeps its values once, in `changes` (label, display value), not again
    in `after`: imports create hundreds of thousands of them."""
    ctx = current_audit_context()
    actor = _actor_fields(user)
    actor_id = actor["actor"].pk if actor["actor"] is not None else None
    now = timezone.now()
    content_types: dict[type, int] = {}
    rows: list[tuple] = []
    for obj, before in zip(objs, befores, strict=True):
        after = snapshot(obj)
        changes = diff(before, after)
        if before is not None and not changes:
            continue
        model = type(obj)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(obj, for_concrete_model=False).pk
        township_ref, enterprise_ref = _scope_refs(obj)
        rows.append((now, actor_id, actor["actor_name"], ctx.source, ctx.request_id, ctx.ip,
                     AuditAction.CREATE if before is None else AuditAction.UPDATE, "", content_types[model],
                     str(obj.pk), str(obj)[:255], before.values if before else None,
                     after.values if before is not None else None, changes, comment, township_ref, enterprise_ref))
    _insert_entries(rows, batch_size)
    return len(rows)


AUDIT_FIELDS = ("at", "actor", "actor_name", "source", "request_id", "ip", "action", "event", "content_type",
                "object_id", "object_repr", "before", "after", "changes", "comment", "township_ref", "enterprise_ref")


def _insert_entries(rows: list[tuple], batch_size: int) -> None:
    """Raw executemany of audit rows, each value prepared by its field (JSON, datetimes) for this database."""
    if not rows:
        return
    from django.db import connection

    meta = AuditEntry._meta
    fields = [meta.get_field(name) for name in AUDIT_FIELDS]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    json_idx = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    at_field = fields[0]
    with connection.cursor() as cur:
        for start in range(0, len(rows), batch_size):
            batch = []
            for r in rows[start:start + batch_size]:
                values = list(r)
                values[0] = at_field.get_db_prep_save(values[0], connection)
                for i in json_idx:
                    values[i] = fields[i].get_db_prep_save(values[i], connection)
                batch.append(values)
            cur.executemany(sql, batch)


def record_field_change_bulk(*, objs: list[models.Model], user: Any, field: str, old: Any, new: Any,
                             comment: str = "", batch_size: int = 2000) -> int:
    """One field set to the same value on many records (e.g. parcels marked surveyed by a building
    import): each record gets an entry with that field's before and after."""
    if not objs:
        return 0
    ctx = current_audit_context()
    actor = _actor_fields(user)
    f = type(objs[0])._meta.get_field(field)
    change = {"field": field, "label": str(f.verbose_name), "old": _display(objs[0], f, old),
              "new": _display(objs[0], f, new)}
    content_type = ContentType.objects.get_for_model(objs[0], for_concrete_model=False)
    entries = []
    for obj in objs:
        township_ref, enterprise_ref = _scope_refs(obj)
        entries.append(AuditEntry(
            **actor, source=ctx.source, request_id=ctx.request_id, ip=ctx.ip, action=AuditAction.UPDATE,
            content_type=content_type, object_id=str(obj.pk), object_repr=str(obj)[:255],
            before={field: _json_value(old)}, after={field: _json_value(new)}, changes=[change], comment=comment,
            township_ref=township_ref, enterprise_ref=enterprise_ref,
        ))
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)

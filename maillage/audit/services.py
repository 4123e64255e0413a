"""Writing to the journal. Services of every app call these inside their transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from .enums import AuditAction
from .models import AuditEntry

SENSITIVE_MARK = "(changed, value not journalled)"
# None, "" and [] all mean "no value": a change between them is not worth a line.
EMPTY: tuple[Any, ...] = (None, "", [])

_context = threading.local()


def set_request_context(*, ip_address: str | None, via: str) -> None:
    """Remember the request's address and channel for the entries written while it runs."""
    _context.ip_address = ip_address
    _context.via = via


def clear_request_context() -> None:
    _context.ip_address = None
    _context.via = ""


def _label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return str(actor.email)


def _plain(value: Any) -> Any:
    """A JSON-friendly value: dates, decimals and the like become strings."""
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def model_snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Values of the given fields, as JSON-friendly values (FK as id, M2M as sorted ids)."""
    snapshot: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            if instance.pk is None:
                snapshot[name] = []
            else:
                snapshot[name] = sorted(str(pk) for pk in getattr(instance, name).values_list("pk", flat=True))
        elif field.is_relation:
            value = getattr(instance, field.attname)  # type: ignore[union-attr]
            snapshot[name] = None if value is None else str(value)
        else:
            value = getattr(instance, name)
            snapshot[name] = [_plain(v) for v in value] if isinstance(value, list) else _plain(value)
    return snapshot


def diff(before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: Iterable[str] = ()) -> dict[str, Any]:
    """Fields whose value changed: {field: [old, new]}; sensitive values are masked.

    A field going from no value to no value (None, "" or []) is not a change.
    """
    hidden = set(sensitive)
    changes: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new or (old in EMPTY and new in EMPTY):
            continue
        changes[key] = SENSITIVE_MARK if key in hidden else [old, new]
    return changes


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the service's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=dict(changes or {}),
        reason=reason[:200],
        ip_address=getattr(_context, "ip_address", None),
        via=getattr(_context, "via", "") or "command",
    )


def audit_read(*, actor: Any, obj: models.Model, reason: str = "") -> AuditEntry:
    """Journal that ``actor`` opened a personal record. Every view of a person's file calls it."""
    return audit_record(actor=actor, action=AuditAction.READ, obj=obj, reason=reason)

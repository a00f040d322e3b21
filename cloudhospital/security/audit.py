"""The audit trail: one call per read or change of patient data."""

from __future__ import annotations

from typing import Any

from cloudhospital.security.models import AuditEntry


def client_address(request) -> str | None:
    """The peer address daphne/Django saw (nginx passes X-Forwarded-For; see deploy/)."""
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def record(actor, action: str, obj: Any = None, *, object_type: str = "", object_id: str = "",
           patient_id: int | None = None, address: str | None = None,
           request=None, **detail) -> AuditEntry:
    """Append an audit entry. ``obj`` fills type and id; ``request`` fills the address."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if patient_id is None:
            patient_id = _patient_id_of(obj)
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user else str(actor or "system")
    return AuditEntry.objects.create(
        actor=user, actor_label=label[:150], action=action, object_type=object_type,
        object_id=str(object_id)[:64], patient_id=patient_id,
        client_address=address or client_address(request), detail=_jsonable(detail),
    )


def _patient_id_of(obj) -> int | None:
    if obj._meta.label_lower == "clinics.patient":
        return obj.pk
    return getattr(obj, "patient_id", None)


def _jsonable(detail: dict) -> dict:
    return {key: value if isinstance(value, (int, float, bool, type(None), list, dict))
            else str(value) for key, value in detail.items()}

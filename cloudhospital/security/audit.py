"""The audit trail: one call per read or change of patient data."""

from __future__ import annotations

from typing import Any

from cloudhospital.security.clientip import client_ip, parse_ip
from cloudhospital.security.models import AuditEntry


def record(actor, action: str, obj: Any = None, *, object_type: str = "", object_id: str = "",
           patient_id: int | None = None, address: str | None = None,
           request=None, **detail) -> AuditEntry:
    """Append an audit entry. ``obj`` fills type and id; ``request`` fills the address.

    Only a parsed IP address is stored (the column is an IP field on PostgreSQL): a
    malformed ``address`` is dropped rather than written or allowed to fail the request.
    """
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
        client_address=parse_ip(address) or client_ip(request), detail=_jsonable(detail),
    )


def _patient_id_of(obj) -> int | None:
    if obj._meta.label_lower == "clinics.patient":
        return obj.pk
    return getattr(obj, "patient_id", None)


def _jsonable(detail: dict) -> dict:
    return {key: value if isinstance(value, (int, float, bool, type(None), list, dict))
            else str(value) for key, value in detail.items()}

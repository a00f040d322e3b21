"""Read-only consultation queries the API and the pages use (they run no ORM themselves)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from clinics.access import User, staff_of
from clinics.consultations.models import Consultation, Report
from clinics.models import Department, Institution, Role, Staff
from cloudhospital.core.errors import InvalidInput


def _one[M: models.Model](model: type[M], pk: int | None, **filters: Any) -> M | None:
    if pk is None:
        return None
    found: M | None = model._default_manager.filter(pk=pk, **filters).first()
    if found is None:
        raise InvalidInput(gettext("unknown %(model_name)s %(pk)s") %
                                   {"model_name": model._meta.model_name, "pk": pk})
    return found


def request_targets(*, invited_institution_id: int | None, specialist_id: int | None,
                    department_id: int | None) -> dict[str, Any]:
    """The institution, specialist and department a request names, or InvalidInput."""
    return {"invited_institution": _one(Institution, invited_institution_id),
            "specialist": _one(Staff, specialist_id, role=Role.SPECIALIST),
            "department": _one(Department, department_id)}


def readable_reports(user: User, consultation: Consultation) -> QuerySet[Report]:
    """Signed reports for everyone who may read the consultation; a draft for its author
    alone (the API, the detail page and anything else that lists reports use this)."""
    staff = staff_of(user)
    mine = Q(author=staff) if staff else Q(pk__in=[])
    return consultation.reports.select_related("author").filter(
        Q(signed_at__isnull=False) | mine).order_by("version")


def may_write_report(user: User, consultation: Consultation) -> bool:
    """Only the consultation's specialist writes (and so sees the editor of) its report."""
    staff = staff_of(user)
    return staff is not None and staff.pk == consultation.specialist_id


def draft_and_latest(user: User, consultation: Consultation
                     ) -> tuple[Report | None, Report | None]:
    """The user's open draft (if any) and the report the editor starts from: what
    ``user`` may read, never another's draft."""
    readable = readable_reports(user, consultation).order_by("-version")
    draft = readable.filter(signed_at__isnull=True).first()
    return draft, draft or readable.first()

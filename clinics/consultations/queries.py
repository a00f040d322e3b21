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
    """Signed reports for everyone who may read the consultation; drafts for their author."""
    staff = staff_of(user)
    mine = Q(author=staff) if staff else Q(pk__in=[])
    return consultation.reports.select_related("author").filter(
        Q(signed_at__isnull=False) | mine)


def reports_of(consultation: Consultation) -> list[Report]:
    return list(consultation.reports.select_related("author"))


def draft_and_latest(consultation: Consultation) -> tuple[Report | None, Report | None]:
    """The open draft (if any) and the report the editor starts from."""
    draft = consultation.reports.filter(signed_at__isnull=True).order_by("-version").first()
    return draft, draft or consultation.reports.order_by("-version").first()

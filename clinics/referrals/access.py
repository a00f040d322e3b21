"""Who sees which referral; everyone else gets 404 (its existence does not leak).

The receiving side sees a referral once it is sent (consent recorded), not its draft.

- the sending institution's doctors and coordinator;
- the receiving side: the addressed doctor, else the addressed department's doctors, else
  (a referral to a whole centre) the receiving institution's doctors; whoever accepted it;
  and the receiving institution's coordinator;
- the patient, his own.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from clinics.access import User, patient_of, staff_of
from clinics.consultations.models import Urgency
from clinics.models import Role, Staff
from clinics.referrals.models import OPEN_STATUSES, Referral, ReferralStatus

# A draft is not sent (consent sends it): the receiving side never sees one, nor a draft
# that was cancelled before it was sent.
SENT = Q(requested_at__isnull=False)


def receiving_clinician_q(staff: Staff) -> Q:
    """Referrals addressed to ``staff`` as a doctor of the receiving institution."""
    at_institution = Q(to_institution=staff.institution_id)
    addressed = Q(to_doctor=staff) | Q(accepted_by=staff)
    if staff.department_id:
        addressed |= at_institution & Q(to_doctor__isnull=True,
                                        to_department=staff.department_id)
    addressed |= at_institution & Q(to_doctor__isnull=True, to_department__isnull=True)
    return addressed & SENT


def visible_referrals(user: User) -> QuerySet[Referral]:
    qs = Referral.objects.select_related(
        "patient", "requested_by", "from_institution", "to_institution", "to_department",
        "to_doctor", "accepted_by", "consultation")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is not None:
        sent = Q(from_institution=staff.institution_id)
        if staff.role == Role.COORDINATOR:
            return qs.filter(sent | (Q(to_institution=staff.institution_id) & SENT))
        if staff.is_doctor:
            return qs.filter(sent | receiving_clinician_q(staff))
        return qs.none()
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(patient=patient)
    return qs.none()


def is_receiver(staff: Staff | None, referral: Referral) -> bool:
    """May ``staff`` answer for the receiving side (accept, decline, arrive, complete)?"""
    if (staff is None or staff.institution_id != referral.to_institution_id
            or referral.requested_at is None):
        return False
    if staff.role == Role.COORDINATOR:
        return True
    if not staff.is_doctor:
        return False
    return Referral.objects.filter(receiving_clinician_q(staff), pk=referral.pk).exists()


def is_sender(staff: Staff | None, referral: Referral) -> bool:
    return (staff is not None and staff.institution_id == referral.from_institution_id
            and (staff.is_doctor or staff.role == Role.COORDINATOR))


def study_grant_referrals(staff: Staff) -> QuerySet[Referral]:
    """Referrals through which ``staff`` may read the linked consultation's shared studies:
    the receiving clinicians', while open and for STUDY_SHARE_GRACE_HOURS after closing
    (the consultation sharing rule). Coordinators do not read images."""
    if not staff.is_doctor:
        return Referral.objects.none()
    since = timezone.now() - timedelta(hours=settings.STUDY_SHARE_GRACE_HOURS)
    live = Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since)
    return Referral.objects.filter(live, receiving_clinician_q(staff),
                                   consultation__isnull=False)


def worklist_order(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Green channel first: urgent referrals awaiting an answer head the list, then the
    other referrals awaiting an answer, then open ones, then closed ones; oldest first."""
    waiting = Q(status=ReferralStatus.REQUESTED)
    rank = Case(
        When(waiting & Q(urgency=Urgency.URGENT), then=Value(0)),
        When(waiting, then=Value(1)),
        When(status__in=OPEN_STATUSES, then=Value(2)),
        default=Value(3), output_field=IntegerField())
    return qs.annotate(worklist_rank=rank).order_by("worklist_rank", "requested_at",
                                                    "-created_at")

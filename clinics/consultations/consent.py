"""Consent to recording a consultation, in one place: who gives it and when it holds.

Recording needs the patient's consent (``Consent.recording_allowed``) and both doctors'
own (``RecordingConsent``): the requesting clinic doctor and the specialist. Withdrawing it
before the call keeps the recorder out; it does not stop a recording already running.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from clinics.access import MaybeRequest, User, staff_of
from clinics.consultations.models import Consent, Consultation, RecordingConsent
from cloudhospital.core.errors import NotAllowed
from cloudhospital.security import audit


def recording_permitted(consultation: Consultation) -> bool:
    """The patient and both doctors agreed to recording this consultation."""
    patient = Consent.objects.filter(consultation=consultation, recording_allowed=True).exists()
    doctors: set[int | None] = {consultation.requested_by_id, consultation.specialist_id}
    agreed = set(RecordingConsent.objects.filter(consultation=consultation, allowed=True,
                                                 staff_id__in=[d for d in doctors if d])
                 .values_list("staff_id", flat=True))
    return patient and None not in doctors and agreed == doctors


def set_recording_consent(user: User, consultation: Consultation, *, allowed: bool,
                          request: MaybeRequest = None) -> RecordingConsent:
    staff = staff_of(user)
    if staff is None or staff.pk not in (consultation.requested_by_id,
                                         consultation.specialist_id):
        raise NotAllowed(gettext(
            "only the requesting doctor and the specialist consent to recording"))
    with transaction.atomic():
        consent, _ = RecordingConsent.objects.update_or_create(
            consultation=consultation, staff=staff, defaults={"allowed": allowed})
        audit.record(user, "recording.consent", consultation, request=request,
                     allowed=allowed)
    return consent

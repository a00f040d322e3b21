"""A doctor's own consent to recording a consultation (the patient's is on clinics.Consent).

Only the two doctors whose consent :func:`signaling.recorder.recording_permitted` needs may
give or withdraw it: the requesting clinic doctor and the specialist. Withdrawing it
before the call keeps the recorder out; it does not stop a recording already running.
"""

from __future__ import annotations

from django.db import transaction

from clinics.access import staff_of
from clinics.models import Consultation
from cloudhospital.core.errors import NotAllowed
from cloudhospital.security import audit
from signaling.models import RecordingConsent


def set_recording_consent(user, consultation: Consultation, *, allowed: bool,
                          request=None) -> RecordingConsent:
    staff = staff_of(user)
    if staff is None or staff.pk not in (consultation.requested_by_id,
                                         consultation.specialist_id):
        raise NotAllowed("only the requesting doctor and the specialist consent to recording")
    with transaction.atomic():
        consent, _ = RecordingConsent.objects.update_or_create(
            consultation=consultation, staff=staff, defaults={"allowed": allowed})
        audit.record(user, "recording.consent", consultation, request=request,
                     allowed=allowed)
    return consent

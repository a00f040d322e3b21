"""What a person is told after a workflow step: what happened, and to whom."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clinics.consultations.models import Consultation
from cloudhospital.core.display import when


def step_done(step: str, consultation: Consultation) -> str:
    """A success message that says what happened (not just "done")."""
    c = Consultation.objects.select_related(
        "patient", "specialist", "invited_institution", "invited_department").get(
        pk=consultation.pk)
    to = c.specialist.real_name if c.specialist else (
        c.invited_department.name if c.invited_department else str(c.invited_institution))
    facts = {"patient": c.patient.name, "to": to, "time": when(c.scheduled_at),
             "institution": str(c.invited_institution)}
    messages = {
        "consent": _("The informed consent for %(patient)s is recorded; you can send the "
                     "request now."),
        "submit": _("The request for %(patient)s was sent to %(to)s (%(institution)s); "
                    "you will be notified of the answer."),
        "accept": _("You accepted the consultation for %(patient)s; schedule a time next."),
        "decline": _("You declined the consultation for %(patient)s; the requesting doctor "
                     "is notified."),
        "schedule": _("The consultation for %(patient)s is scheduled for %(time)s; both "
                      "doctors are notified."),
        "start": _("The consultation for %(patient)s has started."),
        "complete": _("The consultation for %(patient)s is completed."),
        "cancel": _("The consultation for %(patient)s is cancelled."),
        "sign": _("The report for %(patient)s is signed; the requesting doctor is notified."),
        "acknowledge": _("You acknowledged the report for %(patient)s."),
    }
    return messages.get(step, _("Saved.")) % facts

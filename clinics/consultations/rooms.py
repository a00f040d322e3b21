"""The "consultation" room kind: participants, when it is open, starting it, recording.

Participants are the consultation's specialist, licensed clinic doctors of the inviting
institution, coordinators of either institution (the third party) and the patient
(often in the cloud clinic's room). The consultation moves to in_progress when both
sides are present: the specialist side and the clinic side.
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinics import identity
from clinics.access import User, patient_of, staff_of
from clinics.consultations import actions
from clinics.consultations.access import visible_consultations
from clinics.consultations.consent import recording_permitted
from clinics.consultations.models import Consultation, Status
from clinics.models import Role
from cloudhospital.core.errors import NotAllowed, NotFound
from cloudhospital.core.rooms import RECORDER_ROLE, Present, RoomDescriptor, is_recorder

JOINABLE = {Status.SCHEDULED, Status.IN_PROGRESS}
SPECIALIST_SIDE = {Role.SPECIALIST}
CLINIC_SIDE = {Role.CLINIC_DOCTOR, "patient"}
DOCTORS = {Role.CLINIC_DOCTOR, Role.SPECIALIST}


def participant_role(user: User, consultation: Consultation) -> tuple[str, str]:
    """(role, display name) of a participant, or NotAllowed."""
    if is_recorder(user):
        if recording_permitted(consultation):
            return RECORDER_ROLE, str(_("Recording"))
        raise NotAllowed(gettext("recording needs the consent of the patient and both doctors"))
    staff = staff_of(user)
    if staff is not None:
        doctor = staff.role in (Role.CLINIC_DOCTOR, Role.SPECIALIST)
        if doctor and not staff.may_practise:
            raise NotAllowed(gettext("a verified practising licence is required to join"))
        if staff.role == Role.SPECIALIST and consultation.specialist_id == staff.pk:
            return staff.role, staff.real_name
        if (staff.role == Role.CLINIC_DOCTOR
                and staff.institution_id == consultation.inviting_institution_id):
            return staff.role, staff.real_name
        if staff.role == Role.COORDINATOR and staff.institution_id in (
                consultation.inviting_institution_id, consultation.invited_institution_id):
            return staff.role, staff.real_name
        raise NotAllowed(gettext("you are not a participant of this consultation"))
    patient = patient_of(user)
    if patient is not None and patient.pk == consultation.patient_id:
        return "patient", patient.name
    raise NotAllowed(gettext("you are not a participant of this consultation"))


def resolve_consultation(user: User, object_id: str) -> RoomDescriptor:
    try:
        pk = uuid.UUID(object_id)
    except ValueError:
        raise NotFound(gettext("no such consultation")) from None
    # Who may not see the consultation is answered as for an id that does not exist (the
    # ticket API and the room page would otherwise tell that it exists); NotAllowed is left
    # for those who see it but may not join (no verified licence, a department colleague).
    # The recorder is no one's reader: it is admitted by consent alone.
    found = Consultation.objects if is_recorder(user) else visible_consultations(user)
    consultation = found.select_related(
        "patient", "inviting_institution", "invited_institution").filter(pk=pk).first()
    if consultation is None:
        raise NotFound(gettext("no such consultation"))
    role, name = participant_role(user, consultation)
    return RoomDescriptor(
        key=f"consultation:{pk}", role=role, name=name,
        open=consultation.status in JOINABLE, audit_object=consultation,
        extra=workspace_of(consultation) if role != RECORDER_ROLE else {},
        on_join=lambda joiner, present: start_when_both_sides_present(
            joiner, consultation, present),
        record_when=lambda present: record_when_consented(consultation, present))


def workspace_of(consultation: Consultation) -> dict[str, object]:
    """What the generic room page shows for a consultation: a readable title (patient,
    the two institutions, the scheduled time) and the workspace panel beside the video
    (summary and images, ``consultations/workspace.html``) with its scripts."""
    when = consultation.scheduled_at
    scheduled = (timezone.localtime(when).strftime("%Y年%-m月%-d日 %H:%M") if when else "")
    return {
        "title": identity.line(identity.patient_identity(consultation.patient)),
        "subtitle": f"{consultation.inviting_institution.name} → "
                    f"{consultation.invited_institution.name}"
                    + (f" · {scheduled}" if scheduled else ""),
        "workspace_url": reverse("consultations:workspace", args=[consultation.pk]),
        "workspace_scripts": [static("imaging/viewer.js"),
                              static("consultations/workspace.js")],
        "workspace_styles": [static("imaging/viewer.css"),
                             static("consultations/workspace.css")],
    }


def record_when_consented(consultation: Consultation, present: list[Present]) -> bool:
    """Once both sides are in, the recorder joins, but only with everyone's consent."""
    roles = {p.role for p in present}
    if not (roles & SPECIALIST_SIDE and roles & CLINIC_SIDE):
        return False
    return recording_permitted(consultation)


def start_when_both_sides_present(joiner: User, consultation: Consultation,
                                  present: list[Present]) -> None:
    """scheduled → in_progress once the second party is in the room (through actions)."""
    roles = {p.role for p in present}
    if not (roles & SPECIALIST_SIDE and roles & CLINIC_SIDE):
        return
    current = Consultation.objects.get(pk=consultation.pk)
    if current.status != Status.SCHEDULED:
        return
    actor = joiner
    staff = staff_of(joiner)
    if staff is None or staff.role not in DOCTORS:
        # Starting is a doctor's act (actions.start): when a patient or coordinator
        # completes the pair, a doctor already in the room is the one who starts.
        doctor = next(p for p in present if p.role in DOCTORS)
        actor = get_user_model().objects.get(pk=doctor.user_id)
    actions.start(actor, current)

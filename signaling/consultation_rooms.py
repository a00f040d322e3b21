"""The "consultation" room kind: participants, when it is open, and starting it.

Participants are the consultation's specialist, licensed clinic doctors of the inviting
institution, coordinators of either institution (the third party) and the patient
(often in the cloud clinic's room). The consultation moves to in_progress when both
sides are present: the specialist side and the clinic side.
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from clinics import actions
from clinics.access import patient_of, staff_of
from clinics.models import Consultation, Role, Status
from cloudhospital.core.errors import NotAllowed, NotFound
from signaling import recorder
from signaling.rooms import Present, RoomDescriptor

JOINABLE = {Status.SCHEDULED, Status.IN_PROGRESS}
SPECIALIST_SIDE = {Role.SPECIALIST}
CLINIC_SIDE = {Role.CLINIC_DOCTOR, "patient"}
RECORDER = "recorder"
DOCTORS = {Role.CLINIC_DOCTOR, Role.SPECIALIST}


def participant_role(user, consultation: Consultation) -> tuple[str, str]:
    """(role, display name) of a participant, or NotAllowed."""
    if recorder.is_recorder(user):
        if recorder.recording_permitted(consultation):
            return RECORDER, str(_("Recording"))
        raise NotAllowed("recording needs the consent of the patient and both doctors")
    staff = staff_of(user)
    if staff is not None:
        doctor = staff.role in (Role.CLINIC_DOCTOR, Role.SPECIALIST)
        if doctor and not staff.may_practise:
            raise NotAllowed("a verified practising licence is required to join")
        if staff.role == Role.SPECIALIST and consultation.specialist_id == staff.pk:
            return staff.role, staff.real_name
        if (staff.role == Role.CLINIC_DOCTOR
                and staff.institution_id == consultation.inviting_institution_id):
            return staff.role, staff.real_name
        if staff.role == Role.COORDINATOR and staff.institution_id in (
                consultation.inviting_institution_id, consultation.invited_institution_id):
            return staff.role, staff.real_name
        raise NotAllowed("you are not a participant of this consultation")
    patient = patient_of(user)
    if patient is not None and patient.pk == consultation.patient_id:
        return "patient", patient.name
    raise NotAllowed("you are not a participant of this consultation")


def resolve_consultation(user, object_id: str) -> RoomDescriptor:
    try:
        pk = uuid.UUID(object_id)
    except ValueError:
        raise NotFound("no such consultation") from None
    consultation = Consultation.objects.filter(pk=pk).first()
    if consultation is None:
        raise NotFound("no such consultation")
    role, name = participant_role(user, consultation)
    return RoomDescriptor(
        key=f"consultation:{pk}", role=role, name=name,
        open=consultation.status in JOINABLE, audit_object=consultation,
        on_join=lambda joiner, present: start_when_both_sides_present(
            joiner, consultation, present),
        after_join=lambda present, server: record_when_consented(consultation, present, server))


def record_when_consented(consultation: Consultation, present: list[Present],
                          server_url: str) -> None:
    """Once both sides are in, bring the recorder in, but only with everyone's consent."""
    roles = {p.role for p in present}
    if RECORDER in roles or not (roles & SPECIALIST_SIDE and roles & CLINIC_SIDE):
        return
    if recorder.recording_permitted(consultation):
        recorder.launch(str(consultation.pk), server_url)


def start_when_both_sides_present(joiner, consultation: Consultation,
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

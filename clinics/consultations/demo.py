"""Demo consultations: one scheduled and ready for the room, one waiting, one completed
with a signed report, a draft and a declined one; created once, through the actions the
pages use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinics.consultations import actions
from clinics.consultations.models import Consultation
from clinics.demo import world_and_people
from clinics.models import Patient, Staff


def seed_demo(password: str) -> bool:
    world, people = world_and_people(password)
    if Consultation.objects.exists():
        return False
    with transaction.atomic():
        _consultations(world, people)
    return True


def request_demo_consultation(doctor: Staff, patient: Patient, world: dict[str, Any],
                              specialist: Staff, question: str,
                              urgency: str = "routine") -> Consultation:
    details = actions.RequestDetails(
        patient=patient, invited_institution=world["hospital"], specialist=specialist,
        reason="基层诊疗需上级医院专科意见", clinical_question=question,
        record_summary="慢病随访中，近期控制不佳，既往史详见病历摘要。", urgency=urgency,
        proposed_times=[timezone.now() + dt.timedelta(days=1)])
    consultation = actions.create_request(doctor.user, details)
    actions.record_consent(doctor.user, consultation, signed_by=patient.name, relation="self",
                           signed_at=timezone.now() - dt.timedelta(minutes=10),
                           method="written", recording_allowed=True)
    return actions.submit_request(doctor.user, consultation)


def _consultations(world: dict[str, Any], people: dict[str, Any]) -> list[Consultation]:
    doctor = people["doctors"][0]
    cardio, endo = people["specialists"]["specialist"], people["specialists"]["endo_specialist"]
    p = people["patients"]
    # Scheduled between clinic_doctor and specialist for the demo patient: ready for the room.
    live = request_demo_consultation(doctor, p[0], world, cardio,
                                     "血压控制不佳，是否调整降压方案？", "urgent")
    live = actions.accept(cardio.user, live)
    live = actions.schedule(cardio.user, live, when=timezone.now() + dt.timedelta(minutes=30))
    # Waiting in the specialist's worklist.
    request_demo_consultation(doctor, p[2], world, cardio, "头晕伴血压波动，需评估。")
    # Completed, with a signed report.
    done = request_demo_consultation(doctor, p[1], world, endo, "血糖控制不佳，是否起始胰岛素？")
    done = actions.accept(endo.user, done)
    done = actions.schedule(endo.user, done, when=timezone.now() + dt.timedelta(minutes=5))
    done = actions.start(endo.user, done)
    actions.save_report_draft(endo.user, done, findings="空腹血糖 9.2 mmol/L，HbA1c 8.4%。",
                              opinion="口服药物控制不佳。",
                              recommendations="加用基础胰岛素，2周后复诊。")
    actions.sign_report(endo.user, done)
    done = actions.complete(endo.user, done)
    # A draft not yet sent, and one declined.
    draft = actions.create_request(doctor.user, actions.RequestDetails(
        patient=p[9], invited_institution=world["hospital"], specialist=endo,
        reason="血糖波动", clinical_question="调整方案？", record_summary="2型糖尿病5年。"))
    declined = request_demo_consultation(people["doctors"][1], p[3], world, endo,
                                         "足部麻木，是否糖尿病足？")
    declined = actions.decline(endo.user, declined, reason="请先完成足部检查后再申请。")
    return [live, done, draft, declined]

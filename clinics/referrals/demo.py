"""Demo referrals (the issue's three): a pending urgent upward referral (green channel),
an accepted upward referral with an appointment, and a downward referral awaiting the
centre's acceptance. Made once, through the same actions the pages use.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clinics.models import Department, Patient, Staff
from clinics.referrals import actions
from clinics.referrals.models import Referral


def _consent(doctor: Staff, referral: Referral, patient: Patient) -> Referral:
    return actions.record_consent(doctor.user, referral, signed_by=patient.name,
                                  relation="self", method="written",
                                  signed_at=timezone.now() - dt.timedelta(minutes=5))


def seed_demo(password: str) -> bool:
    """Called by cloudhospital/core/demo.py after the people exist; adds no accounts."""
    seed_referrals()
    return False


def seed_referrals() -> list[Referral]:
    """Idempotent: does nothing once any referral exists or without the demo world."""
    doctor = Staff.objects.filter(user__username="clinic_doctor").first()
    specialist = Staff.objects.filter(user__username="specialist").first()
    if doctor is None or specialist is None or Referral.objects.exists():
        return []
    hospital = specialist.institution
    cardiology = specialist.department or Department.objects.filter(
        institution=hospital).first()
    patients = list(Patient.objects.filter(home_institution=doctor.institution)
                    .order_by("pk")[:3])
    if len(patients) < 3:
        return []
    made = []
    with transaction.atomic():
        # 1. Green channel, waiting for the hospital's answer.
        urgent = actions.create_referral(doctor.user, actions.ReferralDetails(
            patient=patients[2], direction="up", to_institution=hospital,
            to_department=cardiology, urgency="urgent",
            reason="胸痛反复发作2天，含服硝酸甘油可缓解，疑不稳定型心绞痛",
            summary="高血压病史10年，心电图示 V4-V6 导联 ST 段压低 0.1 mV。",
            medication="氨氯地平 5 mg 每日一次；阿司匹林 100 mg 每日一次"))
        made.append(_consent(doctor, urgent, patients[2]))
        # 2. Accepted with an outpatient appointment tomorrow morning.
        routine = actions.create_referral(doctor.user, actions.ReferralDetails(
            patient=patients[0], direction="up", to_institution=hospital,
            to_doctor=specialist, reason="血压控制不佳，需专科调整方案并评估靶器官损害",
            summary="三种降压药联用下血压仍 160/100 mmHg 左右。",
            medication="氨氯地平、缬沙坦、氢氯噻嗪"))
        routine = _consent(doctor, routine, patients[0])
        tomorrow = timezone.localtime() + dt.timedelta(days=1)
        made.append(actions.accept(
            specialist.user, routine, location="门诊楼二层 心内科诊区 3 诊室",
            appointment_at=tomorrow.replace(hour=9, minute=30, second=0, microsecond=0)))
        # 3. A patient who came up, was treated, and goes back down to the centre.
        came_up = actions.create_referral(doctor.user, actions.ReferralDetails(
            patient=patients[1], direction="up", to_institution=hospital,
            to_department=cardiology, reason="活动后胸闷", summary="心电图异常"))
        came_up = _consent(doctor, came_up, patients[1])
        came_up = actions.accept(specialist.user, came_up, admission=actions.Admission(
            ward="心内科一病区"))
        came_up = actions.arrive(specialist.user, came_up)
        actions.complete(specialist.user, came_up,
                         discharge_summary="稳定型心绞痛，药物治疗后症状缓解。",
                         diagnoses=[{"icd10": "I25.1", "name": "慢性缺血性心脏病"}],
                         treatment="抗血小板、调脂、控制心率", medication="阿司匹林、阿托伐他汀",
                         advice="低盐低脂饮食，规律服药")
        down = actions.create_referral(specialist.user, actions.ReferralDetails(
            patient=patients[1], direction="down", to_institution=doctor.institution,
            to_doctor=doctor, reason="病情稳定，转回社区长期管理",
            summary="住院5天，稳定型心绞痛，药物治疗有效。",
            medication="阿司匹林 100 mg qd；阿托伐他汀 20 mg qn",
            discharge_summary="稳定型心绞痛，药物治疗后症状缓解，出院。",
            diagnoses=[{"icd10": "I25.1", "name": "慢性缺血性心脏病"}],
            followup=actions.FollowUpInstruction("I25", 30, "血压<130/80 mmHg，LDL-C<1.8 mmol/L")))
        made.append(_consent(specialist, down, patients[1]))
    return made

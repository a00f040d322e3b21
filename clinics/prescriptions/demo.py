"""Demo prescription data: a pharmacist at the demo doctor's centre, a small catalogue of
real chronic-disease drugs (and a few flagged ones the rules refuse), and for the demo
patient one approved hypertension prescription and one renewal request waiting.

The prescription is written, signed and approved through the same actions the pages use,
dated to a follow-up visit three weeks ago. Idempotent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clinics.access import User
from clinics.followups.models import FollowUpPlan, PlanStatus, Visit, VisitStatus
from clinics.models import Institution, Patient, Role, Staff
from clinics.prescriptions import actions
from clinics.prescriptions.models import Drug, Prescription
from clinics.prescriptions.rules import ItemIn

CATALOGUE = [
    # code, generic name, form, strength, route, dose unit, dispensing unit, ICD-10, flags
    ("AML5", "氨氯地平片", "片剂", "5mg", "po", "mg", "片", ["I10", "I25"], {}),
    ("IRB150", "厄贝沙坦片", "片剂", "150mg", "po", "mg", "片", ["I10"], {}),
    ("MTP25", "酒石酸美托洛尔片", "片剂", "25mg", "po", "mg", "片", ["I10", "I25"], {}),
    ("HCT25", "氢氯噻嗪片", "片剂", "25mg", "po", "mg", "片", ["I10"], {}),
    ("MET500", "二甲双胍片", "片剂", "0.5g", "po", "g", "片", ["E11"], {}),
    ("ACA50", "阿卡波糖片", "片剂", "50mg", "po", "mg", "片", ["E11"], {}),
    ("GLM2", "格列美脲片", "片剂", "2mg", "po", "mg", "片", ["E11"], {}),
    ("ATV20", "阿托伐他汀钙片", "片剂", "20mg", "po", "mg", "片", ["I25", "I10", "E11"], {}),
    ("ASA100", "阿司匹林肠溶片", "肠溶片", "100mg", "po", "mg", "片", ["I25"], {}),
    ("TIO18", "噻托溴铵粉吸入剂", "吸入粉雾剂", "18μg", "inh", "μg", "粒", ["J44"], {}),
    ("SAL50", "沙美特罗替卡松粉吸入剂", "吸入粉雾剂", "50μg/250μg", "inh", "吸", "吸",
     ["J44"], {}),
    # Flagged: listed in the catalogue, refused online (the tests and the demo show why).
    ("MOR10", "吗啡缓释片", "缓释片", "10mg", "po", "mg", "片", ["I25"], {"narcotic": True}),
    ("DZP25", "地西泮片", "片剂", "2.5mg", "po", "mg", "片", ["I10"], {"psychotropic": True}),
    ("WAR3", "华法林钠片", "片剂", "3mg", "po", "mg", "片", ["I25"], {"high_risk": True}),
]
PHARMACIST = ("pharmacist", "杨静", "主管药师", "YS2101100000021")


def seed_catalogue() -> int:
    created = 0
    for code, name, form, strength, route, unit, package, conditions, flags in CATALOGUE:
        _, new = Drug.objects.get_or_create(code=code, defaults=dict(
            name=name, form=form, strength=strength, route=route, unit=unit,
            package_unit=package, conditions=conditions, **flags))
        created += new
    return created


def _pharmacist(password: str, institution: Institution) -> Staff:
    """The demo pharmacist account (password as the other demo accounts)."""
    username, name, title, licence = PHARMACIST
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    staff, _ = Staff.objects.get_or_create(user=user, defaults=dict(
        institution=institution, role=Role.PHARMACIST, real_name=name, title=title,
        licence_number=licence, licence_verified=True))
    return staff


def seed_demo(password: str) -> bool:
    """Called by cloudhospital/core/demo.py after the people and follow-up plans exist;
    adds the pharmacist account (True when it was made now)."""
    made = not get_user_model().objects.filter(username=PHARMACIST[0]).exists()
    seed_prescriptions(password)
    return made and get_user_model().objects.filter(username=PHARMACIST[0]).exists()


def seed_prescriptions(password: str) -> dict[str, Any]:
    doctor = Staff.objects.filter(user__username="clinic_doctor").first()
    patient = Patient.objects.filter(user__username="patient").first()
    with transaction.atomic():
        seed_catalogue()
        if doctor is None or patient is None:
            return {}
        pharmacist = _pharmacist(password, doctor.institution)
        plan = FollowUpPlan.objects.filter(patient=patient, condition="I10",
                                           status=PlanStatus.ACTIVE).first()
        if plan is None or Prescription.objects.filter(patient=patient).exists():
            return {"pharmacist": pharmacist.pk}
        rx = _approved_three_weeks_ago(doctor, pharmacist, patient, plan)
        actions.request_renewal(cast(User, patient.user), rx,
                                note="药快吃完了，最近家里量血压都在130/80左右。")
    return {"pharmacist": pharmacist.pk, "prescription": str(rx.pk)}


def _approved_three_weeks_ago(doctor: Staff, pharmacist: Staff, patient: Patient,
                              plan: FollowUpPlan) -> Prescription:
    """The visit three weeks ago (readings in target), and what was prescribed in it."""
    seen = timezone.now() - dt.timedelta(days=21)
    visit = Visit.objects.create(plan=plan, patient=patient, doctor=doctor,
                                 due_on=timezone.localdate(seen), status=VisitStatus.COMPLETED,
                                 called_at=seen, completed_at=seen + dt.timedelta(minutes=12),
                                 systolic=132, diastolic=82, heart_rate=72,
                                 note="血压控制平稳，继续原方案。")
    drugs = {d.code: d for d in Drug.objects.filter(code__in=["AML5", "IRB150"])}
    items = [ItemIn(drug=drugs["AML5"], dose=Decimal("5"), unit="mg", frequency="qd",
                    route="po", days=28, quantity=28),
             ItemIn(drug=drugs["IRB150"], dose=Decimal("150"), unit="mg", frequency="qd",
                    route="po", days=28, quantity=28)]
    at = cast(dt.datetime, visit.completed_at) + dt.timedelta(minutes=3)
    rx = actions.create_prescription(doctor.user, actions.Draft(
        patient_id=patient.pk, visit_id=visit.pk, items=items, note="晨起服用，监测血压。"),
        now=at)
    rx = actions.sign(doctor.user, rx, now=at)
    return actions.approve(pharmacist.user, rx, now=at + dt.timedelta(hours=1))

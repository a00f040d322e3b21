"""Fictional demo data for Shenyang: one tertiary hospital, three grassroots centres.

Idempotent: every object is found by a natural key first, and the consultations are only
created the first time, through the same actions the pages use.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clinics import actions
from clinics.idcard import make_national_id
from clinics.models import (
    CareLevel,
    CloudClinic,
    Consultation,
    Department,
    Diagnosis,
    Institution,
    Patient,
    Role,
    Staff,
)
from cloudhospital.security.crypto import lookup_hash

HOSPITAL = "沈阳云医院示范中心医院"
CENTRES = ["和平区示范社区卫生服务中心", "苏家屯区示范镇卫生院", "浑南区示范社区卫生服务中心"]
DEPARTMENTS = [("心内科", "cardiology"), ("内分泌科", "endocrinology"), ("放射科", "radiology")]
SPECIALISTS = [
    ("specialist", "王建国", "心内科", "cardiology", "主任医师", "110210000000001"),
    ("endo_specialist", "李秀英", "内分泌科", "endocrinology", "副主任医师", "110210000000002"),
    ("radiologist", "张伟", "放射科", "radiology", "主治医师", "110210000000003"),
]
CLINIC_DOCTORS = [
    ("clinic_doctor", "刘芳", 0, "210110000000011"),
    ("clinic_doctor2", "陈磊", 1, "210110000000012"),
    ("clinic_doctor3", "赵敏", 2, "210110000000013"),
]
PATIENTS = [  # name, sex, birth year, centre, icd10, diagnosis
    ("孙建华", "M", 1956, 0, "I10", "原发性高血压"),
    ("周丽", "F", 1962, 0, "E11", "2型糖尿病"),
    ("吴国强", "M", 1949, 0, "I10", "原发性高血压"),
    ("郑秀兰", "F", 1958, 1, "E11", "2型糖尿病"),
    ("王德明", "M", 1953, 1, "I10", "原发性高血压"),
    ("冯桂芝", "F", 1960, 1, "I10", "原发性高血压"),
    ("陈志刚", "M", 1965, 2, "E11", "2型糖尿病"),
    ("褚淑珍", "F", 1951, 2, "I10", "原发性高血压"),
    ("卫海涛", "M", 1968, 2, "E11", "2型糖尿病"),
    ("蒋玉梅", "F", 1957, 0, "E11", "2型糖尿病"),
]


def _user(username: str, password: str, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=extra)
    if created:
        user.set_password(password)
        user.save()
    return user


def _staff(username, password, institution, role, name, department=None, title="",
           specialty="", licence=""):
    user = _user(username, password)
    staff, _ = Staff.objects.get_or_create(user=user, defaults=dict(
        institution=institution, role=role, real_name=name, department=department,
        title=title, specialty=specialty, licence_number=licence,
        licence_verified=bool(licence)))
    return staff


def seed(password: str | None = None) -> tuple[bool, str]:
    """Create the demo world. Returns (created_now, password used for new accounts)."""
    created_now = not get_user_model().objects.filter(username="clinic_doctor").exists()
    password = password or secrets.token_urlsafe(9)
    with transaction.atomic():
        world = _institutions()
        people = _people(world, password)
        if created_now:
            _consultations(world, people)
        from imaging.demo import seed_imaging

        seed_imaging()
    from clinics.followups.demo import seed_followups

    seed_followups()
    from clinics.prescriptions.demo import seed_prescriptions

    seed_prescriptions(password)
    return created_now, password


def _institutions() -> dict:
    hospital, _ = Institution.objects.get_or_create(
        name=HOSPITAL, defaults={"care_level": CareLevel.TERTIARY})
    departments = {}
    for name, specialty in DEPARTMENTS:
        departments[specialty], _ = Department.objects.get_or_create(
            institution=hospital, name=name, defaults={"specialty": specialty})
    centres = []
    for name in CENTRES:
        centre, _ = Institution.objects.get_or_create(
            name=name, defaults={"care_level": CareLevel.GRASSROOTS})
        CloudClinic.objects.get_or_create(institution=centre, name="云诊室1",
                                          defaults={"location": "二楼东侧"})
        centres.append(centre)
    return {"hospital": hospital, "departments": departments, "centres": centres}


def _people(world: dict, password: str) -> dict:
    hospital, departments, centres = world["hospital"], world["departments"], world["centres"]
    specialists = {
        username: _staff(username, password, hospital, Role.SPECIALIST, name,
                         departments[specialty], title, specialty, licence)
        for username, name, _, specialty, title, licence in SPECIALISTS}
    doctors = [_staff(username, password, centres[i], Role.CLINIC_DOCTOR, name,
                      title="全科医师", licence=licence)
               for username, name, i, licence in CLINIC_DOCTORS]
    _staff("coordinator", password, hospital, Role.COORDINATOR, "马丽娜")
    admin = _user("admin", password, is_staff=True, is_superuser=True)
    patients = []
    for n, (name, sex, year, centre, icd10, diagnosis) in enumerate(PATIENTS, start=1):
        national_id = make_national_id("210102", dt.date(year, 3, n), 100 + n)
        patient = Patient.objects.filter(national_id_hash=lookup_hash(national_id)).first()
        if patient is None:
            patient = Patient.objects.create(
                home_institution=centres[centre], name=name, sex=sex,
                date_of_birth=dt.date(year, 3, n), national_id=national_id,
                national_id_hash=lookup_hash(national_id), phone=f"1390000{n:04d}")
            Diagnosis.objects.create(patient=patient, icd10=icd10, name=diagnosis,
                                     diagnosed_on=dt.date(2022, 5, n),
                                     institution=centres[centre], in_person=True)
        patients.append(patient)
    if patients[0].user_id is None:
        patients[0].user = _user("patient", password)
        patients[0].save(update_fields=["user"])
    return {"specialists": specialists, "doctors": doctors, "patients": patients,
            "admin": admin}


def _request(doctor, patient, world, specialist, question, urgency="routine"):
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


def _consultations(world: dict, people: dict) -> list[Consultation]:
    doctor = people["doctors"][0]
    cardio, endo = people["specialists"]["specialist"], people["specialists"]["endo_specialist"]
    p = people["patients"]
    # Scheduled between clinic_doctor and specialist for the demo patient: ready for the room.
    live = _request(doctor, p[0], world, cardio, "血压控制不佳，是否调整降压方案？", "urgent")
    live = actions.accept(cardio.user, live)
    live = actions.schedule(cardio.user, live, when=timezone.now() + dt.timedelta(minutes=30))
    # Waiting in the specialist's worklist.
    _request(doctor, p[2], world, cardio, "头晕伴血压波动，需评估。")
    # Completed, with a signed report.
    done = _request(doctor, p[1], world, endo, "血糖控制不佳，是否起始胰岛素？")
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
    declined = _request(people["doctors"][1], p[3], world, endo, "足部麻木，是否糖尿病足？")
    declined = actions.decline(endo.user, declined, reason="请先完成足部检查后再申请。")
    return [live, done, draft, declined]

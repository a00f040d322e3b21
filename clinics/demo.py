"""Fictional demo data for Shenyang: one tertiary hospital, three grassroots centres.

Idempotent: every object is found by a natural key first. Each workflow seeds its own
demo (``<app>.demo.seed_demo``); cloudhospital/core/demo.py runs them in app order.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from clinics.idcard import make_national_id
from clinics.models import (
    CareLevel,
    CloudClinic,
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


def seed_demo(password: str) -> bool:
    """Institutions, staff and patients (called first by cloudhospital/core/demo.py)."""
    created_now = not get_user_model().objects.filter(username="clinic_doctor").exists()
    world_and_people(password)
    return created_now


def world_and_people(password: str) -> tuple[dict, dict]:
    """The demo institutions and people, found or created; the workflows' demos use them."""
    with transaction.atomic():
        world = _institutions()
        return world, _people(world, password)


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

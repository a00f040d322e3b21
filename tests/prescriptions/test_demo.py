"""seed_demo gives the demo a pharmacist, the catalogue, and for the demo patient one
approved hypertension prescription and one renewal request waiting (idempotently)."""

from __future__ import annotations

from clinics.prescriptions import signing
from clinics.prescriptions.models import Drug, Prescription, RenewalRequest, RxStatus
from cloudhospital.core.demo import seed


def test_seed_demo_loads_the_prescription_demo_once(db, settings, tmp_path):
    settings.IMAGE_STORE_DIR = tmp_path  # the whole demo runs (the imaging demo too)
    seed("demo-password-1")
    seed("demo-password-1")
    [rx] = Prescription.objects.all()
    assert rx.patient.user.username == "patient" and rx.status == RxStatus.APPROVED
    assert rx.diagnosis.icd10 == "I10" and signing.verify(rx)
    assert rx.review.pharmacist.user.username == "pharmacist"
    assert rx.review.pharmacist.user.check_password("demo-password-1")
    assert [i.drug.name for i in rx.items.all()] == ["氨氯地平片", "厄贝沙坦片"]
    [req] = RenewalRequest.objects.all()
    assert req.status == "waiting" and req.prescription == rx
    names = set(Drug.objects.values_list("name", flat=True))
    assert {"氨氯地平片", "厄贝沙坦片", "二甲双胍片", "阿卡波糖片", "阿托伐他汀钙片",
            "阿司匹林肠溶片", "噻托溴铵粉吸入剂"} <= names
    assert Drug.objects.filter(narcotic=True).exists()

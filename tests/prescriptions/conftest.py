"""Prescription fixtures on the shared personas: alice follows pat up for I10 and holds
his visit now; phil is centre A's pharmacist, pia centre B's (the other institution)."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.conftest import _user

CATALOGUE = [  # code, name, form, strength, route, unit, package unit, conditions, flags
    ("AMLO5", "氨氯地平片", "片剂", "5mg", "po", "mg", "片", ["I10"], {}),
    ("IRBE150", "厄贝沙坦片", "片剂", "150mg", "po", "mg", "片", ["I10"], {}),
    ("METF500", "二甲双胍片", "片剂", "0.5g", "po", "g", "片", ["E11"], {}),
    ("TIOT18", "噻托溴铵粉吸入剂", "吸入粉雾剂", "18μg", "inh", "μg", "粒", ["J44"], {}),
    ("MORPH10", "吗啡缓释片", "片剂", "10mg", "po", "mg", "片", ["I25"], {"narcotic": True}),
    ("DIAZ25", "地西泮片", "片剂", "2.5mg", "po", "mg", "片", ["I10"], {"psychotropic": True}),
    ("ARSE", "三氧化二砷注射液", "注射剂", "10mg", "sc", "mg", "支", ["I10"], {"toxic": True}),
    ("I131", "碘[131I]化钠口服溶液", "口服溶液", "185MBq", "po", "MBq", "瓶", ["I10"],
     {"radioactive": True}),
    ("WARF3", "华法林钠片", "片剂", "3mg", "po", "mg", "片", ["I10"], {"high_risk": True}),
]


def make_catalogue():
    from clinics.prescriptions.models import Drug

    return {code: Drug.objects.create(code=code, name=name, form=form, strength=strength,
                                      route=route, unit=unit, package_unit=package,
                                      conditions=conditions, **flags)
            for code, name, form, strength, route, unit, package, conditions, flags
            in CATALOGUE}


def visit_now(world, plan, minutes_ahead: int = 20):
    """A visit of ``plan`` that its doctor is holding now (booked, checked in, called)."""
    from clinics.followups import booking, visits
    from clinics.followups.models import Slot

    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(
        minutes=minutes_ahead)
    slot = Slot.objects.create(doctor=plan.doctor, clinic=plan.clinic, start=start,
                               end=start + dt.timedelta(minutes=15))
    visit = booking.book_slot(plan.patient.user, slot.pk, plan.pk)
    visits.check_in(plan.patient.user, visit.pk)
    called = visits.call_next(plan.doctor.user)
    assert called.pk == visit.pk
    return called


def complete_visit(world, visit, systolic=128, diastolic=80):
    from clinics.followups import rules, visits

    return visits.complete(visit.doctor.user, visit.pk, rules.Readings(
        systolic=systolic, diastolic=diastolic))


@pytest.fixture
def rx(world):
    from clinics.followups import booking
    from clinics.models import Role, Staff

    def pharmacist(username, institution):
        return Staff.objects.create(user=_user(username), institution=institution,
                                    role=Role.PHARMACIST, real_name=username.title(),
                                    licence_number="P" + secrets.token_hex(4),
                                    licence_verified=True, title="主管药师")

    plan = booking.create_plan(world.alice.user, world.pat, "I10", world.alice, world.clinic_a)
    ns = SimpleNamespace(plan=plan, drugs=make_catalogue(),
                         phil=pharmacist("phil", world.centre_a),
                         pia=pharmacist("pia", world.centre_b))
    ns.visit = visit_now(world, plan)
    return ns


def item(drug, days=28, quantity=None, dose="5", unit=None, frequency="qd", route=None):
    from clinics.prescriptions.rules import ItemIn

    return ItemIn(drug=drug, dose=Decimal(dose), unit=unit or drug.unit, frequency=frequency,
                  route=route or drug.route, days=days,
                  quantity=quantity if quantity is not None else days)


def draft(world, rx, *items_, **extra):
    from clinics.prescriptions import actions

    extra.setdefault("visit_id", rx.visit.pk)
    return actions.Draft(patient_id=world.pat.pk,
                         items=list(items_) or [item(rx.drugs["AMLO5"])], **extra)


def approved(world, rx, *items_, **extra):
    """Walk a prescription through the real flow: written, signed, approved."""
    from clinics.prescriptions import actions

    written = actions.create_prescription(world.alice.user, draft(world, rx, *items_, **extra))
    signed = actions.sign(world.alice.user, written)
    return actions.approve(rx.phil.user, signed)


def api_item(code="AMLO5", **extra):
    body = {"drug_code": code, "dose": "5", "unit": "mg", "frequency": "qd", "route": "po",
            "days": 28, "quantity": 28}
    body.update(extra)
    return body

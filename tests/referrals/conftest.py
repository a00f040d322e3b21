"""Referral fixtures on top of the shared personas.

- alice (centre A) refers pat up to the hospital's cardiology (sam's department);
- sam answers; carol is the hospital's coordinator; tom (endocrinology) is the hospital
  outsider; oscar (centre B) and quinn (centre B's patient) are outsiders;
- cora is centre A's coordinator (the receiving coordinator of downward referrals).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import _user

UP_ORDER = ["draft", "requested", "accepted", "arrived", "completed"]


@pytest.fixture
def cora(world):
    from clinics.models import Role, Staff

    return Staff.objects.create(user=_user("cora"), institution=world.centre_a,
                                role=Role.COORDINATOR, real_name="Cora")


def consent(actor, referral):
    from clinics.referrals import actions

    return actions.record_consent(actor.user, referral, signed_by="Pat", relation="self",
                                  signed_at=timezone.now(), method="written")


def up_details(world, **overrides):
    from clinics.referrals import actions

    values = dict(patient=world.pat, direction="up", to_institution=world.hospital,
                  to_department=world.cardiology, reason="Chest pain on exertion",
                  summary="HTN 10 years; ECG ST depression", medication="amlodipine 5 mg qd")
    values.update(overrides)
    return actions.ReferralDetails(**values)


def advance_up(world, referral, to: str):
    """Walk an upward referral through the real workflow up to ``to``."""
    from clinics.referrals import actions

    if to == "declined":
        referral = advance_up(world, referral, "requested")
        return actions.decline(world.sam.user, referral, reason="No beds")
    if to == "cancelled":
        return actions.cancel(world.alice.user, referral, reason="Patient moved")
    steps = {
        "requested": lambda r: consent(world.alice, r),
        "accepted": lambda r: actions.accept(
            world.sam.user, r, appointment_at=timezone.now() + dt.timedelta(days=1),
            location="Outpatient building, 2nd floor"),
        "arrived": lambda r: actions.arrive(world.sam.user, r),
        "completed": lambda r: actions.complete(
            world.sam.user, r, discharge_summary="Stable angina, PCI not needed",
            diagnoses=[{"icd10": "I25.1", "name": "Chronic ischaemic heart disease"}],
            treatment="medical therapy", medication="aspirin 100 mg qd", advice="follow up"),
    }
    for status in UP_ORDER[UP_ORDER.index(referral.status) + 1: UP_ORDER.index(to) + 1]:
        referral = steps[status](referral)
    return referral


@pytest.fixture
def up_at(world):
    """``up_at("accepted", urgency="urgent")``: alice's upward referral of pat."""
    from clinics.referrals import actions

    def make(status: str = "draft", **overrides):
        draft = actions.create_referral(world.alice.user, up_details(world, **overrides))
        return advance_up(world, draft, status)

    return make


def down_details(world, **overrides):
    from clinics.referrals import actions

    values = dict(patient=world.pat, direction="down", to_institution=world.centre_a,
                  reason="Stable after admission; continue care at the centre",
                  summary="Admitted for angina, medical therapy", medication="aspirin",
                  discharge_summary="Discharged stable; no chest pain at rest",
                  diagnoses=[{"icd10": "I25.1", "name": "Chronic ischaemic heart disease"}],
                  followup=actions.FollowUpInstruction("I25", 30, "BP < 130/80; no angina"))
    values.update(overrides)
    return actions.ReferralDetails(**values)


@pytest.fixture
def down_at(world, up_at):
    """``down_at("accepted")``: sam refers pat (who arrived through an upward referral)
    back down to centre A; alice answers for the centre."""
    from clinics.referrals import actions

    def make(status: str = "draft", **overrides):
        up_at("completed")
        referral = actions.create_referral(world.sam.user, down_details(world, **overrides))
        if status == "draft":
            return referral
        if status == "cancelled":
            return actions.cancel(world.sam.user, referral, reason="Stays in hospital")
        referral = consent(world.sam, referral)
        if status == "declined":
            return actions.decline(world.alice.user, referral, reason="Not our area")
        order = ["requested", "accepted", "arrived", "completed"]
        run = {"accepted": lambda r: actions.accept(world.alice.user, r),
               "arrived": lambda r: actions.arrive(world.alice.user, r),
               "completed": lambda r: actions.complete(world.alice.user, r)}
        for step in order[1: order.index(status) + 1]:
            referral = run[step](referral)
        return referral

    return make

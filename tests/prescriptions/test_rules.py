"""The online-prescribing rules, one test per rule and per refusal (rules.py cites the
source of each)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clinics.followups.models import Visit
from clinics.models import Diagnosis
from clinics.prescriptions import actions, errors
from clinics.prescriptions.models import Prescription, RxStatus
from tests.prescriptions.conftest import approved, complete_visit, draft, item, visit_now


def test_the_plans_doctor_prescribes_in_the_visit_she_is_holding(world, rx):
    written = actions.create_prescription(world.alice.user, draft(world, rx))
    assert written.status == RxStatus.DRAFT and written.visit == rx.visit
    assert written.diagnosis == world.pat_diagnosis and written.institution == world.centre_a
    assert [i.drug.code for i in written.items.all()] == ["AMLO5"]


def test_a_condition_not_diagnosed_in_person_is_not_eligible(world, rx):
    Diagnosis.objects.filter(pk=world.pat_diagnosis.pk).update(in_person=False)
    with pytest.raises(errors.NotEligible) as refused:
        actions.create_prescription(world.alice.user, draft(world, rx))
    assert refused.value.extra["rule"] == "in_person_diagnosis"
    assert "互联网诊疗管理办法" in refused.value.message


def test_outside_a_visit_or_request_it_is_not_eligible(world, rx):
    with pytest.raises(errors.NotEligible):
        actions.create_prescription(world.alice.user, draft(world, rx, visit_id=None))


def test_a_visit_that_is_not_running_is_not_eligible(world, rx):
    Visit.objects.filter(pk=rx.visit.pk).update(status="booked")
    with pytest.raises(errors.NotEligible) as refused:
        actions.create_prescription(world.alice.user, draft(world, rx))
    assert refused.value.extra["rule"] == "in_visit"


def test_a_visit_completed_long_ago_is_not_eligible(world, rx):
    complete_visit(world, rx.visit)
    actions.create_prescription(world.alice.user, draft(world, rx))  # just after: fine
    Visit.objects.filter(pk=rx.visit.pk).update(
        completed_at=timezone.now() - dt.timedelta(days=3))
    with pytest.raises(errors.NotEligible):
        actions.create_prescription(world.alice.user, draft(world, rx))


def test_another_doctor_cannot_prescribe_in_alices_visit(world, rx):
    with pytest.raises(errors.NotEligible):
        actions.create_prescription(world.oscar.user, draft(world, rx))


def test_a_drug_for_a_condition_not_followed_up_is_not_eligible(world, rx):
    with pytest.raises(errors.NotEligible) as refused:
        actions.create_prescription(world.alice.user, draft(world, rx, item(
            rx.drugs["METF500"], dose="0.5")))
    assert refused.value.extra == {"rule": "indication", "drug_code": "METF500"}


@pytest.mark.parametrize("code,flag", [("MORPH10", "narcotic"), ("DIAZ25", "psychotropic"),
                                       ("ARSE", "toxic"), ("I131", "radioactive"),
                                       ("WARF3", "high_risk")])
def test_restricted_drugs_are_refused_naming_the_rule(world, rx, code, flag):
    with pytest.raises(errors.RestrictedDrug) as refused:
        actions.create_prescription(world.alice.user, draft(world, rx, item(rx.drugs[code])))
    assert refused.value.code == "restricted_drug" and refused.value.extra["flags"] == [flag]
    assert refused.value.extra["rule"] == "restricted_drug"
    assert "互联网诊疗管理办法" in refused.value.message


def test_more_than_28_days_is_too_long(world, rx):
    actions.create_prescription(world.alice.user, draft(world, rx, item(rx.drugs["AMLO5"],
                                                                       days=28)))
    with pytest.raises(errors.TooLong) as refused:
        actions.create_prescription(world.alice.user, draft(world, rx, item(
            rx.drugs["AMLO5"], days=29)))
    assert refused.value.extra["limit"] == 28


def _stable_next_visit(world, rx, systolic=128):
    complete_visit(world, rx.visit, systolic=systolic)
    return visit_now(world, rx.plan, minutes_ahead=25)


def test_a_long_term_prescription_for_a_stable_patient_may_cover_84_days(world, rx):
    visit = _stable_next_visit(world, rx)
    written = actions.create_prescription(world.alice.user, draft(
        world, rx, item(rx.drugs["AMLO5"], days=84), visit_id=visit.pk, long_term=True))
    assert written.long_term and written.supply_days == 84
    with pytest.raises(errors.TooLong):
        actions.create_prescription(world.alice.user, draft(
            world, rx, item(rx.drugs["AMLO5"], days=85), visit_id=visit.pk, long_term=True))


def test_84_days_needs_the_long_term_mark(world, rx):
    visit = _stable_next_visit(world, rx)
    with pytest.raises(errors.TooLong):
        actions.create_prescription(world.alice.user, draft(
            world, rx, item(rx.drugs["AMLO5"], days=84), visit_id=visit.pk))


def test_a_long_term_prescription_is_too_long_for_an_unstable_patient(world, rx):
    visit = _stable_next_visit(world, rx, systolic=150)  # last readings out of target
    with pytest.raises(errors.TooLong) as refused:
        actions.create_prescription(world.alice.user, draft(
            world, rx, item(rx.drugs["AMLO5"], days=56), visit_id=visit.pk, long_term=True))
    assert "stable" in refused.value.message or "稳定" in refused.value.message


def test_a_long_term_prescription_needs_a_readings_history(world, rx):
    with pytest.raises(errors.TooLong):  # no completed visit yet: not known to be stable
        actions.create_prescription(world.alice.user, draft(
            world, rx, item(rx.drugs["AMLO5"], days=56), long_term=True))


def test_a_child_under_6_needs_a_guardian_present(world, rx):
    born = timezone.localdate() - dt.timedelta(days=5 * 365)
    type(world.pat).objects.filter(pk=world.pat.pk).update(date_of_birth=born)
    with pytest.raises(errors.GuardianRequired):
        actions.create_prescription(world.alice.user, draft(world, rx))
    written = actions.create_prescription(world.alice.user, draft(world, rx,
                                                                  guardian_present=True))
    assert written.guardian_present


def test_at_most_five_drugs_on_one_prescription(world, rx):
    with pytest.raises(errors.TooManyItems):
        actions.create_prescription(world.alice.user, draft(
            world, rx, *[item(rx.drugs["AMLO5"])] * 6))


def test_only_a_real_name_licensed_doctor_signs(world, rx):
    written = actions.create_prescription(world.alice.user, draft(world, rx))
    type(world.alice).objects.filter(pk=world.alice.pk).update(licence_verified=False)
    world.alice.refresh_from_db()
    with pytest.raises(errors.LicenceRequired):
        actions.sign(world.alice.user, written)
    type(world.alice).objects.filter(pk=world.alice.pk).update(licence_verified=True,
                                                               real_name=" ")
    world.alice.refresh_from_db()
    with pytest.raises(errors.LicenceRequired):
        actions.sign(world.alice.user, written)
    assert Prescription.objects.get(pk=written.pk).status == RxStatus.DRAFT


def test_only_the_prescribing_institutions_pharmacist_reviews(world, rx):
    written = actions.create_prescription(world.alice.user, draft(world, rx))
    signed = actions.sign(world.alice.user, written)
    with pytest.raises(errors.LicenceRequired):
        actions.approve(rx.pia.user, signed)
    with pytest.raises(Exception) as refused:
        actions.approve(world.alice.user, signed)  # a doctor is not a pharmacist
    assert getattr(refused.value, "status", None) == 403
    assert actions.approve(rx.phil.user, signed).status == RxStatus.APPROVED


def test_nothing_is_ever_prescribed_by_the_system(world, rx):
    """Renewal requests, reminders and approvals never create a prescription."""
    from tests.followups.conftest import run_ready_jobs

    first = approved(world, rx)
    actions.request_renewal(world.pat.user, first)
    run_ready_jobs(ignore_run_after=True)
    assert Prescription.objects.count() == 1


def test_every_rule_cites_its_source():
    from clinics.prescriptions import rules

    checks = [rules.diagnosed_in_person, rules.in_follow_up_visit,
              rules.answers_request_by_plan_doctor, rules.indicated_for_managed_condition,
              rules.not_restricted, rules.supply_allowed, rules.guardian_for_young_child,
              rules.at_most_five_items, rules.real_name_licensed_doctor,
              rules.institution_pharmacist]
    for check in checks:
        assert "Source:" in check.__doc__, check.__name__


def test_every_string_of_the_app_has_a_chinese_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    import clinics.prescriptions as app

    po = Path(app.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert len(catalog) > 150 and not missing, missing

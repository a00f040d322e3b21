"""draft → signed → approved | rejected → dispensed, or revoked before dispensing; 409
with the current status for a wrong move; immutable after signing; signatures verify and
tampering shows."""

from __future__ import annotations

import pytest

from clinics.prescriptions import actions, signing
from clinics.prescriptions.models import (
    Dispense,
    ImmutablePrescriptionError,
    Prescription,
    PrescriptionItem,
    Review,
    RxStatus,
)
from cloudhospital.core.errors import InvalidInput, InvalidTransition
from cloudhospital.security.models import AuditEntry
from tests.prescriptions.conftest import approved, draft


def _signed(world, rx):
    return actions.sign(world.alice.user, actions.create_prescription(world.alice.user,
                                                                      draft(world, rx)))


def test_the_review_flow_signs_approves_and_dispenses(world, rx):
    signed = _signed(world, rx)
    assert signed.status == RxStatus.SIGNED and not signed.is_valid
    assert signing.verify(signed)
    ok = actions.approve(rx.phil.user, signed, reason="用药适宜")
    assert ok.is_valid and ok.review.pharmacist == rx.phil and ok.review.reason == "用药适宜"
    done = actions.dispense(rx.phil.user, ok, method="delivery")
    assert done.status == RxStatus.DISPENSED and Dispense.objects.get().method == "delivery"
    actions_logged = list(AuditEntry.objects.filter(object_id=str(done.pk))
                          .order_by("pk").values_list("action", flat=True))
    assert actions_logged == ["prescription.create", "prescription.sign",
                              "prescription.approve", "prescription.dispense"]


def test_a_rejection_needs_a_reason_and_is_final(world, rx):
    signed = _signed(world, rx)
    with pytest.raises(InvalidInput):
        actions.reject(rx.phil.user, signed, reason="  ")
    rejected = actions.reject(rx.phil.user, signed, reason="剂量与诊断不符")
    assert rejected.status == RxStatus.REJECTED and not rejected.is_valid
    assert Review.objects.get().decision == "rejected"
    with pytest.raises(InvalidTransition) as refused:
        actions.approve(rx.phil.user, rejected)
    assert refused.value.extra == {"status": "rejected"}


@pytest.mark.parametrize("step", ["approve", "dispense"])
def test_an_unsigned_draft_cannot_be_approved_or_dispensed(world, rx, step):
    written = actions.create_prescription(world.alice.user, draft(world, rx))
    with pytest.raises(InvalidTransition) as refused:
        getattr(actions, step)(rx.phil.user, written)
    assert refused.value.status == 409 and refused.value.extra == {"status": "draft"}


def test_a_signed_prescription_is_not_dispensed_before_approval(world, rx):
    with pytest.raises(InvalidTransition) as refused:
        actions.dispense(rx.phil.user, _signed(world, rx))
    assert refused.value.extra == {"status": "signed"}


def test_signing_twice_is_a_conflict(world, rx):
    signed = _signed(world, rx)
    with pytest.raises(InvalidTransition):
        actions.sign(world.alice.user, signed)


def test_the_doctor_revokes_before_dispensing_but_not_after(world, rx):
    ok = approved(world, rx)
    revoked = actions.revoke(world.alice.user, ok, reason="改用其他药物")
    assert revoked.status == RxStatus.REVOKED and not revoked.is_valid
    assert revoked.revoke_reason == "改用其他药物"
    from clinics.followups.models import Notification

    told = Notification.objects.get(kind="prescription_revoked")
    assert told.user == world.pat.user and told.body == "改用其他药物"
    second = approved(world, rx)
    dispensed = actions.dispense(rx.phil.user, second)
    with pytest.raises(InvalidTransition) as refused:
        actions.revoke(world.alice.user, dispensed, reason="too late")
    assert refused.value.extra == {"status": "dispensed"}


def test_a_signed_prescription_is_immutable(world, rx):
    signed = _signed(world, rx)
    signed.note = "changed"
    with pytest.raises(ImmutablePrescriptionError):
        signed.save()
    line = PrescriptionItem.objects.get(prescription=signed)
    line.quantity = 999
    with pytest.raises(ImmutablePrescriptionError):
        line.save()
    with pytest.raises(ImmutablePrescriptionError):
        Prescription.objects.get(pk=signed.pk).delete()


def test_tampering_breaks_the_signature_and_blocks_approval(world, rx):
    signed = _signed(world, rx)
    PrescriptionItem.objects.filter(prescription=signed).update(quantity=280)  # behind save()
    fresh = Prescription.objects.get(pk=signed.pk)
    assert actions.verify_signature(world.alice.user, fresh)["valid"] is False
    with pytest.raises(InvalidTransition):
        actions.approve(rx.phil.user, fresh)


def test_the_signature_covers_the_doctors_real_name_and_licence(world, rx):
    signed = _signed(world, rx)
    payload = signing.canonical_payload(signed)
    assert payload["doctor_name"] == "Alice"
    assert payload["licence_number"] == world.alice.licence_number
    type(world.alice).objects.filter(pk=world.alice.pk).update(licence_number="FORGED")
    assert not signing.verify(Prescription.objects.get(pk=signed.pk))


def test_free_text_is_encrypted_at_rest(world, rx):
    from django.db import connection

    written = actions.create_prescription(world.alice.user, draft(world, rx,
                                                                  note="夜间血压偏高"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM prescriptions_prescription WHERE id = %s",
                       [written.pk.hex if connection.vendor == "sqlite" else written.pk])
        stored = cursor.fetchone()[0]
    assert stored and "夜间" not in stored


def test_a_patient_asks_for_a_renewal_and_the_plan_doctor_answers_it(world, rx):
    from clinics.followups.models import Notification
    from clinics.prescriptions.models import RenewalStatus

    first = approved(world, rx)
    req = actions.request_renewal(world.pat.user, first, note="药快吃完了")
    assert Notification.objects.filter(user=world.alice.user, kind="renewal_request").exists()
    with pytest.raises(InvalidTransition):  # one waiting request per prescription
        actions.request_renewal(world.pat.user, first)
    renewed = actions.create_prescription(world.alice.user, draft(
        world, rx, visit_id=None, renewal_request_id=req.pk))
    req.refresh_from_db()
    assert req.status == RenewalStatus.ANSWERED and renewed.renewal_request == req
    with pytest.raises(InvalidTransition):  # answered once
        actions.create_prescription(world.alice.user, draft(
            world, rx, visit_id=None, renewal_request_id=req.pk))


def test_only_a_current_prescription_can_be_renewed(world, rx):
    signed = _signed(world, rx)
    with pytest.raises(InvalidTransition):
        actions.request_renewal(world.pat.user, signed)
    older, newer = approved(world, rx), approved(world, rx)
    with pytest.raises(InvalidTransition):  # replaced by a newer one under the same plan
        actions.request_renewal(world.pat.user, older)
    assert actions.request_renewal(world.pat.user, newer).prescription == newer


def test_the_doctor_declines_a_renewal_with_a_reason(world, rx):
    from clinics.prescriptions.models import RenewalStatus

    req = actions.request_renewal(world.pat.user, approved(world, rx))
    declined = actions.decline_renewal(world.alice.user, req.pk, reason="请先来门诊复查")
    assert declined.status == RenewalStatus.DECLINED


def test_only_the_plans_doctor_answers_a_renewal_request(world, rx):
    from clinics.prescriptions import errors

    req = actions.request_renewal(world.pat.user, approved(world, rx))
    # sam is not a doctor of pat's plan: refused
    with pytest.raises(errors.NotEligible):
        actions.create_prescription(world.sam.user, draft(
            world, rx, visit_id=None, renewal_request_id=req.pk))

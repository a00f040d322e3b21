"""A referral made from a consultation carries the consultation's shared studies to the
referral's receiving doctors, while it is open and for the grace period after; nobody
else gains access (not the coordinator, not other departments)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clinics.referrals import actions
from clinics.referrals.models import Referral
from imaging import sharing
from tests.imaging.conftest import ct_study, image_store  # noqa: F401 - imaging fixtures
from tests.referrals.conftest import consent, up_details


def _sees(staff, ds) -> bool:
    return sharing.visible_studies(staff.user).filter(
        study_instance_uid=ds.StudyInstanceUID).exists()


def test_a_referral_from_a_consultation_shares_its_studies_with_the_addressee(
        world, ct_study, consultation_at, settings):  # noqa: F811
    ds = ct_study[0]
    consultation = consultation_at("in_progress")
    # The synthetic study names "Test^Patient", not the consultation's patient: attaching
    # it takes the clinic doctor's confirmation (imaging.identity_check).
    sharing.attach_study(world.alice.user, consultation, ds.StudyInstanceUID,
                         mismatch_reason="synthetic test study of another patient")
    assert not _sees(world.tom, ds)
    referral = actions.create_referral(world.alice.user, up_details(
        world, to_department=world.endocrinology, consultation=consultation))
    assert not _sees(world.tom, ds)  # a draft is not sent
    referral = consent(world.alice, referral)
    assert _sees(world.tom, ds)  # the receiving department's doctor
    assert not _sees(world.carol, ds) and not _sees(world.oscar, ds)

    referral = actions.decline(world.tom.user, referral, reason="see cardiology")
    assert _sees(world.tom, ds)  # closed just now: within the grace period
    settings.STUDY_SHARE_GRACE_HOURS = 2
    Referral.objects.filter(pk=referral.pk).update(
        closed_at=timezone.now() - dt.timedelta(hours=3))
    assert not _sees(world.tom, ds)
    assert _sees(world.alice, ds)  # the owner keeps them


def test_a_referral_without_a_consultation_shares_nothing(world, ct_study, up_at):  # noqa: F811
    up_at("requested", to_department=world.endocrinology)
    assert not _sees(world.tom, ct_study[0])

"""seed_demo loads the issue's three demo referrals, once."""

from django.core.management import call_command

from clinics.referrals.models import Referral


def test_seed_demo_makes_the_three_demo_referrals_once(db, settings, tmp_path):
    settings.IMAGE_STORE_DIR = tmp_path
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    open_ones = Referral.objects.exclude(status="completed")
    assert sorted((r.direction, r.urgency, r.status) for r in open_ones) == [
        ("down", "routine", "requested"), ("up", "routine", "accepted"),
        ("up", "urgent", "requested")]
    accepted = Referral.objects.get(status="accepted")
    assert accepted.appointment_at is not None and accepted.location
    pending = Referral.objects.get(urgency="urgent")
    assert pending.answer_due_at is not None and pending.consent.signed_by

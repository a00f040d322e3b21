"""The receiving side races on PostgreSQL: the specialist accepts while the coordinator
declines, six times each, all at once. The row lock lets exactly one move win; the
other eleven answer 409 with the status it left behind."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

pytestmark = pytest.mark.postgres


def test_concurrent_answers_to_one_referral_give_one_outcome(transactional_db, world, up_at):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL (set DATABASE_URL=postgres://...)")
    from django.test import Client

    from clinics.referrals.models import Referral

    referral = up_at("requested")
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    moves = [(world.sam, "accept", {"appointment_at": later}),
             (world.carol, "decline", {"reason": "no beds"})] * 6
    barrier = threading.Barrier(len(moves))
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def race(staff, step, body):
        client = Client()
        client.force_login(staff.user)
        try:
            barrier.wait()
            resp = client.post(f"/api/v1/referrals/{referral.pk}/{step}", body,
                               content_type="application/json")
            result = (resp.status_code, resp.json()["status"])
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=move) for move in moves]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    final = Referral.objects.get(pk=referral.pk).status
    assert final in {"accepted", "declined"}
    assert sorted(outcomes) == sorted([(200, final)] + [(409, final)] * (len(moves) - 1))

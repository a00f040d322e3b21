"""Pharmacists race to review one signed prescription on PostgreSQL: the row lock lets
exactly one review win; the others hear 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.postgres

RACERS = 8


def test_concurrent_reviews_give_one_outcome(transactional_db, world, rx):
    if connection.vendor != "postgresql":
        pytest.skip("the review race needs PostgreSQL (set DATABASE_URL=postgres://...)")
    from django.test import Client

    from clinics.models import Role, Staff
    from clinics.prescriptions import actions
    from clinics.prescriptions.models import Review
    from tests.conftest import _user
    from tests.prescriptions.conftest import draft

    signed = actions.sign(world.alice.user, actions.create_prescription(world.alice.user,
                                                                        draft(world, rx)))
    moves = []
    for n in range(RACERS):
        pharmacist = Staff.objects.create(user=_user(f"ph{n}"), institution=world.centre_a,
                                          role=Role.PHARMACIST, real_name=f"Ph {n}",
                                          licence_number=f"P{n}", licence_verified=True)
        step = "approve" if n % 2 else "reject"
        moves.append((pharmacist.user, step))
    barrier = threading.Barrier(len(moves))
    outcomes, lock = [], threading.Lock()

    def race(user, step):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            resp = client.post(f"/api/v1/prescriptions/{signed.pk}/{step}",
                               {"reason": "并发"}, content_type="application/json")
            result = (resp.status_code, resp.json().get("error", resp.json().get("status")))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=move) for move in moves]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [o for o in outcomes if o[0] == 200]
    assert len(winners) == 1, outcomes
    assert outcomes.count((409, "invalid_transition")) == len(moves) - 1, outcomes
    assert Review.objects.count() == 1

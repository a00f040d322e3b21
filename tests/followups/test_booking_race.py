"""50 patients race for one slot on PostgreSQL: exactly one wins, 49 hear "slot taken"."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.postgres

RACERS = 50


@pytest.fixture
def racers(transactional_db, world, fu):
    if connection.vendor != "postgresql":
        pytest.skip("the 50-way booking race needs PostgreSQL (set DATABASE_URL=postgres://...)")
    from clinics.followups import booking
    from clinics.idcard import make_national_id
    from clinics.models import Diagnosis, Patient
    from cloudhospital.security.crypto import lookup_hash
    from tests.conftest import _user

    users = []
    for n in range(RACERS):
        number = make_national_id("210102", dt.date(1950, 1, 1) + dt.timedelta(days=n), 200 + n)
        patient = Patient.objects.create(
            user=_user(f"racer{n}"), home_institution=world.centre_a, name=f"Racer {n}",
            sex="M", date_of_birth=dt.date(1950, 1, 1), national_id=number,
            national_id_hash=lookup_hash(number))
        Diagnosis.objects.create(patient=patient, icd10="I10", name="HTN",
                                 diagnosed_on=dt.date(2023, 1, 1), institution=world.centre_a)
        booking.create_plan("test", patient, "I10", world.alice, world.clinic_a)
        users.append(patient.user)
    return users


def test_fifty_concurrent_bookings_of_one_slot_give_one_success(racers, fu):
    """Through the API, each racer on its own connection, all released at once."""
    from django.test import Client

    from clinics.followups.models import Visit

    clients = []
    for user in racers:
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(RACERS)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def race(client):
        try:
            barrier.wait()
            resp = client.post("/api/v1/followups/appointments", {"slot_id": fu.tomorrow.pk},
                               content_type="application/json")
            result = (resp.status_code, resp.json().get("error", "booked"))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(client,)) for client in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(set(outcomes)) == [(201, "booked"), (409, "slot_taken")], outcomes
    assert outcomes.count((201, "booked")) == 1
    assert outcomes.count((409, "slot_taken")) == RACERS - 1
    assert Visit.objects.filter(slot=fu.tomorrow).exclude(status="cancelled").count() == 1

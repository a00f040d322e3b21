"""A called follow-up visit opens the live-consultation room (signaling's "visit" kind)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinics.followups import booking, rules, visits
from cloudhospital.core.errors import NotAllowed, NotFound

rooms = pytest.importorskip("signaling.rooms")


@pytest.fixture
def visit(world, fu):
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    v = booking.book_slot(world.pat.user, slot.pk)
    visits.check_in(world.pat.user, v.pk)
    return v


def test_the_room_opens_when_the_doctor_calls_and_closes_when_done(world, visit):
    assert "visit" in rooms.registered_kinds()
    assert not rooms.resolve("visit", world.pat.user, str(visit.pk)).open
    visits.call_next(world.alice.user)
    mine = rooms.resolve("visit", world.pat.user, str(visit.pk))
    theirs = rooms.resolve("visit", world.alice.user, str(visit.pk))
    assert (mine.key, mine.role, mine.open) == (f"visit:{visit.pk}", "patient", True)
    assert (theirs.role, theirs.name) == ("doctor", "Alice")
    visits.complete(world.alice.user, visit.pk, rules.Readings(systolic=120, diastolic=75))
    assert not rooms.resolve("visit", world.pat.user, str(visit.pk)).open


def test_outsiders_and_colleagues_do_not_join(world, visit):
    visits.call_next(world.alice.user)
    with pytest.raises(NotFound):
        rooms.resolve("visit", world.oscar.user, str(visit.pk))  # may not know it exists
    with pytest.raises(NotFound):
        rooms.resolve("visit", world.quinn.user, str(visit.pk))
    with pytest.raises(NotAllowed):
        rooms.resolve("visit", world.dora.user, str(visit.pk))  # sees it, not in it
    with pytest.raises(NotFound):
        rooms.resolve("visit", world.pat.user, "not-a-number")


def test_tickets_and_the_room_page_for_a_called_visit(client, world, visit):
    client.force_login(world.pat.user)
    url = f"/api/v1/visits/{visit.pk}/signaling-ticket"
    assert client.post(url).json()["error"] == "conflict"  # not called yet
    visits.call_next(world.alice.user)
    ticket = client.post(url).json()
    assert ticket["room"] == f"visit:{visit.pk}" and ticket["ticket"]
    assert client.get(f"/visits/{visit.pk}/room/").status_code == 200
    client.force_login(world.oscar.user)
    assert client.post(url).status_code == 404

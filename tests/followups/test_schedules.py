"""Doctors publish weekly templates and exceptions; slots follow (Asia/Shanghai hours)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinics.followups import booking, schedules
from clinics.followups.models import Slot
from cloudhospital.core.errors import InvalidInput, NotAllowed

# A Monday within the schedule horizon (exceptions far ahead are refused).
_TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
MONDAY = _TODAY + dt.timedelta(days=7 - _TODAY.weekday())


def _local_starts(doctor, date):
    return [(s.astimezone(schedules.LOCAL).time(), e - s)
            for s, e, _ in schedules.slot_times_for_day(doctor, date)]


def test_a_weekly_template_gives_slots_on_its_weekday_only(world):
    schedules.add_template(world.alice.user, weekday=0, start_time=dt.time(9),
                           end_time=dt.time(10), slot_minutes=20, clinic_id=world.clinic_a.pk)
    assert _local_starts(world.alice, MONDAY) == [
        (dt.time(9), dt.timedelta(minutes=20)), (dt.time(9, 20), dt.timedelta(minutes=20)),
        (dt.time(9, 40), dt.timedelta(minutes=20))]
    assert _local_starts(world.alice, MONDAY + dt.timedelta(days=1)) == []
    start = schedules.slot_times_for_day(world.alice, MONDAY)[0][0]
    assert start.utcoffset() == dt.timedelta(hours=8)  # Shanghai wall clock


def test_exceptions_close_a_day_or_hours_and_add_extra_hours(world):
    schedules.add_template(world.alice.user, weekday=0, start_time=dt.time(9),
                           end_time=dt.time(10))
    schedules.add_exception(world.alice.user, date=MONDAY, kind="closed",
                            start_time=dt.time(9, 15), end_time=dt.time(9, 45))
    assert [t for t, _ in _local_starts(world.alice, MONDAY)] == [dt.time(9), dt.time(9, 45)]
    schedules.add_exception(world.alice.user, date=MONDAY + dt.timedelta(days=1), kind="extra",
                            start_time=dt.time(14), end_time=dt.time(14, 30))
    assert [t for t, _ in _local_starts(world.alice, MONDAY + dt.timedelta(days=1))] == [
        dt.time(14), dt.time(14, 15)]
    schedules.add_exception(world.alice.user, date=MONDAY + dt.timedelta(days=7), kind="closed")
    assert _local_starts(world.alice, MONDAY + dt.timedelta(days=7)) == []


def test_a_new_day_off_closes_open_slots_but_keeps_booked_ones(world, fu):
    day = timezone.localdate() + dt.timedelta(days=5)
    schedules.add_exception(world.alice.user, date=day, kind="extra", start_time=dt.time(9),
                            end_time=dt.time(9, 30))
    published = list(Slot.objects.filter(doctor=world.alice, start__date__gte=day))
    assert len(published) == 2
    visit = booking.book_slot(world.pat.user, published[0].pk)
    schedules.add_exception(world.alice.user, date=day, kind="closed")
    assert not Slot.objects.get(pk=published[1].pk).is_open
    assert Slot.objects.get(pk=visit.slot_id).is_open
    assert published[1] not in booking.open_slots(world.pat)


def test_publishing_is_idempotent(world):
    schedules.add_template(world.alice.user, weekday=0, start_time=dt.time(9),
                           end_time=dt.time(10))
    before = Slot.objects.count()
    assert before >= 8 and schedules.publish_slots(world.alice) == 0
    assert Slot.objects.count() == before


def test_only_licensed_doctors_publish_and_hours_are_checked(world):
    with pytest.raises(NotAllowed):
        schedules.add_template(world.pat.user, weekday=0, start_time=dt.time(9),
                               end_time=dt.time(10))
    with pytest.raises(NotAllowed):
        schedules.add_template(world.dora.user, weekday=0, start_time=dt.time(9),
                               end_time=dt.time(10))
    with pytest.raises(InvalidInput):
        schedules.add_template(world.alice.user, weekday=0, start_time=dt.time(10),
                               end_time=dt.time(9))
    with pytest.raises(InvalidInput):
        schedules.add_template(world.alice.user, weekday=0, start_time=dt.time(9),
                               end_time=dt.time(10), clinic_id=world.clinic_a.pk + 999)


def test_doctors_publish_and_start_plans_through_the_api(client, world):
    client.force_login(world.alice.user)
    resp = client.post("/api/v1/followups/schedule/templates",
                       {"weekday": 2, "start_time": "08:30", "end_time": "09:30",
                        "clinic_id": world.clinic_a.pk}, content_type="application/json")
    assert resp.status_code == 201 and resp.json()["weekday"] == 2
    assert client.get("/api/v1/followups/schedule").json()["open_slots"] >= 4  # 2 Wednesdays
    resp = client.post("/api/v1/followups/plans", {"patient_id": world.pat.pk,
                                                   "condition": "E11"},
                       content_type="application/json")
    assert resp.status_code == 201
    assert resp.json()["eligible_online"] is False  # E11 was never diagnosed in person
    outsider = client.post("/api/v1/followups/plans", {"patient_id": world.quinn.pk,
                                                       "condition": "I10"},
                           content_type="application/json")
    assert outsider.status_code == 422  # quinn is centre B's patient, not alice's

    client.force_login(world.pat.user)
    assert client.get("/api/v1/followups/slots").json() == []  # nothing bookable online
    slot_id = Slot.objects.filter(doctor=world.alice).order_by("-start").first().pk
    booked = client.post("/api/v1/followups/appointments",
                         {"slot_id": slot_id, "plan_id": resp.json()["id"]},
                         content_type="application/json")
    assert booked.status_code == 403 and booked.json()["error"] == "not_eligible"
    assert client.post("/api/v1/followups/schedule/templates",
                       {"weekday": 2, "start_time": "08:30", "end_time": "09:30"},
                       content_type="application/json").status_code == 403

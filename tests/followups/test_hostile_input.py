"""Hostile numbers, dates and NUL characters to the follow-up API and pages: 4xx, never 500.

Run with DATABASE_URL=postgres://... too (NUL characters and huge integers fail there
differently than on SQLite).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clinics.followups import booking, visits
from clinics.followups.models import ScheduleException, ScheduleTemplate, Visit
from tests.conftest import Api

HUGE = 99999999999999999999999


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "2000-01-01"])
def test_a_schedule_exception_outside_the_horizon_is_422(world, date):
    response = Api(world.alice).post("/followups/schedule/exceptions",
                                     {"date": date, "kind": "closed"})
    assert response.status_code == 422, response.content
    assert not ScheduleException.objects.exists()


def test_a_schedule_exception_next_week_is_kept_and_the_horizon_is_a_setting(world, settings):
    day = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    api = Api(world.alice)
    assert api.post("/followups/schedule/exceptions",
                    {"date": day, "kind": "closed"}).status_code == 201
    settings.FOLLOWUP_SCHEDULE_HORIZON_DAYS = 3
    assert api.post("/followups/schedule/exceptions",
                    {"date": day, "kind": "closed"}).status_code == 422


@pytest.mark.parametrize("body", [
    {"weekday": HUGE, "start_time": "09:00", "end_time": "10:00"},
    {"weekday": 0, "start_time": "09:00", "end_time": "10:00", "slot_minutes": HUGE},
    {"weekday": 0, "start_time": "09:00", "end_time": "10:00", "slot_minutes": 0},
    {"weekday": 0, "start_time": "09:00", "end_time": "10:00", "clinic_id": HUGE},
    {"weekday": 0, "start_time": "25:00", "end_time": "10:00"},
    {"weekday": 0, "start_time": "09:00\u0000", "end_time": "10:00"},
    {"weekday": True, "start_time": "09:00", "end_time": "10:00"},
])
def test_hostile_schedule_templates_are_refused(world, body):
    response = Api(world.alice).post("/followups/schedule/templates", body)
    assert 400 <= response.status_code < 500, (body, response.status_code)
    assert not ScheduleTemplate.objects.exists()


@pytest.mark.parametrize("body", [
    {"slot_id": HUGE}, {"slot_id": 1, "plan_id": HUGE}, {"slot_id": -HUGE},
    {"slot_id": "1\u0000"}, {"slot_id": 1e308},
])
def test_hostile_bookings_are_refused(world, fu, body):
    response = Api(world.pat).post("/followups/appointments", body)
    assert 400 <= response.status_code < 500, (body, response.status_code)
    assert not Visit.objects.exclude(status="due").filter(slot__isnull=False).exists()


@pytest.mark.parametrize("path", [
    f"/followups/appointments/{HUGE}", f"/followups/appointments/{HUGE}/cancel",
    f"/followups/appointments/{HUGE}/check-in", f"/followups/visits/{HUGE}/complete",
    f"/followups/queue/{HUGE}/urgent", f"/followups/appointments/{HUGE}/reschedule",
])
def test_huge_visit_ids_are_4xx(world, fu, path):
    api = Api(world.pat if "appointments" in path else world.alice)
    response = (api.get(path) if path.endswith(str(HUGE)) else
                api.post(path, {"slot_id": fu.tomorrow.pk, "urgent": True}))
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.fixture
def waiting(world, fu):
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    visit = booking.book_slot(world.pat.user, slot.pk)
    visits.check_in(world.pat.user, visit.pk)
    visits.call_next(world.alice.user)
    return visit


@pytest.mark.parametrize("readings", [
    {"systolic": HUGE}, {"diastolic": -1}, {"heart_rate": 10**6}, {"glucose": "NaN"},
    {"glucose": "Infinity"}, {"weight": "1e400"}, {"glucose": 1e308}, {"note": "a\u0000b"},
    {"note": "x" * 5000},
])
def test_hostile_readings_are_refused_and_the_visit_stays_open(world, waiting, readings):
    response = Api(world.alice).post(f"/followups/visits/{waiting.pk}/complete", readings)
    assert 400 <= response.status_code < 500, (readings, response.status_code)
    assert Visit.objects.get(pk=waiting.pk).status == waiting.__class__.objects.get(
        pk=waiting.pk).status != "completed"


@pytest.mark.parametrize("path", [f"/followups/{HUGE}/cancel/", f"/followups/{HUGE}/check-in/",
                                  f"/followups/desk/{HUGE}/complete/"])
def test_pages_posting_a_huge_visit_id_say_no_such_visit(world, fu, path):
    who = world.alice if "desk" in path else world.pat
    response = Api(who, session=True).client.post(path, {"systolic": "120"}, follow=True)
    assert response.status_code == 200, (path, response.status_code)  # back, with a message
    assert [str(m) for m in response.context["messages"]]


def test_the_booking_page_with_hostile_slot_ids_is_not_a_500(world, fu):
    page = Api(world.pat, session=True).client
    for slot in (str(HUGE), "abc", "-1", "1\u0000", "²"):
        response = page.post("/followups/book/", {"slot_id": slot, "slot": slot})
        assert response.status_code < 500, (slot, response.status_code)


@pytest.mark.parametrize("readings", [
    {"systolic": str(HUGE)}, {"systolic": "5000"}, {"glucose": "NaN"}, {"glucose": "sNaN"},
    {"glucose": "Infinity"}, {"weight": "1e400"}, {"glucose": "-1"}, {"heart_rate": "0"},
    {"glucose": "abc"}, {"systolic": "120", "note": "a\u0000b"},
])
def test_the_desk_page_refuses_hostile_readings(world, waiting, readings):
    page = Api(world.alice, session=True).client
    response = page.post(f"/followups/desk/{waiting.pk}/complete/", readings)
    assert response.status_code in (302, 400, 422), (readings, response.status_code)
    assert Visit.objects.get(pk=waiting.pk).status != "completed"


def test_the_desk_page_keeps_a_reading_with_more_decimals_than_stored(world, waiting):
    page = Api(world.alice, session=True).client
    response = page.post(f"/followups/desk/{waiting.pk}/complete/",
                         {"systolic": "120", "diastolic": "80", "glucose": "5.55"})
    assert response.status_code == 302
    assert Visit.objects.get(pk=waiting.pk).status == "completed"


@pytest.mark.parametrize("extreme", [dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC),
                                     dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC)])
def test_pages_survive_a_slot_stored_at_an_extreme_time(world, fu, extreme):
    """A row written by hand or by an older version must not take the pages down."""
    from clinics.followups.models import Slot

    visit = booking.book_slot(world.pat.user, fu.in_two_days.pk)
    end = extreme + dt.timedelta(minutes=15)
    Slot.objects.filter(pk=fu.in_two_days.pk).update(start=extreme, end=end)
    Slot.objects.filter(pk=fu.tomorrow.pk).update(start=extreme + dt.timedelta(minutes=30),
                                                  end=end + dt.timedelta(minutes=30))
    Visit.objects.filter(pk=visit.pk).update(status="checked_in", checked_in_at=extreme)
    for who, path in ((world.pat, "/followups/"), (world.alice, "/followups/desk/")):
        response = Api(who, session=True).client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert Api(world.pat).get("/followups/appointments").status_code == 200
    assert Api(world.alice).get("/followups/queue").status_code == 200

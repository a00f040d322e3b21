"""The virtual waiting room: check-in window, queue order, call next, and live updates
over the follow-up socket (Channels communicators, real consumer and channel layer)."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from clinics.followups import booking, rules, visits
from clinics.followups.consumers import FollowupsConsumer
from clinics.followups.models import Slot, Visit, VisitStatus
from clinics.models import Diagnosis
from cloudhospital.security.models import AuditEntry


def _second_patient(world):
    Diagnosis.objects.create(patient=world.quinn, icd10="I10", name="HTN",
                             diagnosed_on=dt.date(2024, 1, 1), institution=world.centre_b)
    return booking.create_plan(world.alice.user, world.quinn, "I10", world.alice)


def _book(user, slot):
    return booking.book_slot(user, slot.pk)


def test_check_in_opens_30_minutes_before(world, fu):
    visit = _book(world.pat.user, fu.tomorrow)
    with pytest.raises(visits.TooEarly):
        visits.check_in(world.pat.user, visit.pk)


def test_late_patients_cannot_check_in_and_drop_out(world, fu):
    visit = _book(world.pat.user, fu.tomorrow)
    Slot.objects.filter(pk=fu.tomorrow.pk).update(
        start=timezone.now() - dt.timedelta(minutes=16), end=timezone.now())
    with pytest.raises(visits.TooLate):
        visits.check_in(world.pat.user, visit.pk)
    visits.mark_no_show(visit.pk, fu.tomorrow.pk)
    assert visits.waiting_queue(world.alice) == []
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.NO_SHOW


def test_queue_order_is_urgent_first_then_appointment_then_check_in(world, fu):
    _second_patient(world)
    early = fu.slot(world.alice, dt.timedelta(minutes=12), world.clinic_a)
    late = fu.slot(world.alice, dt.timedelta(minutes=24), world.clinic_a)
    pat_visit = _book(world.pat.user, late)
    quinn_visit = _book(world.quinn.user, early)
    visits.check_in(world.pat.user, pat_visit.pk)      # checked in first, later slot
    visits.check_in(world.quinn.user, quinn_visit.pk)
    assert [v.pk for v in visits.waiting_queue(world.alice)] == [quinn_visit.pk, pat_visit.pk]
    visits.set_urgent(world.alice.user, pat_visit.pk)
    assert [v.pk for v in visits.waiting_queue(world.alice)] == [pat_visit.pk, quinn_visit.pk]
    assert visits.position_of(Visit.objects.get(pk=quinn_visit.pk))["position"] == 2


def test_same_slot_time_is_ordered_by_check_in_time(world, fu):
    _second_patient(world)
    start = timezone.now() + dt.timedelta(minutes=15)
    a = Slot.objects.create(doctor=world.alice, start=start, end=start + dt.timedelta(minutes=15))
    b = Slot.objects.create(doctor=world.dora, start=start, end=start + dt.timedelta(minutes=15),
                            clinic=world.clinic_a)
    quinn_visit = _book(world.quinn.user, a)
    pat_visit = _book(world.pat.user, b)
    Visit.objects.filter(pk=pat_visit.pk).update(doctor=world.alice)
    visits.check_in(world.quinn.user, quinn_visit.pk)
    visits.check_in(world.pat.user, pat_visit.pk)
    assert [v.pk for v in visits.waiting_queue(world.alice)] == [quinn_visit.pk, pat_visit.pk]


def test_alarming_last_readings_flag_the_patient_urgent_at_check_in(world, fu):
    first = _book(world.pat.user, fu.slot(world.alice, dt.timedelta(minutes=15)))
    visits.check_in(world.pat.user, first.pk)
    visits.call_next(world.alice.user)
    visits.complete(world.alice.user, first.pk, rules.Readings(systolic=186, diastolic=112))
    second = booking.book_slot(world.pat.user, fu.slot(world.alice,
                                                       dt.timedelta(minutes=20)).pk)
    assert visits.check_in(world.pat.user, second.pk).urgent


def test_call_next_takes_the_first_and_opens_the_room(world, fu):
    assert visits.call_next(world.alice.user) is None
    visit = _book(world.pat.user, fu.slot(world.alice, dt.timedelta(minutes=15)))
    visits.check_in(world.pat.user, visit.pk)
    called = visits.call_next(world.alice.user)
    assert called.pk == visit.pk and called.status == VisitStatus.IN_CONSULTATION
    assert called.room_url == f"/visits/{visit.pk}/room/"
    with pytest.raises(visits.NotAllowed):
        visits.call_next(world.pat.user)


def test_only_the_visits_doctor_records_and_completes_it(world, fu):
    visit = _book(world.pat.user, fu.slot(world.alice, dt.timedelta(minutes=15)))
    visits.check_in(world.pat.user, visit.pk)
    visits.call_next(world.alice.user)
    readings = rules.Readings(systolic=128, diastolic=80, heart_rate=72, weight=70)
    with pytest.raises(visits.NotFound):
        visits.complete(world.oscar.user, visit.pk, readings)
    with pytest.raises(visits.InvalidInput):
        visits.complete(world.alice.user, visit.pk, rules.Readings(weight=70))
    done = visits.complete(world.alice.user, visit.pk, readings, "stable")
    assert (done.status, done.systolic, done.note) == (VisitStatus.COMPLETED, 128, "stable")


# --- live over the socket ------------------------------------------------------------------

async def _connect(user):
    comm = WebsocketCommunicator(FollowupsConsumer.as_asgi(), "/ws/followups/")
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return comm


async def _take(comm, n: int) -> list[dict]:
    """The next ``n`` events (each may take a moment to cross a Redis channel layer)."""
    return [await comm.receive_json_from(timeout=5) for _ in range(n)]


@pytest.mark.django_db(transaction=True)
async def test_the_waiting_room_updates_live(world, fu):
    now = timezone.now()

    def setup():
        _second_patient(world)
        early = fu.slot(world.alice, dt.timedelta(minutes=12), world.clinic_a)
        late = fu.slot(world.alice, dt.timedelta(minutes=24), world.clinic_a)
        return _book(world.pat.user, late), _book(world.quinn.user, early)

    pat_visit, quinn_visit = await sync_to_async(setup)()
    doctor = await _connect(world.alice.user)
    pat = await _connect(world.pat.user)
    quinn = await _connect(world.quinn.user)
    outsider = await _connect(world.oscar.user)
    assert await doctor.receive_json_from() == {"type": "followups.snapshot",
                                                "doctor_id": world.alice.pk, "queue": []}
    assert await pat.receive_json_from() == {"type": "followups.snapshot", "position": None,
                                             "called": None}
    await quinn.receive_json_from()
    await outsider.receive_json_from()

    await sync_to_async(visits.check_in)(world.pat.user, pat_visit.pk)
    [queue] = await _take(doctor, 1)
    assert [item["visit_id"] for item in queue["queue"]] == [pat_visit.pk]
    assert set(queue["queue"][0]) == {"visit_id", "patient", "condition", "start",
                                      "checked_in_at", "urgent"}
    [position] = await _take(pat, 1)
    assert {k: position[k] for k in ("type", "visit_id", "position")} == {
        "type": "followups.position", "visit_id": pat_visit.pk, "position": 1}
    assert isinstance(position["expected_wait_minutes"], int)

    await sync_to_async(visits.check_in)(world.quinn.user, quinn_visit.pk)
    [queue] = await _take(doctor, 1)
    assert [i["visit_id"] for i in queue["queue"]] == [quinn_visit.pk, pat_visit.pk]
    assert [e["position"] for e in await _take(pat, 1)] == [2]
    assert [e["position"] for e in await _take(quinn, 1)] == [1]

    await sync_to_async(visits.call_next)(world.alice.user, now=now)
    called = {"type": "followups.called", "visit_id": quinn_visit.pk,
              "room_url": f"/visits/{quinn_visit.pk}/room/"}
    assert await _take(quinn, 1) == [called]
    doctor_events = await _take(doctor, 2)
    assert doctor_events[0] == called
    assert [i["visit_id"] for i in doctor_events[1]["queue"]] == [pat_visit.pk]
    assert [e["position"] for e in await _take(pat, 1)] == [1]
    again = await _connect(world.quinn.user)  # a reconnecting patient still sees the call
    assert (await again.receive_json_from())["called"] == {
        "visit_id": quinn_visit.pk, "room_url": f"/visits/{quinn_visit.pk}/room/"}
    await again.disconnect()
    for comm in (doctor, pat, quinn, outsider):  # nothing more, and nothing for oscar
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()
    watched = await sync_to_async(lambda: sorted(AuditEntry.objects.filter(
        action__endswith=".watch").values_list("actor__username", flat=True)))()
    assert watched == ["alice", "oscar", "pat", "quinn", "quinn"]


@pytest.mark.django_db(transaction=True)
async def test_notifications_arrive_live_and_strangers_are_refused(world, fu):
    from clinics.followups import tasks

    visit = await sync_to_async(_book)(world.pat.user, fu.tomorrow)
    pat = await _connect(world.pat.user)
    await pat.receive_json_from()
    await sync_to_async(tasks.send_reminder.call)(visit.pk, "24h", fu.tomorrow.start.isoformat())
    event = await pat.receive_json_from(timeout=3)
    assert set(event) == {"type", "id", "kind", "title", "body", "data", "created_at"}
    assert (event["type"], event["kind"]) == ("followups.notification", "reminder")
    assert await pat.receive_nothing(timeout=2.5)  # the catch-up does not repeat it
    await pat.send_json_to({"type": "ping"})
    assert await pat.receive_json_from() == {"type": "pong"}
    await pat.disconnect()

    anonymous = WebsocketCommunicator(FollowupsConsumer.as_asgi(), "/ws/followups/")
    anonymous.scope["user"] = AnonymousUser()
    await anonymous.connect()
    assert (await anonymous.receive_output())["type"] == "websocket.close"
    await anonymous.disconnect()


def test_the_doctor_flags_a_waiting_patient_urgent_through_the_api(client, world, fu):
    _second_patient(world)
    first = _book(world.quinn.user, fu.slot(world.alice, dt.timedelta(minutes=12)))
    second = _book(world.pat.user, fu.slot(world.alice, dt.timedelta(minutes=24)))
    visits.check_in(world.quinn.user, first.pk)
    visits.check_in(world.pat.user, second.pk)
    client.force_login(world.oscar.user)
    assert client.post(f"/api/v1/followups/queue/{second.pk}/urgent", {"urgent": True},
                       content_type="application/json").status_code == 404
    client.force_login(world.alice.user)
    flagged = client.post(f"/api/v1/followups/queue/{second.pk}/urgent", {"urgent": True},
                          content_type="application/json")
    assert flagged.status_code == 200 and flagged.json()["urgent"] is True
    queue = client.get("/api/v1/followups/queue").json()
    assert [(q["visit_id"], q["urgent"]) for q in queue] == [(second.pk, True),
                                                             (first.pk, False)]
    called = client.post("/api/v1/followups/queue/call-next").json()
    assert called["room_url"] == f"/visits/{second.pk}/room/"


def test_a_slot_knows_whether_it_is_bookable(world, fu):
    assert fu.tomorrow.is_bookable() and not fu.soon.is_bookable()
    _book(world.pat.user, fu.tomorrow)
    assert not fu.tomorrow.is_bookable()


@pytest.mark.django_db(transaction=True)
async def test_notifications_sent_before_the_socket_opened_are_caught_up(world, fu):
    """The page rendered up to notification N; what came after arrives on connect."""
    from clinics.followups import tasks
    from clinics.followups.models import Notification

    visit = await sync_to_async(_book)(world.pat.user, fu.tomorrow)
    await sync_to_async(tasks.send_reminder.call)(visit.pk, "24h", fu.tomorrow.start.isoformat())
    shown = await sync_to_async(lambda: Notification.objects.get().pk)()
    await sync_to_async(tasks.send_reminder.call)(visit.pk, "1h", fu.tomorrow.start.isoformat())
    comm = WebsocketCommunicator(FollowupsConsumer.as_asgi(), f"/ws/followups/?since={shown}")
    comm.scope["user"] = world.pat.user
    assert (await comm.connect())[0]
    assert (await comm.receive_json_from())["type"] == "followups.snapshot"
    missed = await comm.receive_json_from()
    assert missed["kind"] == "reminder" and missed["data"]["reminder"] == "1h"
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()

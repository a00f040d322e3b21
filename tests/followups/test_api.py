"""The follow-up API: slots, booking (201 / 409 slot_taken / 4xx reasons), and refusals."""

from __future__ import annotations

import datetime as dt

from clinics.models import Diagnosis

URL = "/api/v1/followups"


def _as(client, user):
    client.force_login(user)
    return client


def test_slots_list_the_open_slots_the_patient_may_book(client, world, fu):
    body = _as(client, world.pat.user).get(f"{URL}/slots").json()
    assert [s["id"] for s in body] == [fu.tomorrow.pk, fu.in_two_days.pk, fu.in_three_days.pk]
    assert body[0]["doctor"] == {"id": world.alice.pk, "name": "Alice", "title": "Dr"}
    assert {"id", "start", "end", "doctor", "clinic"} <= set(body[0])


def test_booking_answers_201_with_the_appointment(client, world, fu):
    resp = _as(client, world.pat.user).post(f"{URL}/appointments", {"slot_id": fu.tomorrow.pk},
                                            content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["slot_id"] == fu.tomorrow.pk and body["status"] == "booked"
    assert body["condition"] == "I10" and body["doctor"]["id"] == world.alice.pk
    listed = client.get(f"{URL}/appointments").json()
    assert [a["id"] for a in listed] == [body["id"]]


def test_a_taken_slot_answers_409_slot_taken(client, world, fu):
    Diagnosis.objects.create(patient=world.quinn, icd10="I10", name="HTN",
                             diagnosed_on=dt.date(2024, 1, 1), institution=world.centre_b)
    from clinics.followups import booking

    booking.create_plan(world.alice.user, world.quinn, "I10", world.alice)
    booking.book_slot(world.pat.user, fu.tomorrow.pk)
    resp = _as(client, world.quinn.user).post(f"{URL}/appointments",
                                              {"slot_id": fu.tomorrow.pk},
                                              content_type="application/json")
    assert resp.status_code == 409
    assert resp.json()["error"] == "slot_taken" and resp.json()["message"]


def test_an_undiagnosed_patient_gets_not_eligible_with_the_reason(client, world, fu):
    resp = _as(client, world.quinn.user).post(f"{URL}/appointments",
                                              {"slot_id": fu.tomorrow.pk},
                                              content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["error"] == "not_eligible"
    assert "面诊" in resp.json()["message"]


def test_booking_past_the_cutoff_answers_409_past_cutoff(client, world, fu):
    resp = _as(client, world.pat.user).post(f"{URL}/appointments", {"slot_id": fu.soon.pk},
                                            content_type="application/json")
    assert resp.status_code == 409 and resp.json()["error"] == "past_cutoff"


def test_an_unknown_slot_is_404(client, world, fu):
    resp = _as(client, world.pat.user).post(f"{URL}/appointments", {"slot_id": 999999},
                                            content_type="application/json")
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"


def test_reschedule_and_cancel_through_the_api(client, world, fu, settings):
    c = _as(client, world.pat.user)
    booked = c.post(f"{URL}/appointments", {"slot_id": fu.tomorrow.pk},
                    content_type="application/json").json()
    moved = c.post(f"{URL}/appointments/{booked['id']}/reschedule",
                   {"slot_id": fu.in_two_days.pk}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["slot_id"] == fu.in_two_days.pk
    settings.FOLLOWUP_CHANGE_CUTOFF_MINUTES = 3 * 24 * 60
    late = c.post(f"{URL}/appointments/{booked['id']}/cancel")
    assert late.status_code == 409 and late.json()["error"] == "past_cutoff"
    settings.FOLLOWUP_CHANGE_CUTOFF_MINUTES = 60
    assert c.post(f"{URL}/appointments/{booked['id']}/cancel").json()["status"] == "cancelled"


def test_anonymous_callers_are_refused(client, fu):
    assert client.get(f"{URL}/slots").status_code == 401
    assert client.post(f"{URL}/appointments", {"slot_id": fu.tomorrow.pk},
                       content_type="application/json").status_code == 401


def test_the_outsider_doctor_sees_no_appointment_and_no_queue_of_others(client, world, fu):
    from clinics.followups import booking

    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    c = _as(client, world.oscar.user)
    assert c.get(f"{URL}/appointments/{visit.pk}").status_code == 404
    assert c.get(f"{URL}/appointments").json() == []
    assert c.get(f"{URL}/slots").status_code == 403
    assert c.get(f"{URL}/queue").json() == []


def test_reads_are_audited(client, world, fu):
    from cloudhospital.security.models import AuditEntry

    _as(client, world.pat.user).get(f"{URL}/slots")
    entry = AuditEntry.objects.get(action="followup.slot.list")
    assert entry.patient_id == world.pat.pk and entry.actor == world.pat.user

"""The follow-up pages: the patient books and checks in, the doctor calls and records."""

from __future__ import annotations

import datetime as dt

from clinics.followups.models import Visit, VisitStatus


def test_the_patient_page_lists_plans_and_open_slots(client, world, fu):
    client.force_login(world.pat.user)
    page = client.get("/followups/").content.decode()
    assert f'value="{fu.tomorrow.pk}"' in page and "I10" in page
    assert f'value="{fu.oscars.pk}"' not in page
    assert 'href="/followups/"' in client.get("/me/").content.decode()


def test_the_patient_books_and_checks_in_from_the_page(client, world, fu):
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    client.force_login(world.pat.user)
    assert client.post("/followups/book/", {"slot_id": slot.pk}).status_code == 302
    visit = Visit.objects.get(slot=slot)
    client.post(f"/followups/{visit.pk}/check-in/")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED_IN
    page = client.get("/followups/").content.decode()
    assert 'class="position">1<' in page


def test_a_refusal_is_shown_with_its_reason(client, world, fu):
    client.force_login(world.pat.user)
    response = client.post("/followups/book/", {"slot_id": fu.soon.pk}, follow=True)
    assert "即将开始，不能再预约" in response.content.decode()  # "starts too soon"


def test_the_doctor_calls_next_and_completes_the_visit(client, world, fu):
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    client.force_login(world.pat.user)
    client.post("/followups/book/", {"slot_id": slot.pk})
    visit = Visit.objects.get(slot=slot)
    client.post(f"/followups/{visit.pk}/check-in/")
    client.force_login(world.alice.user)
    assert "Pat" in client.get("/followups/desk/").content.decode()
    client.post("/followups/desk/call-next/")
    assert f"/visits/{visit.pk}/room/" in client.get("/followups/desk/").content.decode()
    client.post(f"/followups/desk/{visit.pk}/complete/",
                {"systolic": "150", "diastolic": "95", "heart_rate": "80", "glucose": "6.2",
                 "weight": "71.5", "note": "home BP high"})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED and visit.out_of_target


def test_strangers_are_sent_away(client, world, fu):
    assert client.get("/followups/").status_code == 302
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    client.force_login(world.pat.user)
    client.post("/followups/book/", {"slot_id": slot.pk})
    visit = Visit.objects.get(slot=slot)
    client.post(f"/followups/{visit.pk}/check-in/")
    client.force_login(world.oscar.user)
    assert client.get("/followups/").url == "/followups/desk/"
    page = client.get("/followups/desk/").content.decode()
    assert f'data-visit="{visit.pk}"' not in page and 'class="none"' in page
    client.post("/followups/desk/call-next/")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.CHECKED_IN


def test_pages_speak_chinese_by_default_and_english_on_request(client, world, fu):
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compilemessages_py", verbosity=0)  # what `make test` and `make run` do
    trans_real._translations.clear()  # catalogues loaded before the compile are stale
    client.force_login(world.pat.user)
    assert "我的慢病随访" in client.get("/followups/").content.decode()
    client.cookies["django_language"] = "en"  # what the language switch sets
    english = client.get("/followups/").content.decode()
    assert "My chronic-disease follow-up" in english

    from clinics.followups import booking, tasks  # jobs write in the default language

    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    tasks.send_reminder.call(visit.pk, "24h", fu.tomorrow.start.isoformat())
    assert world.pat.user.followup_notifications.get().title == "随访提醒"


def test_the_patient_moves_and_cancels_from_the_page(client, world, fu):
    client.force_login(world.pat.user)
    client.post("/followups/book/", {"slot_id": fu.tomorrow.pk})
    visit = Visit.objects.get(slot=fu.tomorrow)
    page = client.get("/followups/").content.decode()
    assert f'action="/followups/{visit.pk}/reschedule/"' in page
    client.post(f"/followups/{visit.pk}/reschedule/", {"slot_id": fu.in_three_days.pk})
    visit.refresh_from_db()
    assert visit.slot == fu.in_three_days
    client.post(f"/followups/{visit.pk}/cancel/")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED

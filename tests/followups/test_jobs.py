"""The follow-up jobs on the django-tasks-db queue: reminders, no-shows, the next visit,
out-of-target alerts, the periodic scan, retries with back-off, parking and recovery."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinics.followups import booking, rules, tasks, visits
from clinics.followups.models import Notification, SmsMessage, Visit, VisitStatus
from cloudhospital.core import jobs
from cloudhospital.core.models import ParkedJob, WorkerProcess
from tests.followups.conftest import jobs_of, run_ready_jobs


def test_booking_queues_reminders_24h_and_1h_before_and_the_no_show_check(world, fu):
    visit = booking.book_slot(world.pat.user, fu.in_two_days.pk)
    start = fu.in_two_days.start
    reminders = jobs_of(tasks.send_reminder)
    assert [(r.queue_name, r.args_kwargs["args"][1], r.run_after) for r in reminders] == [
        ("reminders", "24h", start - dt.timedelta(hours=24)),
        ("reminders", "1h", start - dt.timedelta(hours=1))]
    [no_show] = jobs_of(tasks.mark_no_show)
    assert no_show.run_after == start + dt.timedelta(minutes=15)
    assert no_show.args_kwargs["args"] == [visit.pk, fu.in_two_days.pk]


def test_a_reminder_is_delivered_in_app_and_by_sms_once(world, fu, caplog):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    args = (visit.pk, "24h", fu.tomorrow.start.isoformat())
    with caplog.at_level("INFO", logger="clinics.followups.notify"):
        assert tasks.send_reminder.call(*args) == "sent"
    [logged] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("SMS")]
    assert "***0001" in logged and "13900000001" not in logged  # the log masks the phone
    assert tasks.send_reminder.call(*args) == "already sent"
    note = Notification.objects.get(user=world.pat.user, kind="reminder")
    assert note.data == {"visit_id": visit.pk, "reminder": "24h",
                         "start": fu.tomorrow.start.isoformat()}
    sms = SmsMessage.objects.get()
    assert sms.patient == world.pat and sms.phone_last4 == "0001" and "Alice" in sms.body


def test_reminders_of_a_moved_or_cancelled_visit_do_nothing(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    booking.reschedule(world.pat.user, visit.pk, fu.in_two_days.pk)
    assert tasks.send_reminder.call(visit.pk, "24h", fu.tomorrow.start.isoformat()) == "skipped"
    booking.cancel(world.pat.user, visit.pk)
    assert tasks.send_reminder.call(visit.pk, "1h", fu.in_two_days.start.isoformat()
                                    ) == "skipped"
    assert not Notification.objects.filter(kind="reminder").exists()


def test_a_patient_who_did_not_check_in_becomes_a_no_show_and_is_offered_slots(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    assert tasks.mark_no_show.call(visit.pk, fu.tomorrow.pk) == "no_show"
    assert tasks.mark_no_show.call(visit.pk, fu.tomorrow.pk) == "no_show"  # retried: same
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.NO_SHOW
    [offer] = Notification.objects.filter(kind="no_show")
    assert [s["id"] for s in offer.data["slots"]] == [fu.in_two_days.pk, fu.in_three_days.pk]
    assert fu.plan.visits.get(status=VisitStatus.DUE)  # may book again


def test_a_checked_in_patient_is_not_a_no_show(world, fu):
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    visit = booking.book_slot(world.pat.user, slot.pk)
    visits.check_in(world.pat.user, visit.pk)
    assert tasks.mark_no_show.call(visit.pk, slot.pk) == "skipped"
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.CHECKED_IN


def _complete(world, fu, readings):
    slot = fu.slot(world.alice, dt.timedelta(minutes=20), world.clinic_a)
    visit = booking.book_slot(world.pat.user, slot.pk)
    visits.check_in(world.pat.user, visit.pk)
    visits.call_next(world.alice.user)
    return visits.complete(world.alice.user, visit.pk, readings, "note")


def test_out_of_target_readings_bring_the_next_visit_forward_and_alert_the_doctor(world, fu):
    visit = _complete(world, fu, rules.Readings(systolic=152, diastolic=94, heart_rate=80))
    fu.plan.refresh_from_db()
    assert visit.out_of_target and not fu.plan.controlled
    assert fu.plan.next_due_on == timezone.localdate() + dt.timedelta(days=14)
    run_ready_jobs()
    nxt = fu.plan.visits.get(status=VisitStatus.DUE)
    assert nxt.due_on == fu.plan.next_due_on
    alert = Notification.objects.get(user=world.alice.user, kind="out_of_target")
    assert alert.data["reasons"] == ["blood_pressure"] and "152/94" in alert.body


def test_controlled_readings_give_the_stable_interval_and_no_alert(world, fu):
    _complete(world, fu, rules.Readings(systolic=126, diastolic=78))
    fu.plan.refresh_from_db()
    assert fu.plan.controlled
    assert fu.plan.next_due_on == timezone.localdate() + dt.timedelta(days=90)
    run_ready_jobs()
    assert fu.plan.visits.filter(status=VisitStatus.DUE).count() == 1
    assert not Notification.objects.filter(kind="out_of_target").exists()
    assert tasks.create_next_visit.call(fu.plan.visits.get(status="completed").pk
                                        ) is not None  # a retry creates nothing new
    assert fu.plan.visits.filter(status=VisitStatus.DUE).count() == 1


def test_the_periodic_scan_requeues_itself_once_and_makes_due_visits(world, fu):
    tasks.start_periodic_jobs()
    tasks.start_periodic_jobs()
    assert len(jobs_of(tasks.periodic_scan)) == 1
    Visit.objects.filter(plan=fu.plan).delete()
    run_ready_jobs()
    scans = jobs_of(tasks.periodic_scan)
    assert [s.status for s in scans] == ["SUCCESSFUL", "READY"]
    assert scans[1].run_after > scans[0].started_at
    assert scans[0].return_value["due"] == 1
    assert fu.plan.visits.get().status == VisitStatus.DUE
    assert Notification.objects.filter(user=world.pat.user, kind="due").count() == 1


def test_the_scan_publishes_slots_from_weekly_templates(world, fu):
    from clinics.followups.models import ScheduleTemplate, Slot

    ScheduleTemplate.objects.create(doctor=world.oscar, weekday=0, start_time=dt.time(9),
                                    end_time=dt.time(10), slot_minutes=20)
    tasks.scan_once()
    assert Slot.objects.filter(doctor=world.oscar).count() >= 2 * 3 + 1  # 2 Mondays+, 3 each


def test_a_failing_job_is_retried_with_back_off_then_parked(world, fu, settings):
    settings.FOLLOWUP_SMS_BACKEND = "tests.followups.sms_gateways.BrokenGateway"
    settings.FOLLOWUP_JOB_MAX_ATTEMPTS = 3
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    DBTaskResult.objects.exclude(args_kwargs__args__1="24h").delete()
    for _ in range(3):
        run_ready_jobs(ignore_run_after=True)
    rows = jobs_of(tasks.send_reminder)
    assert [r.status for r in rows] == ["FAILED"] * 3
    assert [r.args_kwargs["kwargs"].get("attempt", 1) for r in rows] == [1, 2, 3]
    gaps = [rows[i + 1].run_after - rows[i].finished_at for i in range(2)]
    assert gaps[1] > gaps[0] > dt.timedelta(0)
    parked = ParkedJob.objects.get()
    assert parked.attempts == 3 and "SMS gateway unreachable" in parked.error
    assert parked.args_kwargs["args"][0] == visit.pk
    assert not Notification.objects.exists()  # the failed send rolled back with the row

    settings.FOLLOWUP_SMS_BACKEND = "clinics.followups.notify.LocalSmsBackend"
    jobs.requeue_parked(parked)
    run_ready_jobs(ignore_run_after=True)
    assert Notification.objects.filter(kind="reminder").count() == 1


def _running_row(worker_id: str, started_at=None) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path=tasks.periodic_scan.module_path,
        queue_name="default", backend_name="default", status="RUNNING",
        run_after=timezone.now(), worker_ids=[worker_id],
        started_at=started_at or timezone.now())


def test_recovery_requeues_jobs_of_dead_or_silent_workers_only(world):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    WorkerProcess.objects.create(worker_id="dead", hostname=socket.gethostname(), pid=gone.pid)
    WorkerProcess.objects.create(worker_id="alive", hostname=socket.gethostname(),
                                 pid=os.getpid())
    WorkerProcess.objects.create(worker_id="remote", hostname="elsewhere", pid=1)
    dead = _running_row("dead")
    alive = _running_row("alive")
    remote = _running_row("remote")
    stale = _running_row("remote", timezone.now() - dt.timedelta(hours=2))
    assert sorted(jobs.recover_lost_jobs()) == sorted([str(dead.pk), str(stale.pk)])
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses == {dead.pk: "READY", alive.pk: "RUNNING", remote.pk: "RUNNING",
                        stale.pk: "READY"}


def test_the_commands_start_the_scan_and_recover_lost_jobs(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("followups_start", stdout=out)
    call_command("followups_start", stdout=out)
    assert len(jobs_of(tasks.periodic_scan)) == 1
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    WorkerProcess.objects.create(worker_id="dead", hostname=socket.gethostname(), pid=gone.pid)
    row = _running_row("dead")
    call_command("recover_lost_jobs", stdout=out)
    assert f"recovered {row.pk}" in out.getvalue()
    assert DBTaskResult.objects.get(pk=row.pk).status == "READY"


def test_a_patient_without_an_account_gets_the_sms_once(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    type(world.pat).objects.filter(pk=world.pat.pk).update(user=None)
    args = (visit.pk, "24h", fu.tomorrow.start.isoformat())
    assert tasks.send_reminder.call(*args) == "sent"
    assert tasks.send_reminder.call(*args) == "already sent"
    assert SmsMessage.objects.count() == 1
    assert Notification.objects.get().user is None

"""5. Booking and the reminder queue, on PostgreSQL.

- Bookings: patients book follow-up slots through ``POST /api/v1/followups/appointments``
  from concurrent clients, two patients racing for every slot; successful bookings/s,
  and the double-bookings counted afterwards in the database (must be 0). Reference: the
  same races as bare SQL (one ``INSERT ... ON CONFLICT DO NOTHING`` per attempt on a
  unique slot column, psycopg, same concurrency) — the database's own ceiling.
- Reminders: due ``send_reminder`` jobs drained by 1 and by 2 ``manage.py db_worker``
  processes (django-tasks-db), jobs/s from the database's own start/finish stamps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from load_tests.common import (
    ROOT,
    Http,
    NotAvailable,
    Profile,
    Section,
    close_shell,
    ratio,
    shell,
    stop,
)

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"

SETUP = """
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from clinics.followups import booking
from clinics.followups.models import Slot
from clinics.idcard import make_national_id
from clinics.models import Diagnosis, Patient, Staff
from cloudhospital.security.crypto import lookup_hash
from cloudhospital.security.tokens import create_api_token
doc = Staff.objects.get(user__username='clinic_doctor')
User = get_user_model()
# odd seconds, so no slot of the demo schedule (whole minutes) is at the same start
first = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=17, microsecond=0)
slots, tokens = [], []
with transaction.atomic():
    for i in range(SLOTS):
        start = first + dt.timedelta(minutes=15 * i)
        slots.append(Slot.objects.create(doctor=doc, start=start,
                                         end=start + dt.timedelta(minutes=15)).pk)
for i in range(PATIENTS):
    with transaction.atomic():
        user = User.objects.create_user('bench_p%d' % i, password=None)
        number = make_national_id('210102', dt.date(1950, 1, 1) + dt.timedelta(days=i // 900),
                                  100 + i % 900)
        patient = Patient.objects.create(
            user=user, home_institution=doc.institution, name='P%d' % i, sex='M',
            date_of_birth=dt.date(1950, 1, 1), national_id=number,
            national_id_hash=lookup_hash(number))
        Diagnosis.objects.create(patient=patient, icd10='I10', name='Hypertension',
                                 diagnosed_on=dt.date(2022, 5, 1),
                                 institution=doc.institution, in_person=True)
        booking.create_plan(doc.user, patient, 'I10', doc)
        tokens.append(create_api_token(user)[1])
print('BENCH' + json.dumps({'slots': slots, 'tokens': tokens}))
"""

DOUBLE_BOOKED = """
from django.db.models import Count
from clinics.followups.models import HOLDING_STATUSES, Visit
live = Visit.objects.filter(slot__isnull=False, status__in=HOLDING_STATUSES)
print('BENCH', live.count(), live.values('slot').annotate(n=Count('id')).filter(n__gt=1).count())
"""

ENQUEUE = """
from django.db import transaction
from clinics.followups.models import Visit, VisitStatus
from clinics.followups.tasks import send_reminder
visits = list(Visit.objects.filter(status=VisitStatus.BOOKED).select_related('slot'))
assert visits, 'no booked visit to remind'
with transaction.atomic():
    for i in range(COUNT):
        v = visits[i % len(visits)]
        send_reminder.enqueue(v.pk, 'TAG%d' % (i // len(visits)), v.slot.start.isoformat())
print('BENCH', COUNT)
"""

DRAINED = """
from django.db.models import Max, Min
from django_tasks_db.models import DBTaskResult
done = DBTaskResult.objects.filter(task_path__endswith='send_reminder',
                                   args_kwargs__args__1__startswith='TAG')
agg = done.filter(status='SUCCESSFUL').aggregate(a=Min('started_at'), b=Max('finished_at'))
left = done.exclude(status='SUCCESSFUL').count()
n = done.filter(status='SUCCESSFUL').count()
print('BENCH', n, left, (agg['b'] - agg['a']).total_seconds() if n else 0)
# jobs a time limit left behind must not be drained by the next measurement
done.exclude(status__in=['SUCCESSFUL', 'FAILED', 'RUNNING']).delete()
"""


def bench_line(out: str) -> str:
    for line in out.splitlines():
        if line.startswith("BENCH"):
            return line[5:].strip()
    raise NotAvailable(f"setup printed no result: {out[-300:]}")


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    url = url if url.startswith("postgres") else PG_DEFAULT
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5):
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        raise NotAvailable(f"PostgreSQL is not reachable at {url}: {exc}") from exc
    return url


@contextmanager
def pg_platform(tmp: Path):
    """Migrated, seeded platform on a fresh PostgreSQL database, with only daphne running
    (the task workers are started by the benchmark itself)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
    from load_tests.signaling import start_daphne
    from tests.conftest import LivePlatform

    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = postgres_url()
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        platform = LivePlatform(tmp, tag="book")
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = saved
    web = None
    try:
        platform.manage("migrate", "--noinput")
        platform.manage("seed_demo")
        web, platform.port = start_daphne(platform.env)
        yield platform
    except subprocess.CalledProcessError as exc:
        raise NotAvailable(f"platform set-up failed: {exc.stderr[-300:]}") from exc
    finally:
        close_shell(platform)
        stop(web)
        platform._drop()


def race(count: int, clients: int, attempt) -> tuple[float, dict]:
    """``count`` attempts from ``clients`` threads; attempt(i, state) -> outcome label."""
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def worker(index: int):
        state: dict = {}
        start.wait()
        for i in range(index, count, clients):
            label = attempt(i, state)
            with lock:
                outcomes[label] = outcomes.get(label, 0) + 1
        state.get("close", lambda: None)()

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    return time.perf_counter() - began, outcomes


def book_via_api(platform, data: dict, clients: int) -> tuple[float, dict]:
    tokens, slots = data["tokens"], data["slots"]

    def attempt(i: int, state: dict) -> str:
        if "http" not in state:
            state["http"] = Http(platform.port)
            state["close"] = state["http"].close
        status, body = state["http"].json(
            "POST", "/api/v1/followups/appointments", {"slot_id": slots[i // 2]},
            {"Authorization": f"Bearer {tokens[i]}"})
        return str(status) + ("" if status < 400 else f" {body.get('error', '')}"
                              if isinstance(body, dict) else "")

    return race(len(tokens), clients, attempt)


def book_in_sql(url: str, count: int, clients: int) -> tuple[float, dict]:
    """The reference: the same race straight into PostgreSQL (a fresh database)."""
    import secrets

    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    name = f"ch_bench_sql_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = url.rsplit("/", 1)[0] + "/" + name
    try:
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("CREATE TABLE booking (id bigserial PRIMARY KEY, slot int UNIQUE, "
                         "patient int UNIQUE, booked_at timestamptz DEFAULT now())")

        def attempt(i: int, state: dict) -> str:
            if "conn" not in state:
                state["conn"] = psycopg.connect(target, autocommit=True)
                state["close"] = state["conn"].close
            row = state["conn"].execute(
                "INSERT INTO booking (slot, patient) VALUES (%s, %s) ON CONFLICT DO NOTHING "
                "RETURNING id", (i // 2, i)).fetchone()
            return "201" if row else "409 slot_taken"

        return race(count, clients, attempt)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drain(platform, workers: int, count: int, tag: str, limit: float) -> dict:
    shell(platform, ENQUEUE.replace("COUNT", str(count)).replace("TAG", tag))
    argv = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "reminders",
            "--batch", "--no-startup-delay", "--interval", "0.1", "--no-reload"]
    began = time.perf_counter()
    procs = [subprocess.Popen(argv, env=platform.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        for proc in procs:
            proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        pass
    finally:
        for proc in procs:
            stop(proc)
    wall = time.perf_counter() - began
    n, left, span = bench_line(shell(platform, DRAINED.replace("TAG", tag))).split()
    n, left, span = int(n), int(left), float(span)
    return {"workers": workers, "jobs": n, "left": left, "span": span, "wall": wall,
            "rate": n / span if span else 0.0}


def measure(profile: Profile, tmp: Path) -> Section:
    section = Section("booking", "5. Booking and reminder queue")
    url = postgres_url()
    with pg_platform(tmp / "platform") as platform:
        status, _ = Http(platform.port).json("GET", "/api/v1/followups/slots")
        if status == 404:
            raise NotAvailable("no follow-up booking API (/api/v1/followups/) yet")
        patients = profile.bookings
        data = json.loads(bench_line(shell(platform, SETUP.replace(
            "SLOTS", str(patients // 2)).replace("PATIENTS", str(patients)))))
        seconds, outcomes = book_via_api(platform, data, profile.booking_clients)
        live, doubled = map(int, bench_line(shell(platform, DOUBLE_BOOKED)).split())
        ok = outcomes.get("201", 0)
        ref_seconds, ref_outcomes = book_in_sql(url, patients, profile.booking_clients)
        ref_ok = ref_outcomes.get("201", 0)
        section.table(
            f"{patients} booking attempts on {patients // 2} slots (2 patients per slot), "
            f"{profile.booking_clients} concurrent clients, PostgreSQL",
            ["", "time", "attempts/s", "bookings/s", "outcomes", "double-bookings"],
            [["CloudHospital API", f"{seconds:.2f} s", f"{patients / seconds:.1f}",
              f"{ok / seconds:.1f}", json.dumps(outcomes, ensure_ascii=False),
              f"**{doubled}** (live visits: {live})"],
             ["reference: bare SQL INSERT … ON CONFLICT", f"{ref_seconds:.2f} s",
              f"{patients / ref_seconds:.1f}", f"{ref_ok / ref_seconds:.1f}",
              json.dumps(ref_outcomes), "0 (unique index)"],
             ["**ratio**", "", ratio(patients / seconds, patients / ref_seconds), "", "", ""]])
        section.summary.append(f"Bookings: {ok / seconds:.1f}/s through the API, "
                               f"{ratio(ok / seconds, ref_ok / ref_seconds)} than bare SQL; "
                               f"double-bookings counted: {doubled}")
        if ok == 0:
            raise NotAvailable(f"no booking succeeded: {outcomes}")
        rows, rates = [], {}
        for workers in (1, 2):
            r = drain(platform, workers, profile.reminders, f"w{workers}-",
                      profile.time_limit * 1.5)
            rates[workers] = r["rate"]
            rows.append([workers, r["jobs"], r["left"], f"{r['span']:.2f} s",
                         f"{r['rate']:.1f}", f"{r['wall']:.2f} s"])
        rows.append(["**2 workers / 1 worker**", "", "", "", ratio(rates[2], rates[1]), ""])
        section.table(f"{profile.reminders:,} due reminders (send_reminder: in-app + SMS "
                      "notification with a dedupe key), `db_worker --batch`",
                      ["workers", "jobs done", "not done", "first start → last finish",
                       "jobs/s", "wall (incl. start-up)"], rows)
        section.notes.append(f"Each drain is bounded at {profile.time_limit * 1.5:.0f} s; jobs "
                             "not done by then are counted, then removed before the next "
                             "drain.")
        section.summary.append(f"Reminder queue: {rates[1]:.0f} jobs/s with 1 worker, "
                               f"{rates[2]:.0f} with 2 ({ratio(rates[2], rates[1])} scaling)")
    section.notes.append("The SMS backend is the local one (no outside gateway). The API "
                         "runs in one daphne process; the reference has no HTTP, no auth, "
                         "no audit and no reminder scheduling, so it bounds what any "
                         "booking service on this database could do.")
    return section

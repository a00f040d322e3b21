"""What django-tasks-db does not do for us: retries with back-off, parking a job that
keeps failing, periodic jobs, and recovering jobs whose worker died.

django-tasks-db (0.13) runs each job once: an exception marks the row FAILED, and a
worker killed mid-job leaves the row RUNNING forever (there is no heartbeat). So:

- ``@job`` wraps ``django.tasks.task``: on an exception it enqueues the same call again
  with ``run_after`` backed off (:func:`retry_delay`) and an ``attempt`` counter, and after
  FOLLOWUP_JOB_MAX_ATTEMPTS records a ``ParkedJob`` for an admin. The failed row keeps its
  traceback, as the history of attempts.
- ``recover_lost_jobs`` puts RUNNING rows back to READY when their worker is gone: a
  worker on this host whose process no longer exists (known from ``WorkerProcess``,
  written when a task starts), or any row running longer than FOLLOWUP_JOB_LEASE_SECONDS.
  It runs inside the periodic scan and as ``manage.py recover_lost_jobs``.
- Periodic jobs re-enqueue themselves with ``run_after`` (``ensure_scheduled``); there is
  no polling loop of ours, only db_worker's own.

Every job is therefore at-least-once, and must be idempotent in effect (see notify.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.tasks.signals import task_started
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from cloudhospital.core.models import ParkedJob, WorkerProcess

log = logging.getLogger(__name__)
READY, RUNNING = "READY", "RUNNING"


def retry_delay(attempt: int) -> dt.timedelta:
    """Back-off before retry ``attempt + 1``: base, 2x, 4x, ... capped at one hour."""
    seconds = settings.FOLLOWUP_JOB_BACKOFF_SECONDS * (2 ** max(attempt - 1, 0))
    return dt.timedelta(seconds=min(seconds, 3600))


def job(*, queue_name: str = "default", priority: int = 0) -> Callable[[Callable[..., Any]], Any]:
    """``@task`` with retries, back-off and parking. The wrapped function must be
    idempotent; it is called with the enqueued args (``attempt`` is ours)."""

    def decorate(func):
        @functools.wraps(func)
        def run(*args, attempt: int = 1, **kwargs):
            try:
                with translation.override(settings.LANGUAGE_CODE):  # messages for people
                    return func(*args, **kwargs)
            except Exception as exc:
                _after_failure(the_task, args, kwargs, attempt, exc)
                raise

        the_task = task(queue_name=queue_name, priority=priority)(run)
        return the_task

    return decorate


def _after_failure(the_task, args, kwargs, attempt: int, exc: Exception) -> None:
    if attempt < settings.FOLLOWUP_JOB_MAX_ATTEMPTS:
        delay = retry_delay(attempt)
        log.warning("job %s failed (attempt %s): %s; retrying in %s", the_task.name,
                    attempt, exc, delay)
        the_task.using(run_after=timezone.now() + delay).enqueue(
            *args, attempt=attempt + 1, **kwargs)
        return
    log.error("job %s failed %s times; parked for an admin: %s", the_task.name, attempt, exc)
    ParkedJob.objects.create(
        task_path=the_task.module_path, attempts=attempt,
        args_kwargs={"args": list(args), "kwargs": kwargs},
        error=f"{type(exc).__name__}: {exc}"[:2000],
        traceback="".join(traceback.format_exception(exc))[-20000:])


def requeue_parked(parked: ParkedJob) -> None:
    """Give a parked job a fresh set of attempts (the admin action)."""
    the_task = import_string(parked.task_path)
    with transaction.atomic():
        the_task.enqueue(*parked.args_kwargs["args"], **parked.args_kwargs["kwargs"])
        ParkedJob.objects.filter(pk=parked.pk).update(resolved_at=timezone.now())


def ensure_scheduled(the_task, after: dt.timedelta) -> None:
    """Keep exactly one pending run of a periodic job: enqueue one ``after`` from now
    unless one is already waiting; extra waiting copies are removed."""
    pending = DBTaskResult.objects.filter(task_path=the_task.module_path, status=READY)
    if not pending.exists():
        the_task.using(run_after=timezone.now() + after).enqueue()
        return
    extra = list(pending.order_by("run_after", "enqueued_at").values_list("pk", flat=True)[1:])
    if extra:
        DBTaskResult.objects.filter(pk__in=extra, status=READY).delete()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child nobody has reaped yet is a zombie: gone for our purposes
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def recover_lost_jobs(now: dt.datetime | None = None) -> list[str]:
    """Put RUNNING rows whose worker is gone back to READY; returns their ids."""
    now = now or timezone.now()
    host = socket.gethostname()
    lease = dt.timedelta(seconds=settings.FOLLOWUP_JOB_LEASE_SECONDS)
    recovered = []
    for row in DBTaskResult.objects.filter(status=RUNNING):
        worker_id = row.worker_ids[-1] if row.worker_ids else None
        process = WorkerProcess.objects.filter(worker_id=worker_id).first()
        dead = process is not None and process.hostname == host and not _pid_alive(process.pid)
        expired = row.started_at is not None and row.started_at < now - lease
        if not (dead or expired):
            continue
        if DBTaskResult.objects.filter(pk=row.pk, status=RUNNING,
                                       started_at=row.started_at).update(
                status=READY, run_after=now):
            log.warning("recovered job %s (%s) from lost worker %s", row.pk, row.task_path,
                        worker_id)
            recovered.append(str(row.pk))
    return recovered


def _remember_worker(sender, task_result, **kwargs) -> None:
    """Runs in the worker process as a task starts: which pid is this worker id."""
    if not task_result.worker_ids:
        return
    WorkerProcess.objects.update_or_create(
        worker_id=task_result.worker_ids[-1],
        defaults={"hostname": socket.gethostname(), "pid": os.getpid()})


def connect_signals() -> None:
    task_started.connect(_remember_worker, dispatch_uid="core.remember_worker")

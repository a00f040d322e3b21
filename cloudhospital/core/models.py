"""Platform rows: jobs parked after all retries, and which process each task worker is."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParkedJob(models.Model):
    """A job that kept failing after all retries, kept with its error for an admin."""

    task_path = models.CharField(max_length=200)
    args_kwargs = models.JSONField()
    attempts = models.PositiveSmallIntegerField()
    error = models.TextField()
    traceback = models.TextField(blank=True)
    parked_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("parked job")
        verbose_name_plural = _("parked jobs")
        ordering = ["-parked_at"]

    def __str__(self) -> str:
        return f"{self.task_path}: {self.error[:60]}"


class WorkerProcess(models.Model):
    """Which host and process a django-tasks-db worker id runs as (to spot dead workers)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("task worker")
        verbose_name_plural = _("task workers")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"

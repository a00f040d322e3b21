"""Consultation records are never hard-deleted inside the retention period."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinics.consultations.models import Consultation, RetentionError


def test_a_consultation_cannot_be_deleted(consultation_at):
    consultation = consultation_at("completed")
    with pytest.raises(RetentionError):
        consultation.delete()
    with pytest.raises(RetentionError):
        Consultation.objects.all().delete()


def test_purge_refuses_a_cutoff_inside_retention(consultation_at):
    consultation_at("completed")
    with pytest.raises(CommandError, match="15 years"):
        call_command("purge_consultations", "--closed-before", timezone.now().date().isoformat())
    assert Consultation.objects.count() == 1


def test_purge_removes_only_closed_records_older_than_retention(consultation_at, capsys):
    old = consultation_at("completed")
    still_open = consultation_at("requested")
    Consultation.objects.filter(pk__in=[old.pk, still_open.pk]).update(
        closed_at=timezone.now() - dt.timedelta(days=365 * 16))
    cutoff = (timezone.now() - dt.timedelta(days=365 * 15 + 10)).date().isoformat()
    call_command("purge_consultations", "--closed-before", cutoff)
    assert "purged 1" in capsys.readouterr().out
    assert list(Consultation.objects.values_list("pk", flat=True)) == [still_open.pk]


def test_purge_rejects_a_malformed_date(db):
    with pytest.raises(CommandError):
        call_command("purge_consultations", "--closed-before", "last year")

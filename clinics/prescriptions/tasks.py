"""Prescription jobs: tell the patient a prescription was approved, and remind him a few
days before its supply runs out. Both only notify; no job ever drafts, signs or renews a
prescription (互联网诊疗监管细则（试行）2022: no automatically generated prescriptions).

Jobs are at-least-once (cloudhospital.core.jobs); the effect happens once through
notify.notify's dedupe key, in the same transaction as the in-app row and the SMS.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import cast

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.followups import notify
from clinics.prescriptions.models import VALID_STATUSES, Prescription, RenewalStatus
from cloudhospital.core.jobs import job


def refill_reminder_at(rx: Prescription) -> dt.datetime:
    """09:00 local time PRESCRIPTION_REFILL_REMINDER_DAYS before the supply's last day."""
    day = cast(dt.date, rx.supply_end) - dt.timedelta(
        days=settings.PRESCRIPTION_REFILL_REMINDER_DAYS)
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def schedule_refill_reminder(rx: Prescription) -> None:
    """Queue the reminder for the current supply (inside the approving or dispensing
    transaction). A reminder queued for an earlier supply finds it changed and skips."""
    when = max(refill_reminder_at(rx), timezone.now())
    send_refill_reminder.using(run_after=when).enqueue(str(rx.pk),
                                                       cast(dt.date, rx.supply_end).isoformat())


@job(queue_name="reminders")  # type: ignore[untyped-decorator]  # core.jobs.job is untyped
def send_refill_reminder(prescription_id: str, supply_end: str) -> str:
    """Remind the patient (in-app and SMS) to ask for a renewal before the supply runs
    out; once per prescription and supply end, however often the job runs."""
    rx = Prescription.objects.select_related("patient__user", "doctor").filter(
        pk=prescription_id).first()
    if (rx is None or rx.status not in VALID_STATUSES or rx.supply_end is None
            or rx.supply_end.isoformat() != supply_end):
        return "skipped"
    asked = rx.renewal_requests.exclude(status=RenewalStatus.DECLINED).exists()
    if asked or rx.is_superseded():
        return "renewed"
    sent = notify.notify(
        rx.patient.user, kind="refill_reminder", patient=rx.patient, sms=True,
        dedupe_key=f"rx-refill:{rx.pk}:{supply_end}",
        title=_("Your medicines run out soon"),
        body=_("Your prescription from Dr %(doctor)s lasts until %(date)s. Request a renewal "
               "online or book a follow-up.") % {"doctor": rx.doctor.real_name,
                                                  "date": supply_end},
        data={"prescription_id": str(rx.pk), "supply_end": supply_end})
    return "sent" if sent else "already sent"


@job()  # type: ignore[untyped-decorator]  # core.jobs.job is untyped
def notify_approved(prescription_id: str) -> str:
    """Tell the patient (in-app and SMS) that the pharmacist approved a prescription."""
    rx = Prescription.objects.select_related("patient__user", "institution").filter(
        pk=prescription_id).first()
    if rx is None or rx.status not in VALID_STATUSES:
        return "skipped"
    sent = notify.notify(
        rx.patient.user, kind="prescription_approved", patient=rx.patient, sms=True,
        dedupe_key=f"rx-approved:{rx.pk}",
        title=_("Your prescription is ready"),
        body=_("The pharmacist of %(institution)s approved your prescription; collect the "
               "medicines at the centre's pharmacy.") % {"institution": rx.institution.name},
        data={"prescription_id": str(rx.pk)})
    return "sent" if sent else "already sent"

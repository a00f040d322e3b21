"""What consultation actions announce inside their transaction, for the job layer to act on.

actions sends these; notifications.py connects the receivers that enqueue the people's
notifications (in the same transaction, so a job exists exactly when the change does)."""

from django.dispatch import Signal

# kwargs: consultation (just moved; status and scheduled_at are the new ones)
consultation_moved = Signal()
# kwargs: report (just signed)
report_signed = Signal()

"""What follow-up actions announce inside their transaction, for the job layer to act on.

booking and visits send these; tasks.py connects receivers that enqueue the reminders,
the no-show check and the next visit (in the same transaction, so the jobs exist exactly
when the change does). The actions thereby need not import the tasks that import them.
"""

from django.dispatch import Signal

# kwargs: visit (booked or moved to a new slot, slot loaded), now
visit_booked = Signal()
# kwargs: visit (completed), out_of_target (bool)
visit_completed = Signal()

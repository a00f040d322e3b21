"""``python tests/referrals/crashing_worker.py db_worker ...``: a real db_worker in which
the escalation's notify call hangs (so the test can SIGKILL the worker) before the job's
transaction commits, or just after, as chosen by REFERRAL_TEST_HANG_WHEN.

The hang is injected at the one place the job delivers, like the hanging SMS gateway of
tests/followups; the notification itself is delivered for real first.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line
    from django.db import transaction

    from clinics.referrals import tasks

    real_notify = tasks.notify.notify

    def hang():
        Path(os.environ["REFERRAL_TEST_HANG_MARKER"]).write_text(str(os.getpid()))
        time.sleep(600)

    def notify_then_hang(*args, **kwargs):
        result = real_notify(*args, **kwargs)
        if os.environ.get("REFERRAL_TEST_HANG_WHEN") == "after_commit":
            transaction.on_commit(hang)
        else:
            hang()
        return result

    class HangingNotify:
        notify = staticmethod(notify_then_hang)

    tasks.notify = HangingNotify
    execute_from_command_line([sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    main()

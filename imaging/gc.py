"""Clean up what a crash can leave in the blob store: temporary files of interrupted
writes, and blobs whose index transaction never committed.

Only files older than a grace period are touched, so a blob written a moment ago whose
index rows are about to commit is never taken for an orphan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from imaging import store
from imaging.models import Instance, QuarantinedItem


@dataclass
class Collected:
    temporary: int = 0
    orphans: int = 0


def collect(older_than_seconds: float = 3600, dry_run: bool = False) -> Collected:
    cutoff = time.time() - older_than_seconds
    result = Collected()
    referenced = {"instances": set(Instance.objects.values_list("blob_key", flat=True)),
                  "quarantine": set(QuarantinedItem.objects.values_list("blob_key",
                                                                         flat=True))}
    for namespace in store.NAMESPACES:
        base = store.root() / namespace
        if not base.exists():
            continue
        for path in base.glob("*/*/*"):
            if path.stat().st_mtime > cutoff:
                continue
            if path.name.startswith(".tmp-"):
                result.temporary += 1
            elif path.name not in referenced[namespace]:
                result.orphans += 1
            else:
                continue
            if not dry_run:
                path.unlink(missing_ok=True)
    return result

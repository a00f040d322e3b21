"""imaging_gc removes crash leftovers older than the grace period, nothing else."""

from __future__ import annotations

import os
import time

import pytest
from django.core.management import call_command

from imaging import store
from imaging.ingest import ingest_instance
from imaging.models import Instance
from tests.imaging.dicomfiles import encode, synthetic

pytestmark = pytest.mark.django_db


def age(path, hours):
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


def test_gc_removes_old_orphans_and_temp_files_only(world, capsys):
    indexed = ingest_instance(encode(synthetic()), institution=world.centre_a,
                              source="upload").instance
    old_orphan = store.put(encode(synthetic()))  # as if the process died before commit
    new_orphan = store.put(encode(synthetic()))  # maybe about to be indexed right now
    temp = store.raw_path(old_orphan).parent / ".tmp-interrupted"
    temp.write_bytes(b"partial")
    for path in (store.raw_path(indexed.blob_key), store.raw_path(old_orphan), temp):
        age(path, 2)
    call_command("imaging_gc", "--dry-run")
    assert "would remove 1 temporary file(s) and 1 unindexed blob(s)" in capsys.readouterr().out
    assert store.exists(old_orphan)
    call_command("imaging_gc")
    assert not store.exists(old_orphan) and not temp.exists()
    assert store.exists(new_orphan)
    assert store.get(Instance.objects.get().blob_key)

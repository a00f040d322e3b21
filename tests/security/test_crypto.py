"""Encryption at rest: round trip, tamper detection, key rotation, keyed look-ups."""

import base64
import os

import pytest
from django.core.management import call_command
from django.db import connection

from cloudhospital.security import crypto


def _key():
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def two_keys(settings):
    old, new = _key(), _key()
    settings.ENCRYPTION_KEYS = f"old:{old}"
    settings.ENCRYPTION_ACTIVE_KEY = "old"
    settings.LOOKUP_HASH_KEY = "lookup-secret"
    return old, new


def test_round_trip_returns_the_plaintext_and_names_the_key(two_keys):
    envelope = crypto.encrypt("居民身份证".encode())
    assert crypto.decrypt(envelope).decode() == "居民身份证"
    assert crypto.envelope_key_id(envelope) == "old"
    assert "居民".encode() not in envelope


def test_a_tampered_envelope_is_refused(two_keys):
    envelope = bytearray(crypto.encrypt(b"13900000001"))
    envelope[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bytes(envelope))


def test_an_unknown_key_or_garbage_is_refused(two_keys, settings):
    envelope = crypto.encrypt(b"x")
    settings.ENCRYPTION_KEYS = f"other:{_key()}"
    settings.ENCRYPTION_ACTIVE_KEY = "other"
    with pytest.raises(crypto.DecryptionError, match="not configured"):
        crypto.decrypt(envelope)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(b"plain bytes")


def test_lookup_hash_is_keyed_and_normalised(two_keys, settings):
    first = crypto.lookup_hash("11010519491231002x")
    assert first == crypto.lookup_hash(" 11010519491231002X ")
    settings.LOOKUP_HASH_KEY = "another-secret"
    assert crypto.lookup_hash("11010519491231002X") != first


def _raw_national_id(patient):
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM clinics_patient WHERE id = %s", [patient.pk])
        return cursor.fetchone()[0]


def test_patient_identifiers_are_encrypted_in_the_database(world):
    raw = _raw_national_id(world.pat)
    assert world.pat.national_id not in raw
    assert crypto.decrypt_text(raw) == world.pat.national_id


def test_rotate_keys_reencrypts_everything_under_the_new_key(world, settings, capsys):
    from clinics.models import Patient

    ring = crypto.keyring()
    old_id = ring.active_id
    specs = [f"{k}:{base64.b64encode(v).decode()}" for k, v in ring.keys.items()]
    settings.LOOKUP_HASH_KEY = ring.lookup_key.decode()
    settings.ENCRYPTION_KEYS = ",".join([*specs, f"new:{_key()}"])
    settings.ENCRYPTION_ACTIVE_KEY = "new"
    assert crypto.envelope_key_id(base64.b64decode(_raw_national_id(world.pat))) == old_id

    call_command("rotate_keys")
    assert "re-encrypted" in capsys.readouterr().out

    assert crypto.envelope_key_id(base64.b64decode(_raw_national_id(world.pat))) == "new"
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[-1]  # old key retired
    assert Patient.objects.get(pk=world.pat.pk).national_id == world.pat.national_id
    assert Patient.objects.get(pk=world.pat.pk).phone == "13900000001"


def test_processes_starting_together_agree_on_the_development_keys(tmp_path):
    """daphne, the worker and the listener start at once; they must not pick different keys."""
    import subprocess
    import sys

    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='cloudhospital.settings';"
            "django.setup(); from cloudhospital.security import crypto;"
            "print(crypto.keyring().keys['k1'].hex())")
    env = {**os.environ, "DATA_DIR": str(tmp_path), "ENCRYPTION_KEYS": "",
           "ENCRYPTION_ACTIVE_KEY": "", "LOOKUP_HASH_KEY": ""}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(4)]
    keys = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert not list(tmp_path.glob(".secrets.*"))

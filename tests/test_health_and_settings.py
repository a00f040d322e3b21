"""Health reporting and production-mode refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_and_channel_layer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_channel_layer_is_down(client):
    from channels.layers import channel_layers

    down = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    with override_settings(CHANNEL_LAYERS=down):
        channel_layers.backends.clear()
        try:
            response = client.get("/healthz")
        finally:
            channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["channel_layer"].startswith("error")
    assert response.json()["database"] == "ok"


def _import_settings(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "DEBUG", "ENCRYPTION_KEYS", "ENCRYPTION_ACTIVE_KEY",
                          "LOOKUP_HASH_KEY", "PRODUCTION"}}
    return subprocess.run([sys.executable, "-c", "import cloudhospital.settings"],
                          env={**clean, **env}, cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_production_refuses_default_secret_debug_and_missing_keys():
    result = _import_settings(PRODUCTION="true", DEBUG="true")
    assert result.returncode != 0
    for problem in ("SECRET_KEY", "DEBUG is on", "ENCRYPTION_KEYS", "LOOKUP_HASH_KEY"):
        assert problem in result.stderr


def test_production_starts_with_proper_settings():
    key = "k1:" + __import__("base64").b64encode(os.urandom(32)).decode()
    result = _import_settings(PRODUCTION="true", SECRET_KEY="x" * 50, ENCRYPTION_KEYS=key,
                              ENCRYPTION_ACTIVE_KEY="k1", LOOKUP_HASH_KEY="y" * 32)
    assert result.returncode == 0, result.stderr


def test_bad_environment_values_are_refused_clearly():
    result = _import_settings(DEBUG="maybe")
    assert "DEBUG must be a boolean" in result.stderr
    result = _import_settings(DATABASE_URL="mysql://x/y")
    assert "not supported" in result.stderr


def test_the_suite_uses_the_services_ci_asks_for(settings):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if os.environ.get("REDIS_URL"):
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
async def test_an_idle_redis_channel_outlives_the_clients_default_read_timeout():
    """redis-py gives up on reads after 5 s by default; an idle peer must not die of it.

    The one behavioural test of that regression (a socket idle in a room waits on exactly
    this receive); it has to stay idle past the timeout to prove anything."""
    import asyncio

    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    waiter = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(6.5)
    assert not waiter.done() or waiter.exception() is None
    await layer.send(channel, {"type": "still.here"})
    assert (await asyncio.wait_for(waiter, 10))["type"] == "still.here"
    await layer.flush()

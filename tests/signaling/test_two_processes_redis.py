"""A call whose two peers sit on two different daphne processes sharing Redis."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import free_port
from tests.signaling.live import (
    finish,
    scheduled_consultation,
    start_client,
    start_daphne,
    wait_healthy,
)

pytestmark = [pytest.mark.live, pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs REDIS_URL: two processes can only meet through Redis (CI sets it on its "
           "second run)")]


@pytest.mark.parametrize("backend", ["channels_redis.core.RedisChannelLayer",
                                     "channels_redis.pubsub.RedisPubSubChannelLayer"])
def test_peers_on_two_daphne_processes_reach_each_other_through_redis(
        platform_server, tmp_path, backend):
    """Two more daphnes on the live platform's database and Redis; one peer on each."""
    platform = platform_server
    env = {**platform.env, "CHANNEL_LAYER_BACKEND": backend}
    ports = [free_port(), free_port()]
    log = open(tmp_path / "daphne.log", "w")  # noqa: SIM115 - closed in finally
    processes = [start_daphne(env, port, log) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=True):
            wait_healthy(url, process)
        consultation = scheduled_consultation(platform)
        clients = [start_client(url, consultation, platform.token(user), "--test-pattern",
                                "--exit-after-frames", "30", "--timeout", "120")
                   for url, user in zip(urls, ["clinic_doctor", "specialist"], strict=True)]
        (code_a, a, err_a), (code_b, b, err_b) = [finish(client) for client in clients]
        assert code_a == 0 and code_b == 0, (a, err_a, b, err_b)
        assert a["frames"][b["peer_id"]] >= 30 and b["frames"][a["peer_id"]] >= 30
        assert f"hello from {b['peer_id']}" in a["messages"]
        assert f"hello from {a['peer_id']}" in b["messages"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()

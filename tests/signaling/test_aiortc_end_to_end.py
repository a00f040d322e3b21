"""Two aiortc room devices meet through the real signaling service on a real daphne."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.signaling.live import finish, scheduled_consultation, start_client

pytestmark = pytest.mark.live


def status(platform, consultation_id: str, token: str) -> str:
    request = urllib.request.Request(f"{platform.url}/api/v1/consultations/{consultation_id}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["status"]


def test_two_aiortc_clients_exchange_video_frames_and_a_data_channel_message(platform_server):
    consultation = scheduled_consultation(platform_server)
    doctor = platform_server.token("clinic_doctor")
    specialist = platform_server.token("specialist")
    clients = [start_client(platform_server.url, consultation, token,
                            "--test-pattern", "--exit-after-frames", "30", "--timeout", "120")
               for token in (doctor, specialist)]
    results = [finish(client) for client in clients]
    for code, summary, err in results:
        assert code == 0, (summary, err)
    (_, first, _), (_, second, _) = results
    assert first["frames"][second["peer_id"]] >= 30
    assert second["frames"][first["peer_id"]] >= 30
    assert f"hello from {second['peer_id']}" in first["messages"]
    assert f"hello from {first['peer_id']}" in second["messages"]
    assert status(platform_server, consultation, doctor) == "in_progress"

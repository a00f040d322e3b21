"""The recorder joins only with everyone's consent and leaves a playable, encrypted file."""

from __future__ import annotations

import json
import time

import pytest

from tests.signaling.live import finish, scheduled_consultation, start_client

pytestmark = pytest.mark.live

INSPECT = """
import json, tempfile, av
from django_tasks_db.models import DBTaskResult
from signaling.models import Attendance, Recording
from signaling.recorder import read_recording
rows = list(Recording.objects.filter(room_key="consultation:%(id)s"))
out = {"recordings": [], "recorder_joined": Attendance.objects.filter(
    room_key="consultation:%(id)s", role="recorder").exists(),
    "recorder_enqueued": DBTaskResult.objects.filter(
    task_path="signaling.tasks.record_room", args_kwargs__args__0="consultation:%(id)s").exists()}
for row in rows:
    envelope = open(row.path, "rb").read()
    with tempfile.NamedTemporaryFile(suffix=".mkv") as fh:
        fh.write(read_recording(row)); fh.flush()
        with av.open(fh.name) as media:
            kinds = sorted(s.type for s in media.streams)
            frames = sum(1 for _ in media.decode(video=0))
    out["recordings"].append({"kinds": kinds, "video_frames": frames, "size": row.size,
                              "plaintext_at_rest": envelope[:4] != b"CHE1"})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def platform(platform_server):
    """The shared live platform (RECORDER_LOOPBACK_ONLY comes from tests/signaling/conftest)."""
    platform_server.tokens = {user: platform_server.token(user)
                              for user in ("clinic_doctor", "specialist")}
    return platform_server


def call(platform, consultation: str, frames: int, *extra: str) -> None:
    clients = [start_client(platform.url, consultation, token, "--test-pattern",
                            "--exit-after-frames", str(frames), "--linger", "3",
                            "--timeout", "120", *extra)
               for token in platform.tokens.values()]
    for client in clients:
        code, summary, err = finish(client)
        assert code == 0, (summary, err)


def inspect(platform, consultation: str) -> dict:
    out = platform.manage("shell", "-c", INSPECT % {"id": consultation}).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_without_consent_the_recorder_never_joins(platform):
    consultation = scheduled_consultation(platform, recording=False)
    call(platform, consultation, frames=30)
    # The decision is made when the second side joins, before either saw the other: had
    # the recorder been wanted, its task would be enqueued by now. No waiting needed.
    assert inspect(platform, consultation) == {"recordings": [], "recorder_joined": False,
                                               "recorder_enqueued": False}


def test_with_everyones_consent_each_participant_is_recorded_encrypted_and_playable(platform):
    consultation = scheduled_consultation(platform, recording=True)
    # Both stay until the recorder tells them it has recorded their video (its start-up
    # may take long on a busy machine: joining an empty room, or leaving before frames
    # reached it, was how this test failed before).
    call(platform, consultation, 60, "--stay-until-recorded")
    deadline = time.monotonic() + 90
    found = inspect(platform, consultation)
    while len(found["recordings"]) < 2 and time.monotonic() < deadline:
        time.sleep(2)
        found = inspect(platform, consultation)
    assert found["recorder_joined"] and found["recorder_enqueued"]
    assert len(found["recordings"]) == 2, found
    for recording in found["recordings"]:
        assert recording["kinds"] == ["audio", "video"]
        assert recording["video_frames"] > 10 and recording["size"] > 0
        assert not recording["plaintext_at_rest"]

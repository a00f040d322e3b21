"""Media for the Python peers: a test pattern, a tone, and loopback-only ICE.

The test pattern and tone make a room device testable without a camera; ``loopback_only``
keeps aiortc's ICE on 127.0.0.1 (aioice deliberately leaves loopback out of its host
candidates, so we replace its address list) for tests and for a device that must not
use any other interface.
"""

from __future__ import annotations

import fractions
import math

import aioice.ice
import numpy as np
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame

LOOPBACK = "127.0.0.1"


class TestPatternTrack(VideoStreamTrack):
    """Colour bars with a moving white stripe, 320×240 at 30 frames per second."""

    def __init__(self, width: int = 320, height: int = 240):
        super().__init__()
        bars = np.array([[192, 192, 192], [192, 192, 0], [0, 192, 192], [0, 192, 0],
                         [192, 0, 192], [192, 0, 0], [0, 0, 192], [16, 16, 16]], np.uint8)
        columns = np.repeat(bars, math.ceil(width / len(bars)), axis=0)[:width]
        self.base = np.ascontiguousarray(np.broadcast_to(columns, (height, width, 3)))
        self.count = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = self.base.copy()
        x = (self.count * 4) % image.shape[1]
        image[:, x:x + 8] = 255
        self.count += 1
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A quiet 440 Hz tone in 20 ms frames (48 kHz mono), so recordings carry audio."""

    rate = 48000
    samples = 960

    def __init__(self):
        super().__init__()
        self.sent = 0

    async def recv(self) -> AudioFrame:
        await super().recv()  # paces the track in real time (returns a silent frame)
        t = (np.arange(self.samples) + self.sent) / self.rate
        pcm = (0.1 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = self.rate, self.sent
        frame.time_base = fractions.Fraction(1, self.rate)
        self.sent += self.samples
        return frame


def loopback_only() -> None:
    """Make every aiortc connection in this process gather only a 127.0.0.1 candidate."""
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: [LOOPBACK]


def is_loopback_candidate(candidate_line: str) -> bool:
    """``candidate:<f> <c> <proto> <prio> <address> <port> typ ...`` on 127.0.0.1?"""
    parts = candidate_line.removeprefix("a=").removeprefix("candidate:").split()
    return len(parts) > 4 and parts[4] == LOOPBACK

"""A token bucket: how many frames (or mistakes) a connection may make, and how fast."""

from __future__ import annotations

import time


class TokenBucket:
    """``burst`` tokens refilled at ``rate`` per second; :meth:`take` is O(1)."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

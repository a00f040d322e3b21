"""Per-message cost of the channel layer as the number of rooms grows (quick, in-process).

    python -m load_tests.signaling_relay [--rooms 1,100,500,2000] [--messages 2000]

For each room count N it creates N rooms of two peers (2N channels, each with a pending
``receive`` as a live consumer has, and N groups), then times a relay: ``send`` to one
peer's channel and that peer's ``receive``. Channels' stock InMemoryChannelLayer walks
every channel and group on each receive, so its time grows with N; signaling's
FastInMemoryChannelLayer should stay flat. The whole relay (daphne, the consumer) is
measured by ``load_tests/signaling.py``; this isolates the layer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from channels.layers import InMemoryChannelLayer

from cloudhospital.core.layer import FastInMemoryChannelLayer

FRAME = {"type": "relay", "frame": {"type": "offer", "from": "a" * 16, "sdp": "v=0\r\n" * 600}}


async def measure(layer_class, rooms: int, messages: int) -> tuple[float, float]:
    layer = layer_class(expiry=30, capacity=1000)
    idle = []
    for n in range(rooms):
        for side in ("a", "b"):
            channel = f"specific.room{n}{side}!x"
            await layer.group_add(f"room.{n}", channel)
            idle.append(asyncio.ensure_future(layer.receive(channel)))
    await asyncio.sleep(0)
    target = "specific.target!x"
    times = []
    for _ in range(messages):
        start = time.perf_counter()
        await layer.send(target, FRAME)
        await layer.receive(target)
        times.append(time.perf_counter() - start)
    for task in idle:
        task.cancel()
    await asyncio.gather(*idle, return_exceptions=True)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.99) - 1] * 1e6


async def main_async(room_counts: list[int], messages: int) -> None:
    print(f"{'rooms':>6} {'layer':<28} {'p50 µs':>9} {'p99 µs':>9}")
    for rooms in room_counts:
        for layer_class in (InMemoryChannelLayer, FastInMemoryChannelLayer):
            p50, p99 = await measure(layer_class, rooms, messages)
            print(f"{rooms:>6} {layer_class.__name__:<28} {p50:>9.1f} {p99:>9.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", default="1,100,500,2000")
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main_async([int(n) for n in args.rooms.split(",")], args.messages))


if __name__ == "__main__":
    main()

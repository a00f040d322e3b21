"""The reference: a minimal signaling relay written with the ``websockets`` library.

What a team would write in an afternoon instead of CloudHospital's signaling: no
authentication, no database, no validation beyond JSON and the addressee; one process,
rooms in a dict. It speaks the same frames the benchmark client expects (welcome,
peer-joined, relayed offer/answer/ice with ``from``), so the client is identical.

``python -m load_tests.relay_reference --port PORT`` (binds 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal

from websockets.asyncio.server import serve

rooms: dict[str, dict[str, object]] = {}


async def handler(ws) -> None:
    room_key = ws.request.path.split("?", 1)[0]
    room = rooms.setdefault(room_key, {})
    peer_id = secrets.token_hex(8)
    others = [{"peer_id": p, "role": "peer", "name": p, "offer": False} for p in room]
    room[peer_id] = ws
    await ws.send(json.dumps({"type": "welcome", "peer_id": peer_id, "room": room_key,
                              "peers": others, "ice_servers": []}))
    for other in list(room):
        if other != peer_id:
            await room[other].send(json.dumps({"type": "peer-joined", "peer_id": peer_id,
                                               "role": "peer", "name": peer_id,
                                               "offer": True}))
    try:
        async for text in ws:
            try:
                data = json.loads(text)
            except ValueError:
                continue
            target = room.get(data.get("to")) if isinstance(data, dict) else None
            if target is None or data.get("type") not in ("offer", "answer", "ice"):
                continue
            data["from"] = peer_id
            del data["to"]
            await target.send(json.dumps(data))
    finally:
        room.pop(peer_id, None)
        if not room:
            rooms.pop(room_key, None)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, max_size=64 * 1024, compression=None):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))

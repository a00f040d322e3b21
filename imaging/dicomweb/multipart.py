"""multipart/related encoding and decoding (RFC 2387), as PS3.18 §8.6 uses it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator

_PARAM = re.compile(r';\s*([\w-]+)\s*=\s*("([^"]*)"|[^;,\s]*)')


class MultipartError(ValueError):
    pass


def media_params(value: str) -> tuple[str, dict[str, str]]:
    """``'multipart/related; type="application/dicom"'`` → (type, {"type": ...})."""
    kind, _, rest = value.partition(";")
    params = {}
    for match in _PARAM.finditer(";" + rest):
        params[match.group(1).lower()] = match.group(3) if match.group(3) is not None \
            else match.group(2)
    return kind.strip().lower(), params


def new_boundary() -> str:
    return "ch-" + secrets.token_hex(16)


def encode(parts: Iterable[tuple[str, bytes]], boundary: str) -> Iterator[bytes]:
    """Yield the body part by part, so a large series streams instead of filling memory."""
    for content_type, data in parts:
        yield from encode_part(content_type, data, boundary)
    yield closing(boundary)


def encode_part(content_type: str, data: bytes, boundary: str) -> tuple[bytes, bytes, bytes]:
    return ((f"--{boundary}\r\nContent-Type: {content_type}\r\n"
             f"Content-Length: {len(data)}\r\n\r\n").encode(), data, b"\r\n")


def closing(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode()


def decode(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart/related body into (headers, payload) pairs."""
    kind, params = media_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/related" or not boundary:
        raise MultipartError("expected multipart/related with a boundary")
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise MultipartError("no parts found for the boundary")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, payload = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("a part has no header/body separator")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip():
                headers[name.strip().lower()] = value.strip()
        if payload.endswith(b"\r\n"):
            payload = payload[:-2]
        parts.append((headers, payload))
    return parts

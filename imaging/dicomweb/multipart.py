"""multipart/related encoding and decoding (RFC 2387), as PS3.18 §8.6 uses it."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterable, Iterator

from imaging import budget

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
    """Split a whole multipart/related body into (headers, payload) pairs."""
    return list(iter_parts(io.BytesIO(body), content_type))


HEADER_LIMIT = 16 * 1024


def iter_parts(stream, content_type: str, *, max_parts: int | None = None,
               max_part_bytes: int | None = None, chunk: int = 1 << 16
               ) -> Iterator[tuple[dict[str, str], bytes]]:
    """Parts one at a time as they arrive on ``stream`` (anything with ``read(n)``), so a
    STOW body is never held whole: memory is one part plus one chunk. More than
    ``max_parts`` parts, or a part longer than ``max_part_bytes``, raises ``OverBudget``
    as soon as the excess is seen."""
    kind, params = media_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/related" or not boundary:
        raise MultipartError("expected multipart/related with a boundary")
    delimiter = b"\r\n--" + boundary.encode()
    buf = bytearray(b"\r\n")  # so that a boundary on the first line matches too
    eof = False

    def fill() -> None:
        nonlocal eof
        data = stream.read(chunk)
        eof = not data
        buf.extend(data)

    def find(token: bytes, start: int = 0, most: int | None = None) -> int:
        """Index of ``token`` in the buffer, reading more until it appears."""
        while (at := buf.find(token, start)) < 0:
            if most is not None and len(buf) - len(token) > most:
                return -2
            if eof:
                return -1
            start = max(0, len(buf) - len(token) + 1)
            fill()
        return at

    while (at := buf.find(delimiter)) < 0:  # the preamble, discarded as it streams
        if eof:
            raise MultipartError("no parts found for the boundary")
        del buf[:max(0, len(buf) - len(delimiter))]
        fill()
    del buf[:at + len(delimiter)]
    count = 0
    while True:
        while len(buf) < 2 and not eof:
            fill()
        if buf[:2] == b"--":
            return  # the close delimiter
        end = find(b"\r\n", most=1024)  # transport padding up to the line end
        if end < 0:
            raise MultipartError("a boundary line does not end")
        del buf[:end + 2]
        count += 1
        if max_parts is not None and count > max_parts:
            raise budget.refuse("DICOMWEB_MAX_STOW_PARTS", f"part {count}", "parts")
        headers: dict[str, str] = {}
        while len(buf) < 2 and not eof:
            fill()
        if buf[:2] == b"\r\n":  # a part without headers
            del buf[:2]
        else:
            end = find(b"\r\n\r\n", most=HEADER_LIMIT)
            if end < 0:
                raise MultipartError("a part has no header/body separator")
            for line in bytes(buf[:end]).decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip():
                    headers[name.strip().lower()] = value.strip()
            del buf[:end + 4]
        end = find(delimiter, most=max_part_bytes)
        if end == -2:
            raise budget.refuse("IMAGING_MAX_INSTANCE_BYTES", f"part {count}")
        if end < 0:
            raise MultipartError("a part is not closed by the boundary")
        payload = bytes(buf[:end])
        if max_part_bytes is not None and len(payload) > max_part_bytes:
            raise budget.refuse("IMAGING_MAX_INSTANCE_BYTES", f"part {count}")
        del buf[:end + len(delimiter)]
        yield headers, payload


class LimitedReader:
    """Reads a request body and refuses past ``name`` bytes, for bodies whose length was
    not announced (chunked): the limit holds while streaming, not after."""

    def __init__(self, stream, name: str):
        self.stream, self.name, self.total = stream, name, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.total += len(data)
        if self.total > budget.limit(self.name):
            raise budget.refuse(self.name, "the request body")
        return data

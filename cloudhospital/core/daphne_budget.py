"""The body budget inside daphne, before daphne itself reads the body.

Daphne (Twisted) receives a whole request body, spooling it to a temporary file, before it
hands the request to the ASGI application: the ASGI layer (``bodies.BodyBudget``) can refuse
only once the bytes have crossed the network and filled the disk. So the same budget is
checked where Twisted learns the length, from the headers alone:

- a declared Content-Length over the budget, or a chunked body that grows past it, is
  answered 413 at once; what the client still sends is discarded, never stored, and the
  connection is closed when it stops (closing while it sends would reset the connection
  and lose the answer);
- a body to /api/ that carries no bearer token and no session cookie is answered 401 the
  same way. Whether the token or session is valid needs the database, which must not be
  queried on Twisted's reactor thread: ``BodyBudget`` checks that before Django reads.

``install()`` adds this to daphne's request class; cloudhospital/asgi.py calls it, so every
daphne that serves the platform (``make run``, systemd, containers) has it.
"""

from __future__ import annotations

import logging

from cloudhospital.core import bodies

log = logging.getLogger(__name__)
_INSTALLED = False


class _Discard:
    """A content file that keeps nothing (the body of a refused request)."""

    closed = False

    def write(self, data):
        return len(data)

    def seek(self, *args):
        return 0

    def read(self, *args):
        return b""

    def close(self):
        self.closed = True


def _decoded(request, name: bytes) -> str | None:
    values = request.requestHeaders.getRawHeaders(name)
    return values[-1].decode("latin-1") if values else None


def early_refusal(method: str, path: str, length: int | None, chunked: bool,
                  content_type: str | None, authorization: str | None,
                  cookie: str | None) -> tuple[int, str, str] | None:
    """(status, code, message) when the request must be refused before its body is read."""
    limit = bodies.budget_for(path, content_type)
    if length is not None and length > limit:
        return 413, "body_too_large", f"the request body is larger than the limit of {limit} bytes"
    has_body = (length or 0) > 0 or chunked
    if has_body and method in bodies.BODY_METHODS and path.startswith("/api/") and \
            not bodies.carries_credentials(authorization, cookie):
        return 401, "unauthorized", "log in or send a valid bearer token"
    return None


def _refuse(request, status: int, code: str, message: str, path: str) -> None:
    request._ch_refused = True
    request.content = _Discard()
    # No "100 Continue" after the answer: a client that waits for it now sends nothing.
    request.requestHeaders.removeHeader(b"Expect")
    content_type, body = bodies.refusal(path, status, code, message,
                                        _decoded(request, b"cookie"))
    reason = {401: b"Unauthorized", 413: b"Content Too Large"}.get(status, b"Refused")
    head = (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % (status, reason, content_type, len(body)))
    request.channel.transport.write(head + body)
    log.info("refused %s %s before reading its body: %s", status, path, message)


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    from daphne.http_protocol import WebRequest

    original_got_length = WebRequest.gotLength
    original_chunk = WebRequest.handleContentChunk
    original_process = WebRequest.process

    def gotLength(self, length):  # noqa: N802 - Twisted's name
        path = (self.channel._path or b"/").decode("latin-1").split("?", 1)[0]
        chunked = length is None and bool(
            self.requestHeaders.getRawHeaders(b"transfer-encoding"))
        answer = early_refusal(
            (self.channel._command or b"").decode("latin-1").upper(), path, length, chunked,
            _decoded(self, b"content-type"), _decoded(self, b"authorization"),
            _decoded(self, b"cookie"))
        self._ch_received = 0
        self._ch_limit = bodies.budget_for(path, _decoded(self, b"content-type"))
        self._ch_path = path
        if answer is not None:
            return _refuse(self, *answer, path)
        return original_got_length(self, length)

    def handleContentChunk(self, data):  # noqa: N802 - Twisted's name
        if getattr(self, "_ch_refused", False):
            return None
        self._ch_received = getattr(self, "_ch_received", 0) + len(data)
        if self._ch_received > getattr(self, "_ch_limit", self._ch_received):
            return _refuse(self, 413, "body_too_large",
                           f"the request body is larger than the limit of {self._ch_limit} "
                           "bytes", self._ch_path)
        return original_chunk(self, data)

    def process(self):
        if getattr(self, "_ch_refused", False):
            # Answered already; the rest of the body has been read and dropped.
            self.channel.transport.loseConnection()
            return None
        return original_process(self)

    WebRequest.gotLength = gotLength
    WebRequest.handleContentChunk = handleContentChunk
    WebRequest.process = process
    _INSTALLED = True

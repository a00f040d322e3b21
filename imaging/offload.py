"""Heavy imaging work (QIDO, WADO, rendering, STOW, uploads, downloads) on a bounded pool.

What froze a whole process (issue 10, item 2) was work that holds the GIL: a QIDO
wildcard became a regular expression that Python's ``re`` ran, inside SQLite's REGEXP
callback, for minutes (fixed in ``dicomweb.matching``). Measured while fixing it: Django's
ASGI handler runs each request's sync code in a thread of its own (asgiref's
``ThreadSensitiveContext``), not one thread for the process; the one shared thread is
that of Channels' ``database_sync_to_async``. So this module adds bounds, not threads:

- the imaging entry points are async views that hand their work to one pool of
  ``IMAGING_WORKER_THREADS`` per process, so a burst of renders or retrieves runs that
  many at a time (memory and CPU within budget) instead of one new thread each;
- each pool thread keeps at most one database connection, checked before and closed (or
  kept, per ``CONN_MAX_AGE``) after every call, as ``database_sync_to_async`` does;
- retrieves stream asynchronously, one pool hop per instance: given a sync iterator,
  Django under ASGI would drain the whole study into memory before sending a byte.

``IMAGING_OFFLOAD=false`` runs the work on the request's own sync thread instead: only for
the unit tests, whose data lives inside one transaction of the test thread's connection.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_END = object()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.IMAGING_WORKER_THREADS,
                                       thread_name_prefix="imaging")
        return _pool


def _with_own_connection(func: Callable) -> Callable:
    @functools.wraps(func)
    def run(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()
    return run


def offload(func: Callable) -> Callable:
    """``await offload(func)(*args)``: run ``func`` on the imaging pool."""
    if not settings.IMAGING_OFFLOAD:
        return sync_to_async(func, thread_sensitive=True)
    return sync_to_async(_with_own_connection(func), thread_sensitive=False,
                         executor=_executor())


async def steps[T](items: Iterator[T]) -> AsyncIterator[T]:
    """The items of a sync iterator whose steps are heavy (decrypting one instance), one
    pool hop per item. Given a sync iterator, a StreamingHttpResponse under ASGI would
    instead drain it whole, into memory, on the shared thread."""
    step = offload(next)
    while (item := await step(items, _END)) is not _END:
        yield item


def hold_for_test(name: str) -> None:
    """A gate for the concurrency test (``tests/imaging/test_no_request_freezes``): when
    ``IMAGING_TEST_GATE_DIR`` is set, announce ``<name>.started`` there and wait, at most
    a minute, for ``<name>.release``. Unset (always, outside that test) it does nothing."""
    gate = settings.IMAGING_TEST_GATE_DIR
    if not gate:
        return
    directory = Path(gate)
    (directory / f"{name}.started").touch()
    deadline = time.monotonic() + 60
    while not (directory / f"{name}.release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)

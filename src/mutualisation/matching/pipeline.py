"""Producing the next chunk of a long write while the database stores the current one.

A full recompute's first run inserts over a million rows in chunks. Building a chunk (its
breakdowns, its row values) is Python work; storing it is mostly the database's, during which the
driver releases the GIL (sqlite3 around each step, psycopg around each round trip). On a machine
with two cores the two overlap when the next chunk is built in a thread.

Pure: the standard library only.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.05  # how soon a producer notices that the consumer stopped


class _Done:
    """The producer's last message: the items ran out, or `error` was raised producing one."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def _produce(items: Iterable[Any], out: queue.Queue[Any], stop: threading.Event) -> None:
    def put(message: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(message, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    try:
        for item in items:
            if not put(item):
                return
        put(_Done())
    except BaseException as error:  # handed to the consumer, which raises it where it reads
        put(_Done(error))


def prefetched(items: Iterable[T], depth: int = 1) -> Generator[T, None, None]:
    """`items` in order, each produced in a background thread while the caller uses the previous.

    At most `depth` items wait ready, so memory holds `depth + 2` items at most (one being built,
    one being used). An exception raised producing an item is raised to the caller when it asks
    for that item; a caller that stops early (or fails) stops the producer before returning.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    thread = threading.Thread(target=_produce, args=(items, out, stop), name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        thread.join()

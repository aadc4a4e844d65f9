"""Running an iterator ahead of its consumer, in a thread: the import parses the next
records while the database is still writing the last batch (docs/performance.md,
"Import").

The consumer waits for PostgreSQL with the GIL released (psycopg waits in C), so the
parser's Python runs in that time instead of after it. The producer must not touch the
database: its thread would have a connection of its own, outside the consumer's
transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

CHUNK = 500  # items per hand-over: a queue operation costs about a microsecond each way
_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def run_ahead(items: Iterable[T], *, ahead: int) -> Iterator[T]:
    """`items`, in order, produced in a thread up to about `ahead` items before they are
    taken. An exception of the producer is raised here, where it would have been; closing
    this generator (the consumer stopped early) stops the producer."""
    hand_over: queue.Queue = queue.Queue(maxsize=max(1, ahead // CHUNK))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                hand_over.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        chunk: list = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    if not put(chunk):
                        return
                    chunk = []
            put(chunk)
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            if put(chunk):  # the items read before it come first
                put(_Failed(exc))

    thread = threading.Thread(target=produce, name="import-parse", daemon=True)
    thread.start()
    try:
        while True:
            chunk = hand_over.get()
            if chunk is _DONE:
                return
            if isinstance(chunk, _Failed):
                raise chunk.exc
            yield from chunk
    finally:
        stop.set()
        # A producer blocked on its input (stdin that stays open) is a daemon: not waited for.
        thread.join(timeout=1)

"""Run an iterator in a background thread behind a bounded queue: a pipeline stage.

    frames = prefetch(source.frames(), maxsize=64)   # decoding overlaps with perception
    ...; frames.close()                               # stops the producer promptly

The bound is the backpressure: a slow consumer blocks the producer instead of growing memory.
Decoders and model runtimes release the GIL, so stages really run side by side.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


def prefetch(items: Iterator[T], *, maxsize: int) -> Generator[T, None, None]:
    q: queue.Queue[object] = queue.Queue(maxsize=maxsize)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(_Failure(exc))

    # Named after the stage it runs (a generator's function name): CPU per stage can be told
    # apart in /proc (benchmarks/ingest_speed.py).
    stage = getattr(items, "__name__", "")
    worker = threading.Thread(
        target=produce, name=f"avas-prefetch-{stage}" if stage else "avas-prefetch", daemon=True
    )
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=10)

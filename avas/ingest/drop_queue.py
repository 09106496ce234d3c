"""A bounded FIFO that drops the oldest item when full: a live stream cannot wait for its reader.

queue: DropOldestQueue[Frame] = DropOldestQueue(64)
queue.put(frame)   # False when the oldest item was dropped to make room
queue.get()        # blocks; None once closed and drained
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DropOldestQueue(Generic[T]):
    """Bounded FIFO where a put on a full queue evicts the oldest item: live media cannot wait."""

    def __init__(self, maxlen: int) -> None:
        self._items: deque[T] = deque()
        self._maxlen = maxlen
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: T) -> bool:
        """Returns False when an old item was dropped to make room."""
        with self._cond:
            if self._closed:
                return True
            dropped = len(self._items) >= self._maxlen
            if dropped:
                self._items.popleft()
            self._items.append(item)
            self._cond.notify()
            return not dropped

    def get(self) -> T | None:
        """The next item, or None once the queue is closed and drained."""
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait()
            return self._items.popleft() if self._items else None

    def close(self, *, discard: bool = False) -> None:
        with self._cond:
            self._closed = True
            if discard:
                self._items.clear()
            self._cond.notify_all()

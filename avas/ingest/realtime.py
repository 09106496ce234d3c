"""Replay a file at the speed of the clock, as a camera would deliver it (``--realtime``).

    source = RealtimeSource(open_source("shift.mp4", settings.ingest))

Useful to rehearse monitoring and to measure lag without a camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from avas.ingest.base import AudioChunk, Frame, Gap, MediaSource, SourceInfo


class RealtimeSource:
    def __init__(self, inner: MediaSource) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._t0: float | None = None  # wall-clock instant of media time 0, shared by both streams

    @property
    def info(self) -> SourceInfo:
        return self.inner.info

    @property
    def stopped(self) -> str | None:
        return getattr(self.inner, "stopped", None)

    def _wait_until(self, media_ms: int, start_ms: int) -> None:
        with self._lock:
            if self._t0 is None:
                self._t0 = time.monotonic() - start_ms / 1000
            due = self._t0 + media_ms / 1000
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        for frame in self.inner.frames(start_ms):
            self._wait_until(frame.ts_ms, start_ms)
            yield frame

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        for chunk in self.inner.audio(start_ms):
            self._wait_until(chunk.end_ms, start_ms)  # a chunk exists once its last sample has
            yield chunk

    def gaps(self) -> list[Gap]:
        return self.inner.gaps()

    def close(self) -> None:
        self.inner.close()

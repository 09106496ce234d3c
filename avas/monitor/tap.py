"""A live source's recent frames, kept for alert thumbnails: a live stream cannot be decoded twice.

tapped = TappedSource(source, keep=600, max_side_px=480)   # pass `tapped` to the pipeline
kept = tapped.nearest(event.span.start_ms)                 # a shrunk RGB frame, or None
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from avas.ingest.base import AudioChunk, Frame, Gap, MediaSource, RGBImage, SourceInfo
from avas.ingest.file_source import scaled_size


@dataclass(frozen=True, slots=True)
class Kept:
    ts_ms: int
    arrived: float  # time.monotonic() when the frame came out of the source
    rgb: RGBImage


class TappedSource:
    """A MediaSource that keeps a ring of recent (shrunk) frames: alerts need the keyframe, and a
    live stream cannot be decoded twice."""

    def __init__(self, inner: MediaSource, *, keep: int, max_side_px: int) -> None:
        self.inner = inner
        self.max_side_px = max_side_px
        self._ring: deque[Kept] = deque(maxlen=max(1, keep))
        self._lock = threading.Lock()

    @property
    def info(self) -> SourceInfo:
        return self.inner.info

    @property
    def stopped(self) -> str | None:
        return getattr(self.inner, "stopped", None)

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        for frame in self.inner.frames(start_ms):
            h, w = frame.rgb.shape[:2]
            sw, sh = scaled_size(w, h, self.max_side_px)
            small = (
                frame.rgb
                if (sw, sh) == (w, h)
                else np.asarray(
                    cv2.resize(frame.rgb, (sw, sh), interpolation=cv2.INTER_AREA), dtype=np.uint8
                )
            )
            with self._lock:
                self._ring.append(Kept(frame.ts_ms, time.monotonic(), small))
            yield frame

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        return self.inner.audio(start_ms)

    def gaps(self) -> list[Gap]:
        return self.inner.gaps()

    def close(self) -> None:
        self.inner.close()

    def nearest(self, ts_ms: int) -> Kept | None:
        with self._lock:
            return min(self._ring, key=lambda k: abs(k.ts_ms - ts_ms), default=None)

    def last_before(self, ts_ms: int) -> Kept | None:
        with self._lock:
            return next((k for k in reversed(self._ring) if k.ts_ms < ts_ms), None)

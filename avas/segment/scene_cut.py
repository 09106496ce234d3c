"""Shot-cut segmentation bounded by min/max event length, streaming.

    seg = SceneCutSegmenter(min_event_ms=2000, max_event_ms=30000, threshold=20.0)

The cut score is PySceneDetect's ContentDetector measure (mean absolute change of the H, S and V
channels between consecutive samples), computed on a small thumbnail so it costs ~0.1 ms a frame.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from avas.ingest.base import Frame
from avas.segment.base import EventWindow
from graph_schema import TimeSpan

_THUMB = (64, 36)


def _hsv_thumb(frame: Frame) -> npt.NDArray[np.int16]:
    small = cv2.resize(frame.rgb, _THUMB, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.int16)


class SceneCutSegmenter:
    def __init__(self, *, min_event_ms: int, max_event_ms: int, threshold: float) -> None:
        if max_event_ms <= min_event_ms:
            raise ValueError("max_event_ms must exceed min_event_ms")
        self.min_event_ms = min_event_ms
        self.max_event_ms = max_event_ms
        self.threshold = threshold
        self._frames: list[Frame] = []
        self._motion: list[float] = []
        self._prev: npt.NDArray[np.int16] | None = None

    def push(self, frame: Frame) -> list[EventWindow]:
        thumb = _hsv_thumb(frame)
        score = 0.0 if self._prev is None else float(np.abs(thumb - self._prev).mean())
        self._prev = thumb
        closed: list[EventWindow] = []
        if self._frames:
            length = frame.ts_ms - self._frames[0].ts_ms
            cut = score >= self.threshold and length >= self.min_event_ms
            if cut or length >= self.max_event_ms:
                closed.append(self._close(frame.ts_ms, cut=cut))
                score = 0.0  # a cut is not motion inside the new event
        self._frames.append(frame)
        self._motion.append(score)
        return closed

    def flush(self, end_ms: int) -> list[EventWindow]:
        if not self._frames:
            return []
        return [self._close(max(end_ms, self._frames[-1].ts_ms + 1))]

    def _close(self, end_ms: int, *, cut: bool = False) -> EventWindow:
        window = EventWindow(
            span=TimeSpan(start_ms=self._frames[0].ts_ms, end_ms=end_ms),
            frames=self._frames,
            motion=self._motion,
            cut=cut,
        )
        self._frames, self._motion = [], []
        return window

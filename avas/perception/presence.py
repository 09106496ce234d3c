"""Foreground presence: is something in view that is not part of the learned background?

    detector = PresenceDetector()
    share = detector.update(frame)   # fraction of the picture that is foreground, 0..1

A streaming background model (OpenCV's MOG2 on a 160x90 thumbnail, ~1 ms a frame) that learns
slowly, so a person who walks in and stands still stays foreground for minutes. It says *that*
something is there, not *what*: descriptions call it "something in the foreground", never a person.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from avas.ingest.base import Frame
from graph_schema import TimeSpan

_THUMB = (160, 90)
# Share of the picture above which a frame counts as "something present".
PRESENT = 0.01


class PresenceDetector:
    model_id = "opencv/mog2-presence"

    def __init__(self, *, learning_rate: float = 0.003, warmup_frames: int = 3) -> None:
        self._model: Any = cv2.createBackgroundSubtractorMOG2(
            history=300, varThreshold=25, detectShadows=False
        )
        self._kernel = np.ones((3, 3), np.uint8)
        self._learning_rate = learning_rate
        self._warmup = warmup_frames
        self._seen = 0

    def update(self, frame: Frame) -> float:
        small = cv2.resize(frame.rgb, _THUMB, interpolation=cv2.INTER_AREA)
        # Learn fast for the first frames (the empty scene), then slowly.
        rate = -1.0 if self._seen < self._warmup else self._learning_rate
        self._seen += 1
        mask = self._model.apply(small, learningRate=rate)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        return 0.0 if self._seen == 1 else float((mask > 0).mean())


def presence_runs(
    ts_ms: list[int], shares: list[float], *, end_ms: int, max_gap_frames: int = 1
) -> list[TimeSpan]:
    """Stretches of frames with something present; a gap of ``max_gap_frames`` absent frames
    (a flicker of the background model) does not split a stretch, and a lone frame is noise.

    presence_runs([0, 1000, 2000, 3000], [0.0, 0.2, 0.3, 0.0], end_ms=4000)
    # -> [TimeSpan(start_ms=1000, end_ms=3000)]
    """
    runs: list[tuple[int, int, int]] = []  # first index, last index, frames present
    for i, share in enumerate(shares):
        if share < PRESENT:
            continue
        if runs and i - runs[-1][1] - 1 <= max_gap_frames:
            first, _, n = runs[-1]
            runs[-1] = (first, i, n + 1)
        else:
            runs.append((i, i, 1))
    spans = []
    for first, last, n in runs:
        if n < 2:
            continue
        stop = ts_ms[last + 1] if last + 1 < len(ts_ms) else end_ms
        spans.append(TimeSpan(start_ms=ts_ms[first], end_ms=max(stop, ts_ms[first] + 1)))
    return spans

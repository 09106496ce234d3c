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

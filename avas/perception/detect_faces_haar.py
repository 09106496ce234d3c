"""Frontal faces in a frame: OpenCV's Haar cascade (the XML ships inside opencv, cv2.data).

detector = HaarFaceDetector()
detector.detect(frame).count("face")   # -> 1 for a talking head

Finds faces looking roughly at the camera, at least ``min_size_px`` tall in the frame; a head
seen from behind or in profile is not a face to it. Smaller windows are most of the cascade's
work: 40 px, not the cascade's 24, costs 0.047 instead of 0.072 s a frame on the real footage of
benchmarks/ingest_real.py with the same answer on every frame checked (the smallest face found
there is 47 px; a 1.15 or 1.2 scale step was cheaper still but lost faces).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from avas.errors import DependencyError
from avas.ingest.base import Frame
from avas.perception.detect_base import Box, Detection, FrameDetections, non_max_suppression
from avas.perception.opencv_check import REPAIR, require_opencv

CASCADE = "haarcascade_frontalface_default.xml"


class HaarFaceDetector:
    label = "face"
    signal = "faces"

    def __init__(
        self,
        *,
        width_px: int = 640,
        min_size_px: int = 40,
        scale_factor: float = 1.1,
        min_neighbors: int = 15,
        max_overlap: float = 0.5,
    ) -> None:
        cv2 = require_opencv("CascadeClassifier")
        cv: Any = cv2  # Any: the stubs lack cv2.data
        path = Path(cv.data.haarcascades) / CASCADE
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise DependencyError(f"OpenCV's face cascade {path} is missing; repair with: {REPAIR}")
        self._cv2: Any = cv2
        self._cascade: Any = cascade
        self.width_px = width_px
        self.min_size_px = min_size_px
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.max_overlap = max_overlap
        self.model_id = f"opencv/haar-frontalface@{width_px}"

    def smallest_share(self, width: int, height: int) -> float:
        """A face ``min_size_px`` square, as a share of the frame."""
        return min(1.0, self.min_size_px**2 / (width * height))

    def detect(self, frame: Frame) -> FrameDetections:
        cv2 = self._cv2
        h, w = frame.rgb.shape[:2]
        factor = min(1.0, self.width_px / w)
        small = frame.rgb
        if factor < 1.0:
            small = cv2.resize(
                frame.rgb, (self.width_px, max(1, round(h * factor))), interpolation=cv2.INTER_AREA
            )
        grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        min_side = max(8, round(self.min_size_px * factor))
        # Group with a low bar, then keep the groups that enough windows agreed on: on the
        # shared clips real faces gather 21-89 neighbours, floor-board false faces 4-12.
        rects, neighbours = self._cascade.detectMultiScale2(
            grey,
            scaleFactor=self.scale_factor,
            minNeighbors=3,
            minSize=(min_side, min_side),
        )
        found: list[Detection] = []
        if len(rects):
            boxes = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
            agree = np.asarray(neighbours, dtype=np.float64).ravel()
            sure = agree >= self.min_neighbors
            boxes, agree = boxes[sure], agree[sure]
            # Agreement as a 0..1 confidence: 0.5 at the threshold, towards 1 with more.
            scores = agree / (agree + self.min_neighbors)
            for i in non_max_suppression(boxes, scores, self.max_overlap):
                x, y, bw, bh = (boxes[i] / factor).tolist()
                box = Box(
                    x=max(0, int(x)),
                    y=max(0, int(y)),
                    width=max(1, min(w - int(x), round(bw))),
                    height=max(1, min(h - int(y), round(bh))),
                )
                conf = round(float(scores[i]), 4)
                found.append(Detection(label=self.label, confidence=conf, box=box))
        return FrameDetections(
            ts_ms=frame.ts_ms,
            model_id=self.model_id,
            frame_width=w,
            frame_height=h,
            detections=found,
        )

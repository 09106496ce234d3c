"""People in a frame: OpenCV's HOG + linear SVM pedestrian detector (ships inside opencv).

detector = HogPeopleDetector(width_px=480)
detector.detect(frame).count("person")   # -> 1

Works on upright, mostly whole people; misses people sitting, seen from straight above, or
smaller than about a third of the picture's height at the default width (480 px: the window is
128 px tall); a larger ``width_px`` finds smaller people at a higher cost. Measured on
../shared/media/one-by-one-person-detection.mp4 in benchmarks/README.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from avas.ingest.base import Frame
from avas.perception.detect_base import (
    Box,
    Detection,
    FrameDetections,
    non_max_suppression,
)
from avas.perception.opencv_check import require_opencv


class HogPeopleDetector:
    label = "person"
    signal = "people"

    def __init__(
        self,
        *,
        width_px: int = 480,
        border: float = 0.125,
        scale: float = 1.05,
        win_stride_px: int = 8,
        hit_threshold: float = 0.0,
        min_confidence: float = 0.65,
        max_overlap: float = 0.5,
    ) -> None:
        cv2 = require_opencv("HOGDescriptor", "HOGDescriptor_getDefaultPeopleDetector")
        if width_px < 64:
            raise ValueError("the HOG people detector needs frames at least 64 px wide")
        self._cv2: Any = cv2  # Any: the stubs lack HOG's people detector
        self._hog: Any = cv2.HOGDescriptor()
        self._hog.setSVMDetector(self._cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.width_px = width_px
        self.border = border
        self.scale = scale
        self.win_stride_px = win_stride_px
        self.hit_threshold = hit_threshold
        self.min_confidence = min_confidence
        self.max_overlap = max_overlap
        self.model_id = f"opencv/hog-people@{width_px}"

    def smallest_share(self, width: int, height: int) -> float:
        """The 64x128 window at the working width, as a share of the frame."""
        factor = min(1.0, self.width_px / width)
        return min(1.0, (64 / factor) * (128 / factor) / (width * height))

    def detect(self, frame: Frame) -> FrameDetections:
        cv2 = self._cv2
        h, w = frame.rgb.shape[:2]
        factor = min(1.0, self.width_px / w)  # never upscale: it invents no detail
        small = frame.rgb
        if factor < 1.0:
            size = (self.width_px, max(1, round(h * factor)))
            small = cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        # A replicated margin lets the 64x128 window see a person who fills the picture top to
        # bottom (otherwise missed: frame recall 0.56 without, 0.95 with, at 640 px on the
        # shared clip). Replicate, not a flat colour: a flat border's edge itself looks like a
        # person's outline to HOG.
        pad = round(grey.shape[0] * self.border)
        if pad:
            grey = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        stride = (self.win_stride_px, self.win_stride_px)
        rects, weights = self._hog.detectMultiScale(
            grey,
            winStride=stride,
            padding=(8, 8),
            scale=self.scale,
            hitThreshold=self.hit_threshold,
        )
        found: list[Detection] = []
        if len(rects):
            boxes = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
            # The SVM margin is unbounded; a logistic maps it to 0..1 (margin 0 -> 0.5).
            conf = 1.0 / (1.0 + np.exp(-np.asarray(weights, dtype=np.float64).ravel()))
            # Textured floors and edges score 0.53-0.63 on the shared clip, people 0.63-0.98.
            sure = conf >= self.min_confidence
            boxes, conf = boxes[sure], conf[sure]
            for i in non_max_suppression(boxes, conf, self.max_overlap, columns=True):
                box = _back_to_frame(boxes[i], pad, factor, w, h)
                if box is not None:
                    found.append(
                        Detection(label=self.label, confidence=round(float(conf[i]), 4), box=box)
                    )
        return FrameDetections(
            ts_ms=frame.ts_ms,
            model_id=self.model_id,
            frame_width=w,
            frame_height=h,
            detections=found,
        )


def _back_to_frame(
    rect: np.ndarray[Any, np.dtype[np.float64]], pad: int, factor: float, w: int, h: int
) -> Box | None:
    """A box in the padded, shrunk picture -> the same box in the frame, clipped to it."""
    x0 = max(0.0, (rect[0] - pad) / factor)
    y0 = max(0.0, (rect[1] - pad) / factor)
    x1 = min(float(w), (rect[0] + rect[2] - pad) / factor)
    y1 = min(float(h), (rect[1] + rect[3] - pad) / factor)
    if x1 - x0 < 1 or y1 - y0 < 1:  # wholly inside the margin
        return None
    return Box(x=int(x0), y=int(y0), width=max(1, round(x1 - x0)), height=max(1, round(y1 - y0)))

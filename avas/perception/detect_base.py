"""The Detector seam: find people, faces, ... in one frame, with boxes and confidences.

detector: Detector = HogPeopleDetector(width_px=480)
found = detector.detect(frame)   # -> FrameDetections(detections=[Detection(label="person")])

Boxes are in the pixel coordinates of the frame that was passed in, whatever size the detector
works at internally. Per-event summaries (`summarize`) turn frame results into event signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from avas.ingest.base import Frame


class Box(BaseModel):
    """Axis-aligned box, pixels of the frame given to the detector."""

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)

    @property
    def area(self) -> int:
        return self.width * self.height


class Detection(BaseModel):
    label: str = Field(description="what was found, e.g. 'person', 'face'")
    confidence: float = Field(ge=0, le=1)
    box: Box


class FrameDetections(BaseModel):
    """Everything one detector found in one frame (an empty list is a real 'none found')."""

    ts_ms: int = Field(ge=0)
    model_id: str
    frame_width: int = Field(gt=0)
    frame_height: int = Field(gt=0)
    detections: list[Detection] = Field(default_factory=list)

    def count(self, label: str) -> int:
        return sum(d.label == label for d in self.detections)


class Detector(Protocol):
    model_id: str
    label: str  # the one label this detector reports, e.g. "person"
    signal: str  # the event signal holding the most seen at once, e.g. "people"

    def detect(self, frame: Frame) -> FrameDetections: ...


def non_max_suppression(
    boxes: npt.NDArray[np.float64],
    scores: npt.NDArray[np.float64],
    max_overlap: float,
    *,
    columns: bool = False,
) -> list[int]:
    """Indices of the boxes kept, best score first. boxes: N x 4 as (x, y, width, height).

    Overlap is intersection over the *smaller* box, not IoU: sliding-window detectors report a
    person as a box plus smaller boxes inside it, which IoU would keep as extra people. With
    ``columns``, overlap is measured along x only (over the narrower box): a standing person's
    head-and-torso and legs boxes are one person; people one behind another count once.
    """
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    keep: list[int] = []
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = boxes[:, 2] * boxes[:, 3]
    while order:
        best = order.pop(0)
        keep.append(best)
        survivors = []
        for other in order:
            w = max(0.0, min(x2[best], x2[other]) - max(x1[best], x1[other]))
            if columns:
                overlap = w / max(1e-9, min(boxes[best, 2], boxes[other, 2]))
            else:
                h = max(0.0, min(y2[best], y2[other]) - max(y1[best], y1[other]))
                overlap = w * h / max(1e-9, min(area[best], area[other]))
            if overlap <= max_overlap:
                survivors.append(other)
        order = survivors
    return keep


def frames_to_check(count: int, every_n: int) -> list[int]:
    """Indices of an event's frames a detector runs on: every n-th, always the first one."""
    return list(range(0, count, max(1, every_n)))


def detect_event(
    frames: Sequence[Frame], detectors: Sequence[Detector], *, every_n: int = 1
) -> dict[str, float]:
    """Event signals: per detector, the most of its label seen at once in the checked frames."""
    signals: dict[str, float] = {}
    for detector in detectors:
        counts = [
            detector.detect(frames[i]).count(detector.label)
            for i in frames_to_check(len(frames), every_n)
        ]
        signals[detector.signal] = float(max(counts, default=0))
    return signals

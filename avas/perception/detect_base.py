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
from avas.perception.ocr_tracker import grey_thumb


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

    def smallest_share(self, width: int, height: int) -> float:
        """Share of a width x height frame covered by the smallest thing this detector finds."""
        ...


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


# A checked frame whose picture has not changed since the last frame a detector ran on reuses
# that frame's count. "Changed" is a share of thumbnail pixels, not a mean grey change: a person at
# the people detector's smallest walking into a still scene moves the mean by only ~2 grey levels.
# A detector runs again once the changed share reaches half the share of the smallest thing it
# finds (a person half in view; about 3% of a 640x360 frame for HOG, 0.35% for a 40 px face).
CHANGED_PIXEL_DELTA = 20  # grey levels (0-255) a thumbnail pixel must move to count as changed
REFRESH_MS = 10_000  # counts are never carried longer than this: the detectors run again


def changed_share(a: npt.NDArray[np.int16], b: npt.NDArray[np.int16]) -> float:
    """Share of the pixels of two grey thumbnails that moved by more than CHANGED_PIXEL_DELTA."""
    return float((np.abs(a - b) > CHANGED_PIXEL_DELTA).mean())


def detect_event(
    frames: Sequence[Frame],
    detectors: Sequence[Detector],
    *,
    every_n: int = 1,
    refresh_ms: int = REFRESH_MS,
) -> dict[str, float]:
    """Event signals: per detector, the most of its label seen at once in the checked frames.

    Each detector runs on the event's first checked frame; on a later one only if the picture
    changed since the frame it last ran on by at least half the share of the smallest thing it
    finds (``changed_share``), or ``refresh_ms`` passed; otherwise it carries that count forward.
    A still scene holds the same people and faces, and the detectors were the largest CPU cost of
    ingest on real footage (benchmarks/README.md, issue 15).
    """
    best = [0] * len(detectors)
    anchors: list[tuple[npt.NDArray[np.int16], int, int] | None] = [None] * len(detectors)
    for i in frames_to_check(len(frames), every_n):
        frame = frames[i]
        thumb = grey_thumb(frame)
        h, w = frame.rgb.shape[:2]
        for k, detector in enumerate(detectors):
            anchor = anchors[k]  # (thumbnail, time, count) where this detector last ran
            if (
                anchor is None
                or frame.ts_ms - anchor[1] >= refresh_ms
                or changed_share(thumb, anchor[0]) >= detector.smallest_share(w, h) / 2
            ):
                anchor = (thumb, frame.ts_ms, detector.detect(frame).count(detector.label))
                anchors[k] = anchor
            best[k] = max(best[k], anchor[2])
    return {d.signal: float(b) for d, b in zip(detectors, best, strict=True)}

"""On-screen text with RapidOCR (ONNX det/rec models ship inside the wheel).

reader = RapidTextReader(min_confidence=0.6)
reader.read(rgb)  # -> [TextLine(...)] top to bottom
"""

from __future__ import annotations

from typing import Any

import numpy as np

from avas.errors import DependencyError
from avas.ingest.base import RGBImage
from avas.perception.base import TextLine


class RapidTextReader:
    model_id = "rapidocr-onnxruntime/ppocr-v4"

    def __init__(self, *, min_confidence: float = 0.6, threads: int = 2) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - part of the default install
            raise DependencyError("rapidocr-onnxruntime is not installed") from exc
        # Frames arrive already downscaled (640 px); RapidOCR's default would upscale them so
        # the short side is 736 px, costing 2.5x the time and memory for no better reading.
        self._engine: Any = RapidOCR(
            det_limit_type="max", det_limit_side_len=960, intra_op_num_threads=threads
        )
        self.min_confidence = min_confidence

    def read(self, rgb: RGBImage) -> list[TextLine]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # RapidOCR expects OpenCV's BGR order
        result, _ = self._engine(bgr)
        if not result:
            return []
        boxes = [
            _Box(box, " ".join(str(text).split()), float(score))
            for box, text, score in result
            if float(score) >= self.min_confidence and str(text).strip()
        ]
        return [line for line in (_join(row) for row in _rows(boxes)) if line.text]


class _Box:
    """One detected text box; ``top``/``bottom``/``left`` from its four corner points."""

    def __init__(self, points: list[list[float]], text: str, score: float) -> None:
        ys = [p[1] for p in points]
        self.top, self.bottom = min(ys), max(ys)
        self.left = min(p[0] for p in points)
        self.text, self.score = text, score


def _rows(boxes: list[_Box]) -> list[list[_Box]]:
    """Group boxes that share a text line (vertical centres within half a box height).

    The detector often splits one line into several boxes ("LOADING" + "DOCK B"); reading them
    as one line, left to right, restores the phrase.
    """
    rows: list[list[_Box]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        centre = (box.top + box.bottom) / 2
        if rows:
            last = rows[-1][0]
            if abs(centre - (last.top + last.bottom) / 2) <= (last.bottom - last.top) / 2:
                rows[-1].append(box)
                continue
        rows.append([box])
    return [sorted(row, key=lambda b: b.left) for row in rows]


def _join(row: list[_Box]) -> TextLine:
    return TextLine(
        text=" ".join(b.text for b in row),
        confidence=round(min(b.score for b in row), 4),
    )

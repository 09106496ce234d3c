"""Which sampled frames get OCR: the ones whose picture changed, plus each event's first.

tracker = TextChangeTracker(reader, change_threshold=4.0, min_interval_ms=2_000)
lines = tracker.read(frame, first_of_event=True)   # read; later unchanged frames reuse it
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from avas.ingest.base import Frame
from avas.perception.base import TextLine, TextReader


def grey_thumb(frame: Frame) -> npt.NDArray[np.int16]:
    """A 160x90 grey thumbnail: enough to see that a picture changed, cheap to compare."""
    grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (160, 90), interpolation=cv2.INTER_AREA).astype(np.int16)


@dataclass
class TextChangeTracker:
    """Reads text only on frames that changed; an unchanged frame shows what was last read."""

    reader: TextReader
    change_threshold: float
    min_interval_ms: int
    # Moving footage (people walking, cars) changes every frame while its text stays the same:
    # each read that finds the same lines as the last doubles the wait before the next change is
    # read, up to this; a read that finds new lines, or an event's first frame, resets it.
    max_interval_ms: int = 0
    frames_read: int = 0
    _thumb: npt.NDArray[np.int16] | None = None
    _read_at_ms: int = -(10**9)
    _lines: list[TextLine] = field(default_factory=list)
    _interval_ms: int = 0

    def read(self, frame: Frame, *, first_of_event: bool = False) -> list[TextLine]:
        thumb = grey_thumb(frame)
        changed = self._thumb is None or (
            float(np.abs(thumb - self._thumb).mean()) >= self.change_threshold
        )
        interval = max(self.min_interval_ms, self._interval_ms)
        due = frame.ts_ms - self._read_at_ms >= interval
        # An event's first frame is always read: a new shot can change only in hue and a letter
        # ("LOADING DOCK B" on purple -> "... C" on blue), below the grey change threshold.
        if first_of_event or (changed and due):
            lines = self.reader.read(frame.rgb)
            same = [t.text for t in lines] == [t.text for t in self._lines]
            if first_of_event or not same:
                self._interval_ms = self.min_interval_ms
            else:
                self._interval_ms = min(
                    max(self.max_interval_ms, self.min_interval_ms), 2 * interval
                )
            self._lines = lines
            self._thumb = thumb
            self._read_at_ms = frame.ts_ms
            self.frames_read += 1
        return self._lines

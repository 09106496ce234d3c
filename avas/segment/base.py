"""The Segmenter seam: push frames as they arrive, flush at the end of the stream.

for frame in source.frames():
    for window in segmenter.push(frame): handle(window)
for window in segmenter.flush(end_ms): handle(window)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from avas.ingest.base import Frame
from graph_schema import TimeSpan


@dataclass(slots=True)
class EventWindow:
    """A closed run of frames that becomes one event. ``motion`` holds per-frame change (0-255).

    ``cut``: the window ended at a shot cut (not at the length limit or the stream's end).
    ``partial``: a live stream dropped (or was stopped) while the window was open.
    """

    span: TimeSpan
    frames: list[Frame] = field(default_factory=list)
    motion: list[float] = field(default_factory=list)
    cut: bool = False
    partial: bool = False


class Segmenter(Protocol):
    def push(self, frame: Frame) -> list[EventWindow]: ...

    def flush(self, end_ms: int) -> list[EventWindow]: ...

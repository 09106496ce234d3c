"""What an ingest reports: progress while it runs, and a report when it ends.

Below the pipeline, so the pipeline, live status and the interfaces all import it downward.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from avas.ingest.base import Gap


class IngestReport(BaseModel):
    video_id: str
    duration_ms: int | None
    media_ms: int = Field(description="media time processed by this run")
    events: int
    events_skipped: int
    events_merged: int = Field(0, description="events folded into the one before them")
    speech_segments: int
    texts: int
    frames_sampled: int
    frames_ocr: int
    seconds: float
    resumed_from_ms: int = 0
    stopped: str | None = Field(None, description="why the input ended early, if it did")
    gaps: list[Gap] = Field(default_factory=list)

    @property
    def x_realtime(self) -> float:
        return self.media_ms / 1000 / self.seconds if self.seconds > 0 else 0.0


class Progress(BaseModel):
    video_id: str
    media_ms: int
    total_ms: int | None
    events: int
    elapsed_s: float


ProgressFn = Callable[[Progress], None]

"""One status record for a live ingest: the stream's connection plus what has been committed.

    watch = StreamWatch(source, resumed_from_ms=0)
    pipeline.run(source, progress=watch.on_progress)    # meanwhile, from any thread:
    watch.status()   # -> StreamStatus(state="connected", lag_s=6.2, events=3, ...)

``lag_s`` is stream time received but not yet committed as events: how far the store trails
the camera (a live stream arrives at the speed of the clock, so it is also seconds of delay).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from avas.ingest.live_source import LiveSource
    from avas.ingest.progress import Progress


@dataclass(frozen=True, slots=True)
class StreamBreak:
    """A live stream dropped after ``ts_ms``: the window open then ends there (a partial event),
    committed before the source waits to reconnect."""

    ts_ms: int
    reason: str


class StreamStatus(BaseModel):
    uri: str
    state: Literal["connecting", "connected", "reconnecting", "ended"]
    lag_s: float | None
    events: int
    events_per_min: float
    reconnects: int
    dropped_frames: int
    last_error: str | None
    elapsed_s: float

    def line(self) -> str:
        """The one-line form the terminal shows."""
        lag = f"lag {self.lag_s:.1f} s" if self.lag_s is not None else "lag -"
        parts = [
            f"{self.uri} {self.state}",
            lag,
            f"{self.events} events ({self.events_per_min:.1f}/min)",
        ]
        if self.reconnects:
            parts.append(f"{self.reconnects} reconnects")
        if self.dropped_frames:
            parts.append(f"{self.dropped_frames} frames dropped")
        if self.last_error:
            parts.append(f"last error: {self.last_error}")
        return " · ".join(parts)


class StreamWatch:
    def __init__(self, source: LiveSource, *, resumed_from_ms: int = 0) -> None:
        self.source = source
        # A stream that comes back continues its stored timeline: progress is shifted by this.
        self.offset_ms = resumed_from_ms
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._events = 0
        self._committed_ms: int | None = None
        self._ended = False

    def on_progress(self, progress: Progress) -> None:
        with self._lock:
            self._events += 1
            self._committed_ms = progress.media_ms - self.offset_ms

    def finish(self) -> None:
        self._ended = True

    def status(self) -> StreamStatus:
        live = self.source.status()
        thread = self.source.thread
        if self._ended or (thread is not None and not thread.is_alive() and not live.connected):
            state: Literal["connecting", "connected", "reconnecting", "ended"] = "ended"
        elif live.connected:
            state = "connected"
        elif live.last_media_ms is None:
            state = "connecting"
        else:
            state = "reconnecting"
        elapsed = time.monotonic() - self._started
        with self._lock:
            events, committed = self._events, self._committed_ms
        lag = None
        if live.last_media_ms is not None:
            lag = max(0, live.last_media_ms - (committed or 0)) / 1000
        return StreamStatus(
            uri=self.source.uri,
            state=state,
            lag_s=round(lag, 1) if lag is not None else None,
            events=events,
            events_per_min=round(events / (elapsed / 60), 2) if elapsed > 0 else 0.0,
            reconnects=live.reconnects,
            dropped_frames=live.dropped_frames,
            last_error=live.last_error,
            elapsed_s=round(elapsed, 1),
        )

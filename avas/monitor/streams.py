"""What both monitors keep per stream: the one-process ``Monitor`` and the Ray one
(``avas.cluster.monitor``) name, open and count their streams here, so a fix serves both.

    specs = plan_streams(["udp://0.0.0.0:5000", "cam2.mp4"])   # names, video ids, checked
    stream = WatchedStream.from_spec(specs[0])
    stream.committed(event.span.end_ms, time.monotonic())      # after each commit
    stream.status()                                            # what the status file reports
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from avas.config import IngestSettings, MonitorSettings
from avas.errors import InputError
from avas.ingest import is_live_uri
from avas.ingest.base import Gap, MediaSource
from avas.ingest.ids import live_video_id, validate_video_id
from avas.monitor.state import StreamState, StreamStatus

RATE_WINDOW_S = 300.0  # events_per_min counts the commits of the last five minutes


@dataclass(frozen=True)
class StreamSpec:
    """One source to watch: its name, where it comes from, the video id it is stored under."""

    name: str
    uri: str
    video_id: str
    is_live: bool


def check_sources(sources: Sequence[str | Path]) -> None:
    """Refuse no source, or a path that is neither a file nor a live URL (before models load)."""
    if not sources:
        raise InputError("give at least one stream URL or file to monitor")
    for source in sources:
        if not is_live_uri(str(source)) and not Path(source).expanduser().is_file():
            raise InputError(f"not a file or a live URL: {source}")


def plan_streams(
    sources: Sequence[str | Path],
    names: Sequence[str] | None = None,
    *,
    taken: Sequence[str] = (),
    absolute_paths: bool = False,
) -> list[StreamSpec]:
    """Each source's stream: a live stream's video id is its name (default ``live-<address>``),
    so a restarted monitor continues its stored timeline; a file replay gets a fresh, dated id.

    ``taken``: names already watched. ``absolute_paths``: a file's uri is made absolute (a Ray
    actor does not share the driver's working directory)."""
    if names is not None and len(names) != len(sources):
        raise InputError(f"{len(names)} names for {len(sources)} sources")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    specs: list[StreamSpec] = []
    used = set(taken)
    for i, source in enumerate(sources):
        uri = str(source)
        live = is_live_uri(uri)
        if live:
            name = validate_video_id(names[i] if names else live_video_id(uri))
            video_id = name
        else:
            path = Path(uri).expanduser()
            if not path.is_file():
                raise InputError(f"not a file or a live URL: {uri}")
            name = validate_video_id(names[i] if names else slug(path.stem))
            video_id = validate_video_id(f"{name[:60]}-{stamp}")
            if absolute_paths:
                uri = str(path.resolve())
        if name in used:
            raise InputError(f"two streams named {name!r}: give each its own name")
        used.add(name)
        specs.append(StreamSpec(name=name, uri=uri, video_id=video_id, is_live=live))
    return specs


def slug(text: str) -> str:
    """``text`` made a valid video id (a file stem may hold spaces and other characters)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:60] or "video"


def open_stream(
    uri: str, *, is_live: bool, ingest: IngestSettings, monitor: MonitorSettings
) -> MediaSource:
    """A live URL as a source that reconnects with backoff; a file replayed at the speed of
    the clock, as a camera would deliver it."""
    if not is_live:
        from avas.ingest import open_source

        return open_source(uri, ingest, realtime=True)
    from avas.ingest.live_source import LiveSource  # decoder threads: only for a live stream

    return LiveSource(
        uri,
        sample_fps=ingest.sample_fps,
        max_side_px=ingest.max_side_px,
        open_timeout_s=monitor.read_timeout_s,
        max_reconnects=monitor.max_reconnects,
        backoff_s=monitor.reconnect_backoff_s,
        max_backoff_s=monitor.max_backoff_s,
    )


@dataclass
class WatchedStream:
    """A stream's counters, as both monitors keep them; each adds what its own way needs."""

    name: str
    uri: str
    video_id: str
    is_live: bool
    state: StreamState = "connecting"
    events: int = 0
    alerts: int = 0
    restarts: int = 0
    last_media_ms: int | None = None
    last_error: str | None = None
    # Commit instants (time.monotonic()), bounded: a camera is watched for months.
    commits: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_spec(cls, spec: StreamSpec) -> Self:
        return cls(name=spec.name, uri=spec.uri, video_id=spec.video_id, is_live=spec.is_live)

    def committed(self, end_ms: int, now: float) -> None:
        """One event committed, ending at media time ``end_ms`` of the stored timeline."""
        self.events += 1
        self.commits.append(now)
        self.last_media_ms = end_ms

    def events_per_min(self, now: float) -> float:
        """Commits per wall-clock minute over the last five minutes (or since the start)."""
        window_s = min(RATE_WINDOW_S, max(1.0, now - self.started))
        recent = sum(1 for t in list(self.commits) if now - t <= window_s)
        return round(recent * 60 / window_s, 2)

    def status(
        self,
        *,
        now: float | None = None,
        source_connected: bool = True,
        source_error: str | None = None,
        lag_s: float | None = None,
        reconnects: int = 0,
        dropped_frames: int = 0,
        gaps: Sequence[Gap] = (),
        pruned_events: int = 0,
    ) -> StreamStatus:
        """The stream's status; ``source_*``: what its source reports, where it can."""
        return StreamStatus(
            name=self.name,
            uri=self.uri,
            video_id=self.video_id,
            state=self.state,
            connected=self.state == "running" and source_connected,
            last_media_ms=self.last_media_ms,
            lag_s=lag_s,
            events=self.events,
            events_per_min=self.events_per_min(time.monotonic() if now is None else now),
            alerts=self.alerts,
            reconnects=reconnects,
            restarts=self.restarts,
            dropped_frames=dropped_frames,
            last_error=source_error or self.last_error,
            gaps=list(gaps),
            pruned_events=pruned_events,
        )

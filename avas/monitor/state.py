"""What a running monitor tells other processes: its streams' status and its alerts, as files.

    write_status(state_dir, statuses)              # the monitor, every few seconds (atomic)
    read_streams(state_dir); recent_alerts(state_dir / ALERT_LOG, limit=50)   # `avas serve`

Why files: `avas monitor` and `avas serve` are separate processes (a camera monitor runs for
months; the API restarts freely), and both already share AVAS_HOME and the store. Each monitor
process rewrites ``streams-<pid>.json`` (write + rename, so a reader never sees half a file) and
appends every alert to ``alerts.jsonl``; readers only read. A crashed monitor's file stays behind
and is reported as stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from avas.config import Settings
from avas.ingest.base import Gap

STATUS_GLOB = "streams-*.json"
ALERT_LOG = "alerts.jsonl"

StreamState = Literal["connecting", "running", "reconnecting", "finished", "stopped"]


class StreamStatus(BaseModel):
    name: str
    uri: str
    video_id: str
    state: StreamState
    connected: bool
    last_media_ms: int | None = Field(None, description="end of the last committed event")
    lag_s: float | None = Field(
        None, description="last event: from its last frame's arrival to its commit"
    )
    events: int
    events_per_min: float = Field(description="commits per wall-clock minute, last 5 minutes")
    alerts: int
    reconnects: int
    restarts: int = Field(description="times the ingest itself was reopened")
    dropped_frames: int
    last_error: str | None
    gaps: list[Gap] = Field(description="media time lost to disconnections, stored timeline")
    pruned_events: int = Field(0, description="events rolled into summaries by retention")


class MonitorStatusFile(BaseModel):
    pid: int
    updated_at: datetime
    interval_s: float = Field(description="how often the monitor rewrites this file")
    streams: list[StreamStatus]


class MonitoredStream(StreamStatus):
    """A stream as the API reports it: its status plus which monitor reported it, and when."""

    monitor_pid: int
    updated_at: datetime
    stale: bool = Field(
        description="the monitor stopped rewriting its status (it crashed or hangs): the rest "
        "is its last word"
    )


def state_dir_for(settings: Settings) -> Path:
    """Where monitors started with these settings write their status and alert log."""
    return settings.monitor.state_dir or settings.home / "monitor"


def status_path(state_dir: Path, pid: int | None = None) -> Path:
    return state_dir / f"streams-{os.getpid() if pid is None else pid}.json"


def write_status(state_dir: Path, streams: list[StreamStatus], *, interval_s: float) -> Path:
    """Atomically replace this process's status file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    doc = MonitorStatusFile(
        pid=os.getpid(), updated_at=datetime.now(UTC), interval_s=interval_s, streams=streams
    )
    path = status_path(state_dir)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(doc.model_dump_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def remove_status(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        status_path(state_dir).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def read_streams(state_dir: Path, *, now: datetime | None = None) -> list[MonitoredStream]:
    """Every stream of every monitor that wrote a status file here, by monitor then name."""
    now = now or datetime.now(UTC)
    found: list[MonitoredStream] = []
    for path in sorted(state_dir.glob(STATUS_GLOB)):
        try:
            doc = MonitorStatusFile.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            continue  # vanished between glob and read, or not ours
        late = now - doc.updated_at > timedelta(seconds=3 * doc.interval_s + 5)
        stale = late or not _alive(doc.pid)
        found += [
            MonitoredStream(
                **s.model_dump(), monitor_pid=doc.pid, updated_at=doc.updated_at, stale=stale
            )
            for s in doc.streams
        ]
    return found


# -- the alert log ------------------------------------------------------------------------------


def rotate_if_large(path: Path, max_bytes: int) -> None:
    """Keep the log bounded: past ``max_bytes`` it becomes ``<name>.1`` (one generation kept)."""
    try:
        if path.stat().st_size > max_bytes:
            os.replace(path, path.with_name(path.name + ".1"))
    except FileNotFoundError:
        pass


def _parse(line: bytes) -> dict[str, object] | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None  # a line being written, or damage: skip it
    return doc if isinstance(doc, dict) else None


def recent_alerts(path: Path, *, limit: int) -> list[dict[str, object]]:
    """The newest ``limit`` alerts, oldest first, read from the end of the log."""
    if limit <= 0 or not path.is_file():
        return []
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        block = 64 * 1024
        data = b""
        while size > 0 and data.count(b"\n") <= limit:
            step = min(block, size)
            size -= step
            fh.seek(size)
            data = fh.read(step) + data
    lines = data.split(b"\n")
    if size > 0:
        lines = lines[1:]  # the first is cut
    docs = [d for line in lines if line.strip() if (d := _parse(line)) is not None]
    return docs[-limit:]


class AlertTail:
    """The alert log read forward from where it ended when the tail was made, across a
    rotation: each ``read_new()`` returns the complete alert lines appended since the last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        st = path.stat() if path.is_file() else None
        self._offset: int = st.st_size if st is not None else 0
        self._ino: int | None = st.st_ino if st is not None else None
        self._pending = b""

    def read_new(self) -> list[dict[str, object]]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        if st.st_ino != self._ino or st.st_size < self._offset:
            # rotated: read the new file from its start
            self._ino, self._offset, self._pending = st.st_ino, 0, b""
        if st.st_size <= self._offset:
            return []
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read(st.st_size - self._offset)
        self._offset += len(chunk)
        *complete, self._pending = (self._pending + chunk).split(b"\n")
        return [doc for line in complete if line.strip() and (doc := _parse(line)) is not None]


def follow_alerts(
    path: Path,
    *,
    poll_s: float = 0.5,
    stopped: Callable[[], bool] = lambda: False,
) -> Iterator[dict[str, object] | None]:
    """Alerts appended to the log from now on, as they come; yields None after each idle poll
    (callers send keep-alives then). Follows the log across a rotation."""
    tail = AlertTail(path)
    while not stopped():
        found = tail.read_new()
        yield from found
        if not found:
            yield None
            time.sleep(poll_s)


def format_status(st: StreamStatus) -> str:
    media = f"{st.last_media_ms / 1000:.0f}s" if st.last_media_ms is not None else "-"
    lag = f"{st.lag_s:.1f}s" if st.lag_s is not None else "-"
    return (
        f"[monitor] {st.name}: {st.state}{'' if st.connected else ' (disconnected)'} "
        f"media={media} lag={lag} events={st.events} ({st.events_per_min}/min) "
        f"alerts={st.alerts} reconnects={st.reconnects} gaps={len(st.gaps)} "
        f"dropped={st.dropped_frames} last_error={st.last_error or '-'}"
    )

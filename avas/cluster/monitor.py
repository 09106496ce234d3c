"""Camera streams on a Ray cluster: one actor per stream perceives, the driver commits and alerts.

    statuses = monitor_on_ray(service, ["udp://127.0.0.1:5000", "cam2.mp4"], rules=[...])

Each stream is an actor (one CPU, spread over the nodes) running ``IngestPipeline.records`` on
its source; the driver polls the actors, commits their records (the one writer of the store),
checks the rules, and raises alerts through the same sinks as ``avas monitor``: stdout, the alert
log that ``avas serve`` reads, a file, a webhook; it rewrites the status file behind
``GET /streams``. An actor whose process dies is restarted by Ray and told to go on after the
last committed event. Alerts carry no thumbnail: the frames stay on the actor's node.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from avas.config import MonitorSettings, Settings
from avas.ingest import is_live_uri
from avas.ingest.base import AudioChunk, Frame, Gap, MediaSource, SourceInfo
from avas.monitor.alerts import AlertSink
from avas.monitor.checker import AlertRaiser
from avas.monitor.rules import Rule
from avas.monitor.state import StreamState, StreamStatus, remove_status, write_status
from avas.monitor.streams import WatchedStream, open_stream, plan_streams
from avas.service import Service
from graph_schema import Event, EventRecord

from .commit import VideoCommitter
from .runtime import require_ray

log = logging.getLogger(__name__)


class StreamBatch(BaseModel):
    """What an actor has perceived since the last poll."""

    records: list[EventRecord]
    state: StreamState | None  # None: (re)started and not told where to begin
    error: str | None
    languages: dict[str, int]
    pid: int


class _Shifted:
    """A live source on the stored timeline: its clock restarts at 0 with every connection."""

    def __init__(self, inner: MediaSource, offset_ms: int) -> None:
        self.inner = inner
        self.offset_ms = offset_ms

    @property
    def info(self) -> SourceInfo:
        return self.inner.info

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        for frame in self.inner.frames(0):
            yield Frame(ts_ms=frame.ts_ms + self.offset_ms, rgb=frame.rgb)

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        for chunk in self.inner.audio(0):
            yield AudioChunk(chunk.start_ms + self.offset_ms, chunk.samples)

    def gaps(self) -> list[Gap]:
        return self.inner.gaps()

    def close(self) -> None:
        self.inner.close()


class StreamWorker:
    """The body of a stream's actor: perceive from ``start`` on, hand records out on ``take``."""

    def __init__(self, settings: Settings, uri: str, video_id: str, merge: bool) -> None:
        self.settings = settings
        self.uri = uri
        self.video_id = video_id
        self.merge = merge
        self._lock = threading.Lock()
        self._records: list[EventRecord] = []
        self._state: StreamState | None = None
        self._error: str | None = None
        self._languages: Counter[str] = Counter()
        self._source: MediaSource | None = None
        self._thread: threading.Thread | None = None

    def start(self, from_ms: int, previous: Event | None) -> int:
        self._state = "connecting"
        self._thread = threading.Thread(
            target=self._run, args=(from_ms, previous), name="avas-stream", daemon=True
        )
        self._thread.start()
        return os.getpid()

    def take(self) -> StreamBatch:
        with self._lock:
            records, self._records = self._records, []
            languages, self._languages = dict(self._languages), Counter()
            return StreamBatch(
                records=records,
                state=self._state,
                error=self._error,
                languages=languages,
                pid=os.getpid(),
            )

    def stop(self) -> None:
        if self._source is not None:
            self._source.close()  # the pipeline ends after what it holds
        if self._thread is not None:
            self._thread.join(30)
        self._state = "stopped"

    def _run(self, from_ms: int, previous: Event | None) -> None:
        from avas.pipeline import RunStats

        from .tasks import worker_pipeline

        settings, ingest = self.settings, self.settings.ingest
        stats = RunStats()
        try:
            with worker_pipeline(settings, "avas-stream-") as pipeline:
                live = is_live_uri(self.uri)
                opened = open_stream(
                    self.uri, is_live=live, ingest=ingest, monitor=settings.monitor
                )
                # A file replay's clock is the file's; a live one restarts with each connection.
                source: MediaSource = _Shifted(opened, from_ms) if live else opened
                self._source = source
                self._state = "running"
                try:
                    for record in pipeline.records(
                        source,
                        video_id=self.video_id,
                        from_ms=from_ms,
                        previous=previous,
                        merge=self.merge,
                        stats=stats,
                    ):
                        with self._lock:
                            self._records.append(record)
                finally:
                    source.close()
            with self._lock:
                self._languages.update(stats.languages)
                self._state = "finished"
        except Exception as exc:  # reported to the driver, which restarts the stream
            log.exception("stream %s failed", self.uri)
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"
                self._state = "finished"


@dataclass
class _Stream(WatchedStream):
    actor: Any = None
    committer: VideoCommitter | None = None
    pid: int | None = None
    languages: Counter[str] = field(default_factory=Counter)


def monitor_on_ray(
    service: Service,
    sources: Sequence[str],
    rules: Sequence[Rule],
    sinks: Sequence[AlertSink],
    *,
    names: Sequence[str] | None = None,
    settings: MonitorSettings | None = None,
    poll_s: float = 0.5,
    stop: threading.Event | None = None,
) -> list[StreamStatus]:
    """Watch every source until all file replays end (live streams: until ``stop`` is set or
    Ctrl-C); returns the final statuses. The caller has joined the cluster."""
    ray = require_ray()
    settings = settings or service.settings.monitor
    stop = stop or threading.Event()
    streams = [_Stream.from_spec(p) for p in plan_streams(sources, names, absolute_paths=True)]
    state_dir = settings.state_dir or service.settings.home / "monitor"
    raiser = AlertRaiser.for_monitor(rules, service.embedder, sinks, settings, state_dir)
    worker = ray.remote(StreamWorker).options(
        num_cpus=1, max_restarts=-1, max_task_retries=-1, scheduling_strategy="SPREAD"
    )
    settings_ref = ray.put(service.settings)
    for s in streams:
        s.committer = VideoCommitter(
            service, s.video_id, _stream_info(s, service), merge=settings.merge_events
        )
        s.committer.begin()
        s.actor = worker.remote(settings_ref, s.uri, s.video_id, settings.merge_events)

    next_status = 0.0
    try:
        while not stop.is_set():
            for s in streams:
                if s.state in ("finished", "stopped"):
                    continue
                _poll(ray, s, raiser)
            if time.monotonic() >= next_status:
                write_status(state_dir, [s.status() for s in streams], interval_s=poll_s * 4)
                next_status = time.monotonic() + settings.state_interval_s
            if all(s.state in ("finished", "stopped") for s in streams):
                break
            stop.wait(poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        for s in streams:
            if s.state not in ("finished",):
                try:
                    ray.get(s.actor.stop.remote(), timeout=60)
                    _poll(ray, s, raiser)  # what the stream held when it stopped
                except Exception:
                    log.exception("monitor %s: stopping failed", s.name)
                s.state = "stopped"
            ray.kill(s.actor)
            if s.committer is not None:
                s.committer.finish(s.languages, stopped=s.is_live)
        remove_status(state_dir)
        raiser.close()
    return [s.status() for s in streams]


def _poll(ray: Any, s: _Stream, raiser: AlertRaiser) -> None:
    assert s.committer is not None
    try:
        batch: StreamBatch = ray.get(s.actor.take.remote(), timeout=60)
    except ray.exceptions.GetTimeoutError:
        return
    except ray.exceptions.RayError as exc:  # its process died: Ray restarts the actor
        s.state = "reconnecting"
        s.last_error = f"stream worker lost: {type(exc).__name__}"
        return
    if batch.state is None or (s.pid is not None and batch.pid != s.pid):
        # A new actor process (first start, or Ray restarted a dead one): go on from the store.
        if s.pid is not None:
            s.restarts += 1
            s.last_error = s.last_error or "stream worker restarted"
        previous = s.committer.previous
        if batch.state is None:
            s.pid = ray.get(s.actor.start.remote(previous.span.end_ms if previous else 0, previous))
        else:
            s.pid = batch.pid
        s.state = "running"
        return
    for record in batch.records:
        s.committer.add([record], [False])
        s.committed(record.event.span.end_ms, time.monotonic())
        raiser.check(s, record)  # no keyframe: the frames stay on the actor's node
    s.languages.update(batch.languages)
    s.last_error = batch.error or s.last_error
    if batch.state == "finished" and not batch.records:
        if batch.error and s.is_live:  # a live stream is reopened; a file replay ends
            s.restarts += 1
            previous = s.committer.previous
            s.pid = ray.get(s.actor.start.remote(previous.span.end_ms if previous else 0, previous))
        else:
            s.state = "finished"


def _stream_info(s: _Stream, service: Service) -> SourceInfo:
    if s.is_live:
        return SourceInfo(
            uri=s.uri, is_live=True, duration_ms=None, width=0, height=0, fps=0, has_audio=False
        )
    from avas.ingest.probe import probe_video

    return probe_video(s.uri, service.settings.ingest)

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
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from avas.config import MonitorSettings, Settings
from avas.errors import InputError
from avas.ingest import is_live_uri
from avas.ingest.base import AudioChunk, Frame, Gap, MediaSource, SourceInfo
from avas.ingest.ids import live_video_id, validate_video_id
from avas.monitor.alerts import Alert, AlertGate, AlertSink, FileSink
from avas.monitor.rules import Rule, RuleEvaluator
from avas.monitor.state import ALERT_LOG, StreamState, StreamStatus, remove_status, write_status
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
        from avas.graph.networkx_store import NetworkxEventStore
        from avas.ingest import open_source
        from avas.ingest.live_source import LiveSource
        from avas.pipeline import IngestPipeline, RunStats

        from .tasks import _components

        settings, ingest = self.settings, self.settings.ingest
        svc = _components(settings)
        stats = RunStats()
        try:
            with tempfile.TemporaryDirectory(prefix="avas-stream-") as scratch_dir:
                # The pipeline wants a store for its linker; records() never touches it.
                scratch = NetworkxEventStore(Path(scratch_dir) / "unused.sqlite")
                source: MediaSource
                if is_live_uri(self.uri):
                    m = settings.monitor
                    live = LiveSource(
                        self.uri,
                        sample_fps=ingest.sample_fps,
                        max_side_px=ingest.max_side_px,
                        open_timeout_s=m.read_timeout_s,
                        max_reconnects=m.max_reconnects,
                        backoff_s=m.reconnect_backoff_s,
                        max_backoff_s=m.max_backoff_s,
                    )
                    source = _Shifted(live, from_ms)
                else:  # a file replayed at the speed of the clock, like a camera
                    source = open_source(self.uri, ingest, realtime=True)
                self._source = source
                pipeline = IngestPipeline(
                    settings,
                    scratch,
                    embedder=svc.embedder,
                    reader=svc.text_reader,
                    asr=svc.speech_recognizer,
                    captioner=svc.captioner,
                    image_embedder=svc.image_embedder,
                    detectors=svc.detectors,
                )
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
                    scratch.close()
            with self._lock:
                self._languages.update(stats.languages)
                self._state = "finished"
        except Exception as exc:  # reported to the driver, which restarts the stream
            log.exception("stream %s failed", self.uri)
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"
                self._state = "finished"


@dataclass
class _Stream:
    name: str
    uri: str
    video_id: str
    is_live: bool
    actor: Any = None
    committer: VideoCommitter | None = None
    pid: int | None = None
    state: StreamState = "connecting"
    events: int = 0
    alerts: int = 0
    restarts: int = 0
    last_media_ms: int | None = None
    last_error: str | None = None
    languages: Counter[str] = field(default_factory=Counter)
    commits: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


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
    streams = _streams(sources, names)
    evaluator = RuleEvaluator(rules, service.embedder)
    gate = AlertGate(max_gap_ms=settings.dedup_gap_ms)
    state_dir = settings.state_dir or service.settings.home / "monitor"
    all_sinks = [
        *sinks,
        FileSink(state_dir / ALERT_LOG, max_bytes=settings.alert_log_max_bytes),
    ]
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

    def alert(s: _Stream, record: EventRecord) -> None:
        event = record.event
        fired = evaluator.evaluate(record, stream=s.name, uri=s.uri)
        for rule in evaluator.rules:
            if not rule.watches(s.name, s.uri):
                continue
            if not gate.admit(rule, stream=s.name, span=event.span, fired=rule.id in fired):
                continue
            a = Alert(
                rule_id=rule.id,
                rule_description=rule.description,
                stream=s.name,
                uri=s.uri,
                video_id=s.video_id,
                event_id=event.id,
                span=event.span,
                keyframe_ms=event.keyframes_ms[0] if event.keyframes_ms else None,
                matched=fired[rule.id],
            )
            s.alerts += 1
            for sink in all_sinks:
                try:
                    sink.send(a)
                except Exception:
                    log.exception("monitor: alert sink %s failed", type(sink).__name__)

    next_status = 0.0
    try:
        while not stop.is_set():
            for s in streams:
                if s.state in ("finished", "stopped"):
                    continue
                _poll(ray, s, alert)
            if time.monotonic() >= next_status:
                write_status(state_dir, [_status(s) for s in streams], interval_s=poll_s * 4)
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
                    _poll(ray, s, alert)  # what the stream held when it stopped
                except Exception:
                    log.exception("monitor %s: stopping failed", s.name)
                s.state = "stopped"
            ray.kill(s.actor)
            if s.committer is not None:
                s.committer.finish(s.languages, stopped=s.is_live)
        remove_status(state_dir)
        for sink in all_sinks:
            sink.close()
    return [_status(s) for s in streams]


def _poll(ray: Any, s: _Stream, alert: Any) -> None:
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
        s.events += 1
        s.commits.append(time.monotonic())
        s.last_media_ms = record.event.span.end_ms
        alert(s, record)
    s.languages.update(batch.languages)
    s.last_error = batch.error or s.last_error
    if batch.state == "finished" and not batch.records:
        if batch.error and s.is_live:  # a live stream is reopened; a file replay ends
            s.restarts += 1
            previous = s.committer.previous
            s.pid = ray.get(s.actor.start.remote(previous.span.end_ms if previous else 0, previous))
        else:
            s.state = "finished"


def _streams(sources: Sequence[str], names: Sequence[str] | None) -> list[_Stream]:
    if names is not None and len(names) != len(sources):
        raise InputError(f"{len(names)} names for {len(sources)} sources")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    streams: list[_Stream] = []
    for i, uri in enumerate(sources):
        live = is_live_uri(uri)
        if live:
            name = validate_video_id(names[i] if names else live_video_id(uri))
            video_id = name
        else:
            path = Path(uri).expanduser()
            if not path.is_file():
                raise InputError(f"not a file or a live URL: {uri}")
            name = validate_video_id(names[i] if names else path.stem[:60])
            video_id = validate_video_id(f"{name[:60]}-{stamp}")
            uri = str(path.resolve())
        if any(s.name == name for s in streams):
            raise InputError(f"two streams named {name!r}: give each its own name")
        streams.append(_Stream(name=name, uri=uri, video_id=video_id, is_live=live))
    return streams


def _stream_info(s: _Stream, service: Service) -> SourceInfo:
    if s.is_live:
        return SourceInfo(
            uri=s.uri, is_live=True, duration_ms=None, width=0, height=0, fps=0, has_audio=False
        )
    from avas.ingest.probe import probe_video

    return probe_video(s.uri, service.settings.ingest)


def _status(s: _Stream) -> StreamStatus:
    now = time.monotonic()
    window_s = min(300.0, max(1.0, now - s.started))
    recent = sum(1 for t in s.commits if now - t <= window_s)
    return StreamStatus(
        name=s.name,
        uri=s.uri,
        video_id=s.video_id,
        state=s.state,
        connected=s.state == "running",
        last_media_ms=s.last_media_ms,
        lag_s=None,
        events=s.events,
        events_per_min=round(recent * 60 / window_s, 2),
        alerts=s.alerts,
        reconnects=0,
        restarts=s.restarts,
        dropped_frames=0,
        last_error=s.last_error,
        gaps=[],
    )

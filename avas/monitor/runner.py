"""Watch live streams (or files replayed in real time): ingest each, check rules, raise alerts.

    monitor = Monitor(service, [rule_from_text("a forklift")], [JsonLinesSink()], MonitorSettings())
    monitor.start(["udp://0.0.0.0:5000", "rtsp://cam2/stream"]); monitor.status(); monitor.stop()

One thread per stream runs ``service.pipeline.run`` over a ``LiveSource`` that reconnects
forever; each committed event is checked against the rules as it lands in the store. A stream
whose ingest ends anyway (its first open failed, a worker crashed) is reopened with backoff and
continues the same stored timeline. With ``keep_events_ms`` set, a housekeeping thread rolls
each stream's old segments into summaries and deletes their events
(``avas.knowledge.retention``); it also rewrites the status file and every alert is appended to
the alert log that ``avas serve`` reads (``avas.monitor.state``).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from avas.config import MonitorSettings
from avas.errors import AvasError
from avas.ingest.base import Gap, MediaSource
from avas.knowledge.retention import prune_video
from avas.monitor.alerts import Alert, AlertSink
from avas.monitor.checker import AlertRaiser
from avas.monitor.inputs import command_inputs
from avas.monitor.rules import Rule, RuleVerifier
from avas.monitor.state import StreamStatus, format_status, remove_status, write_status
from avas.monitor.streams import WatchedStream, open_stream, plan_streams
from avas.monitor.tap import Kept, TappedSource
from avas.service import Service
from graph_schema import EventRecord

__all__ = ["Monitor", "MonitorSettings", "StreamStatus", "format_status", "run_monitor"]

log = logging.getLogger(__name__)


@dataclass
class _Stream(WatchedStream):
    source: MediaSource | None = None
    offset_ms: int = 0  # media time of the current source's 0 in the stored timeline
    reconnects_before: int = 0
    dropped_before: int = 0
    lag_s: float | None = None
    pruned_events: int = 0
    gaps_before: list[Gap] = field(default_factory=list)
    thread: threading.Thread | None = None


class Monitor:
    """Ingests streams concurrently and raises alerts; ``stop()`` ends every stream cleanly."""

    def __init__(
        self,
        service: Service,
        rules: Sequence[Rule],
        sinks: Sequence[AlertSink],
        settings: MonitorSettings | None = None,
        *,
        verifier: RuleVerifier | None = None,
        status_out: TextIO | None = None,
    ) -> None:
        self.service = service
        self.settings = settings or MonitorSettings()
        self.status_out = status_out
        self.pipeline = service.pipeline  # loads the models now: a live stream does not wait
        self.alerts_dir = self.settings.alerts_dir or service.settings.home / "alerts"
        self.state_dir = self.settings.state_dir or service.settings.home / "monitor"
        # Every alert also lands in the shared log that `avas serve` reads (GET /alerts).
        self.raiser = AlertRaiser.for_monitor(
            rules, service.embedder, sinks, self.settings, self.state_dir, verifier=verifier
        )
        self.evaluator = self.raiser.evaluator
        self.gate = self.raiser.gate
        self.sinks = self.raiser.sinks  # the caller's, then the shared log
        self.alerts: deque[Alert] = deque(maxlen=1000)  # the latest, for callers and tests
        self._streams: list[_Stream] = []
        self._stop = threading.Event()
        self._reporter: threading.Thread | None = None
        self._keeper: threading.Thread | None = None

    @property
    def rules(self) -> list[Rule]:
        return self.evaluator.rules

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, sources: Sequence[str | Path], names: Sequence[str] | None = None) -> None:
        """Start one thread per source: a live URL, or a file replayed at the speed of the clock
        (names and video ids: ``plan_streams``)."""
        specs = plan_streams(sources, names, taken=[s.name for s in self._streams])
        self._streams += [_Stream.from_spec(spec) for spec in specs]
        for stream in self._streams:
            if stream.thread is None:
                stream.thread = threading.Thread(
                    target=self._run_stream, args=(stream,), name=f"avas-monitor {stream.name}"
                )
                stream.thread.start()
        if self.settings.status_interval_s > 0 and self._reporter is None:
            self._reporter = threading.Thread(
                target=self._report, name="avas-monitor-status", daemon=True
            )
            self._reporter.start()
        if self._keeper is None:
            self._keeper = threading.Thread(
                target=self._housekeep, name="avas-monitor-keeper", daemon=True
            )
            self._keeper.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until every stream ended (file replays finish; live streams only on stop)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        for stream in self._streams:
            if stream.thread is None:
                continue
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            stream.thread.join(left)
            if stream.thread.is_alive():
                return False
        return True

    def stop(self, timeout_s: float = 30) -> None:
        """Close every source: each ingest commits what it has (the open event too) and ends."""
        self._stop.set()
        for stream in self._streams:
            source = stream.source
            if source is not None:
                source.close()
        self.wait(timeout_s)
        if self._keeper is not None:
            self._keeper.join(timeout_s)
        remove_status(self.state_dir)  # nobody is watching these streams any more
        self.raiser.close()

    def status(self) -> list[StreamStatus]:
        return [self._status(s) for s in self._streams]

    # -- one stream --------------------------------------------------------------------------

    def _resume_offset(self, stream: _Stream) -> int:
        """Where the pipeline will place this source's time 0 (it continues a live timeline)."""
        store = self.pipeline.store
        video = store.get_video(stream.video_id)
        if video is None:
            return 0
        if stream.is_live and video.status != "ingesting":
            # A finished live ingest is reopened: the stream goes on, so does its timeline.
            store.upsert_video(video.model_copy(update={"status": "ingesting"}))
        events = store.events(stream.video_id)
        return events[-1].span.end_ms if events and stream.is_live else 0

    def _run_stream(self, stream: _Stream) -> None:
        ring = round(self.settings.frame_buffer_s * self.service.settings.ingest.sample_fps)
        keep = ring + 2 * self.service.settings.ingest.decode_batch  # + what prefetch holds
        failures = 0
        while not self._stop.is_set():
            stream.state = "connecting" if stream.restarts == 0 else "reconnecting"
            source: MediaSource | None = None
            try:
                source = open_stream(
                    stream.uri,
                    is_live=stream.is_live,
                    ingest=self.service.settings.ingest,
                    monitor=self.settings,
                )
                stream.source = source
                if self._stop.is_set():
                    break
                stream.offset_ms = self._resume_offset(stream)
                tapped = TappedSource(
                    source, keep=keep, max_side_px=self.settings.thumbnail_max_side_px
                )

                def on_event(record: EventRecord, tapped: TappedSource = tapped) -> None:
                    self._on_event(stream, tapped, record)

                stream.state = "running"
                report = self.pipeline.run(
                    tapped,
                    name=stream.video_id,
                    on_event=on_event,
                    merge=self.settings.merge_events,
                )
                failures = 0 if report.events else failures + 1
                if not stream.is_live:
                    stream.state = "finished"
                    return
                stream.last_error = report.stopped or stream.last_error
            except AvasError as exc:
                failures += 1
                stream.last_error = str(exc)
                log.warning("monitor %s: %s", stream.name, exc)
            except Exception as exc:  # one broken stream must not end the others
                failures += 1
                stream.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("monitor %s: ingest failed", stream.name)
            finally:
                if source is not None:
                    self._retire(stream, source)
            if not stream.is_live or (
                self.settings.max_reconnects is not None and failures > self.settings.max_reconnects
            ):
                break
            stream.restarts += 1
            wait = min(
                self.settings.reconnect_backoff_s * 2 ** max(0, failures - 1),
                self.settings.max_backoff_s,
            )
            if self._stop.wait(wait):
                break
        stream.state = "stopped" if self._stop.is_set() else "finished"

    def _retire(self, stream: _Stream, source: MediaSource) -> None:
        source.close()
        live = getattr(source, "status", None)
        if callable(live):
            st = live()
            stream.reconnects_before += st.reconnects
            stream.dropped_before += st.dropped_frames
        stream.gaps_before += self._shifted_gaps(stream, source)
        stream.source = None

    @staticmethod
    def _shifted_gaps(stream: _Stream, source: MediaSource) -> list[Gap]:
        try:
            gaps = source.gaps()
        except AvasError:
            return []
        off = stream.offset_ms
        return [
            g.model_copy(update={"start_ms": g.start_ms + off, "end_ms": g.end_ms + off})
            for g in gaps
        ]

    def _on_event(self, stream: _Stream, tapped: TappedSource, record: EventRecord) -> None:
        # Runs in the ingest thread, right after the commit: it must never raise into it.
        try:
            self._check(stream, tapped, record)
        except Exception:
            log.exception("monitor %s: checking rules on %s failed", stream.name, record.event.id)

    def _check(self, stream: _Stream, tapped: TappedSource, record: EventRecord) -> None:
        now = time.monotonic()
        event = record.event
        stream.committed(event.span.end_ms, now)
        last = tapped.last_before(event.span.end_ms - stream.offset_ms)
        stream.lag_s = round(now - last.arrived, 3) if last is not None else None
        keyframe_ms = event.keyframes_ms[0] if event.keyframes_ms else None
        kept = tapped.nearest(keyframe_ms - stream.offset_ms) if keyframe_ms is not None else None

        def thumbnail(rule: Rule, kept: Kept | None = kept) -> Path | None:
            return self._thumbnail(stream, rule, record, kept) if kept is not None else None

        self.alerts.extend(
            self.raiser.check(
                stream,
                record,
                keyframe=kept.rgb if kept else None,
                thumbnail=thumbnail,
                arrived=last.arrived if last else None,
            )
        )

    def _thumbnail(
        self, stream: _Stream, rule: Rule, record: EventRecord, kept: Kept
    ) -> Path | None:
        if not self.settings.thumbnails:
            return None
        folder = self.alerts_dir / "thumbnails"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stream.video_id}-{record.event.span.start_ms}-{rule.id}.jpg"
        bgr = cv2.cvtColor(np.ascontiguousarray(kept.rgb), cv2.COLOR_RGB2BGR)
        if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85]):
            log.warning("monitor %s: could not write %s", stream.name, path)
            return None
        return path

    # -- status ------------------------------------------------------------------------------

    def _status(self, stream: _Stream) -> StreamStatus:
        source = stream.source
        reconnects, dropped = stream.reconnects_before, stream.dropped_before
        connected, source_error = True, None
        gaps = list(stream.gaps_before)
        live = getattr(source, "status", None) if source is not None else None
        if source is not None and callable(live):
            st = live()
            connected = st.connected
            reconnects += st.reconnects
            dropped += st.dropped_frames
            source_error = st.last_error
        if source is not None:
            gaps += self._shifted_gaps(stream, source)
        return stream.status(
            source_connected=connected,
            source_error=source_error,
            lag_s=stream.lag_s,
            reconnects=reconnects,
            dropped_frames=dropped,
            gaps=gaps,
            pruned_events=stream.pruned_events,
        )

    def apply_retention(self) -> None:
        """Roll each stream's segments older than ``keep_events_ms`` into summaries and delete
        their events (the housekeeping thread calls this every ``retention_interval_s``)."""
        keep_ms = self.settings.keep_events_ms
        if keep_ms is None:
            return
        store = self.pipeline.store
        for stream in self._streams:
            if store.get_video(stream.video_id) is None:
                continue
            try:
                report = prune_video(
                    store,
                    self.service.embedder,
                    stream.video_id,
                    keep_ms=keep_ms,
                    segment_ms=self.service.settings.segment.summary_segment_ms,
                    summariser=self.pipeline.stages.summariser,  # the ingest's summaries
                )
            except Exception:  # retention failing must not stop the monitoring
                log.exception("monitor %s: retention failed", stream.name)
                continue
            stream.pruned_events += report.events_deleted

    def _housekeep(self) -> None:
        s = self.settings
        next_retention = time.monotonic() + s.retention_interval_s
        while True:
            try:
                write_status(self.state_dir, self.status(), interval_s=s.state_interval_s)
            except OSError as exc:
                log.warning("monitor: cannot write status under %s: %s", self.state_dir, exc)
            if time.monotonic() >= next_retention:
                self.apply_retention()
                next_retention = time.monotonic() + s.retention_interval_s
            if self._stop.wait(s.state_interval_s):
                return

    def _report(self) -> None:
        while not self._stop.wait(self.settings.status_interval_s):
            out = self.status_out if self.status_out is not None else sys.stderr
            for st in self.status():
                out.write(format_status(st) + "\n")
            out.flush()


def run_monitor(
    service: Service,
    sources: Sequence[str | Path],
    *,
    rule_texts: Sequence[str] = (),
    rules_file: Path | None = None,
    webhook: str | None = None,
    alerts_file: Path | None = None,
    names: Sequence[str] | None = None,
    settings: MonitorSettings | None = None,
    stdout: TextIO | None = None,
) -> list[StreamStatus]:
    """What ``avas monitor`` does: alerts as JSON lines on stdout (plus a file and a webhook if
    given) until Ctrl-C, or until every source (file replays) has ended. Returns final statuses.
    """
    settings = settings or MonitorSettings()
    rules, sinks = command_inputs(
        sources,
        rule_texts=rule_texts,
        rules_file=rules_file,
        webhook=webhook,
        alerts_file=alerts_file,
        settings=settings,
        stdout=stdout,
    )
    monitor = Monitor(service, rules, sinks, settings)
    try:
        monitor.start(sources, names)
        while not monitor.wait(timeout_s=1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        monitor.stop()
    return monitor.status()

"""Each committed event checked against the rules; each alert the gate admits sent to every sink.
Both monitors (one process, and Ray's driver) raise their alerts here.

    raiser = AlertRaiser.for_monitor(rules, embedder, sinks, settings, state_dir)
    raiser.check(stream, record)        # after the record is committed: the alerts raised
    raiser.close()
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from avas.config import MonitorSettings
from avas.ingest.base import RGBImage
from avas.monitor.alerts import Alert, AlertGate, AlertSink, FileSink
from avas.monitor.rules import Rule, RuleEvaluator, RuleVerifier
from avas.monitor.state import ALERT_LOG
from avas.monitor.streams import WatchedStream
from avas.perception.base import Embedder
from graph_schema import EventRecord

log = logging.getLogger(__name__)


class AlertRaiser:
    """Rules, the gate that holds repeats back, and the sinks: one per monitor, all streams."""

    def __init__(self, evaluator: RuleEvaluator, gate: AlertGate, sinks: Sequence[AlertSink]):
        self.evaluator = evaluator
        self.gate = gate
        self.sinks = list(sinks)

    @classmethod
    def for_monitor(
        cls,
        rules: Sequence[Rule],
        embedder: Embedder,
        sinks: Sequence[AlertSink],
        settings: MonitorSettings,
        state_dir: Path,
        *,
        verifier: RuleVerifier | None = None,
    ) -> AlertRaiser:
        """``sinks`` plus the shared alert log under ``state_dir`` that `avas serve` reads."""
        log_sink = FileSink(state_dir / ALERT_LOG, max_bytes=settings.alert_log_max_bytes)
        return cls(
            RuleEvaluator(rules, embedder, verifier),
            AlertGate(max_gap_ms=settings.dedup_gap_ms),
            [*sinks, log_sink],
        )

    def check(
        self,
        stream: WatchedStream,
        record: EventRecord,
        *,
        keyframe: RGBImage | None = None,
        thumbnail: Callable[[Rule], Path | None] | None = None,
        arrived: float | None = None,
    ) -> list[Alert]:
        """The alerts ``record`` raises on ``stream`` (counted on it), sent to every sink.

        ``keyframe``: the event's frame, for a verifier; ``thumbnail``: writes one for a rule's
        alert; ``arrived``: monotonic arrival of the event's last frame (gives the latency).
        Call it for every event of a stream, in time order: the gate needs the ones that fire
        nothing too."""
        event = record.event
        fired = self.evaluator.evaluate(
            record, stream=stream.name, uri=stream.uri, keyframe=keyframe
        )
        raised: list[Alert] = []
        for rule in self.evaluator.rules:
            if not rule.watches(stream.name, stream.uri):
                continue
            if not self.gate.admit(
                rule, stream=stream.name, span=event.span, fired=rule.id in fired
            ):
                continue
            path = thumbnail(rule) if thumbnail is not None else None
            alert = Alert(
                rule_id=rule.id,
                rule_description=rule.description,
                stream=stream.name,
                uri=stream.uri,
                video_id=stream.video_id,
                event_id=event.id,
                span=event.span,
                keyframe_ms=event.keyframes_ms[0] if event.keyframes_ms else None,
                matched=fired[rule.id],
                thumbnail=str(path) if path else None,
                latency_s=round(time.monotonic() - arrived, 3) if arrived is not None else None,
            )
            stream.alerts += 1
            raised.append(alert)
            self._send(alert)
        return raised

    def _send(self, alert: Alert) -> None:
        for sink in self.sinks:
            try:
                sink.send(alert)
            except Exception:  # one failing sink must not keep the alert from the others
                log.exception("monitor: alert sink %s failed", type(sink).__name__)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()

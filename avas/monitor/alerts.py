"""Alerts, where they go (stdout, a file, a webhook), and when one is held back.

    gate = AlertGate()
    if gate.admit(rule, stream="dock", span=event.span, fired=True): sink.send(alert)

A sink never raises into the ingest thread: a delivery that keeps failing is logged and dropped.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

import httpx
from pydantic import BaseModel, Field

from avas.monitor.rules import Match, Rule
from avas.monitor.state import rotate_if_large
from graph_schema import TimeSpan

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class Alert(BaseModel):
    rule_id: str
    rule_description: str
    stream: str
    uri: str
    video_id: str
    event_id: str
    span: TimeSpan = Field(description="the event's media time in the stream's stored timeline")
    keyframe_ms: int | None = None
    matched: list[Match]
    thumbnail: str | None = Field(None, description="JPEG of the event's keyframe, if kept")
    created_at: datetime = Field(default_factory=_now)
    latency_s: float | None = Field(
        None, description="from the arrival of the event's last frame to this alert"
    )


class AlertSink(Protocol):
    def send(self, alert: Alert) -> None: ...

    def close(self) -> None: ...


class JsonLinesSink:
    """One JSON object per line to a text stream (stdout by default)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        out = self.out if self.out is not None else sys.stdout
        with self._lock:
            out.write(alert.model_dump_json() + "\n")
            out.flush()

    def close(self) -> None:
        pass


class FileSink:
    """Appends JSON lines to a file (created with its folder); past ``max_bytes`` the file is
    rotated to ``<name>.1`` first, so an unattended log stays bounded."""

    def __init__(self, path: Path, *, max_bytes: int | None = None) -> None:
        self.path = path
        self.max_bytes = max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        line = alert.model_dump_json() + "\n"
        with self._lock:
            if self.max_bytes is not None:
                rotate_if_large(self.path, self.max_bytes)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)

    def close(self) -> None:
        pass


class WebhookSink:
    """POSTs each alert as JSON, from a background thread, retrying with exponential backoff.

    Retries on connection errors, timeouts, 429 and 5xx; another 4xx is not retried.
    """

    def __init__(
        self,
        url: str,
        *,
        retries: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff_s = backoff_s
        self.client = client or httpx.Client(timeout=timeout_s)
        self.delivered = 0
        self.failed = 0
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=1000)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="avas-webhook", daemon=True)
        self._thread.start()

    def send(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.failed += 1
            log.warning("webhook %s: queue full, alert %s dropped", self.url, alert.rule_id)

    def close(self, timeout_s: float = 10) -> None:
        self._queue.put(None)
        self._thread.join(timeout=timeout_s)
        self._stop.set()  # cut short a backoff that outlasted the join
        self.client.close()

    def _run(self) -> None:
        while (alert := self._queue.get()) is not None:
            if self._post(alert):
                self.delivered += 1
            else:
                self.failed += 1

    def _post(self, alert: Alert) -> bool:
        body = alert.model_dump(mode="json")
        for attempt in range(self.retries + 1):
            if attempt and self._stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                return False
            try:
                response = self.client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                log.info("webhook %s: attempt %d failed: %s", self.url, attempt + 1, exc)
                continue
            if response.is_success:
                return True
            if response.status_code != 429 and response.status_code < 500:
                log.warning("webhook %s refused the alert: HTTP %d", self.url, response.status_code)
                return False
            log.info("webhook %s: attempt %d: HTTP %d", self.url, attempt + 1, response.status_code)
        log.warning(
            "webhook %s: alert %s dropped after %d tries", self.url, alert.rule_id, attempt + 1
        )
        return False


class AlertGate:
    """Cooldown and de-duplication per (rule, stream), on the stream's media clock.

    One continuous sighting (the rule firing on consecutive events) raises one alert; after an
    event where it does not fire, or a break in the timeline longer than ``max_gap_ms``, the next
    firing is a new sighting, which alerts unless the rule's cooldown since the last alert holds.
    Call ``admit`` for every rule on every event, fired or not, in the stream's time order.
    """

    def __init__(self, *, max_gap_ms: int = 2_000) -> None:
        self.max_gap_ms = max_gap_ms
        self.suppressed: dict[tuple[str, str], int] = {}
        self._active: dict[tuple[str, str], int] = {}  # end of the sighting so far
        self._last_alert_ms: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def admit(self, rule: Rule, *, stream: str, span: TimeSpan, fired: bool) -> bool:
        key = (rule.id, stream)
        with self._lock:
            seen_until_ms = self._active.get(key)
            if not fired:
                self._active.pop(key, None)
                return False
            continuing = (
                seen_until_ms is not None and span.start_ms - seen_until_ms <= self.max_gap_ms
            )
            last_alert = self._last_alert_ms.get(key)
            if continuing or (
                last_alert is not None and span.start_ms - last_alert < rule.cooldown_s * 1000
            ):
                self._active[key] = span.end_ms
                self.suppressed[key] = self.suppressed.get(key, 0) + 1
                return False
            self._active[key] = span.end_ms
            self._last_alert_ms[key] = span.start_ms
            return True

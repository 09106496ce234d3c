"""Camera streams on the two-node cluster: one actor per stream, placed on different nodes, each
raising its own alert into the same alert log `avas serve` reads; a stream whose actor process
is killed is restarted and goes on after its last committed event."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from ray_support import fresh_service, ray_workers

from avas.cluster.monitor import monitor_on_ray
from avas.media.sample import SampleSpec, SceneSpec, make_sample_video
from avas.monitor.alerts import Alert
from avas.monitor.rules import Rule
from avas.monitor.state import ALERT_LOG, read_streams

pytestmark = pytest.mark.slow


class _Collect:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def close(self) -> None:
        pass


def _clip(path: Path, text: str, background: str) -> Path:
    spec = SampleSpec(
        scenes=[
            SceneSpec(duration_ms=6_000, background="blue", text="ALL QUIET"),
            SceneSpec(duration_ms=8_000, background=background, text=text),
            # Long enough to be still replaying when a worker is killed after the first events.
            SceneSpec(duration_ms=26_000, background="green", text="ALL QUIET"),
        ]
    )
    make_sample_video(path, spec)
    return path


def test_two_streams_on_two_nodes_each_raise_their_alert(ray_cluster: Any, tmp_path: Path) -> None:
    dock = _clip(tmp_path / "dock.mp4", "LOADING DOCK B", "purple")
    gate = _clip(tmp_path / "gate.mp4", "EXIT GATE 7", "red")
    service = fresh_service(tmp_path)
    rules = [
        Rule(id="dock", description="the loading dock sign", text_contains=["LOADING DOCK"]),
        Rule(id="gate", description="the exit gate sign", text_contains=["EXIT GATE"]),
    ]
    sink = _Collect()
    nodes: dict[str, int] = {}
    restarted: list[int] = []
    listed: set[str] = set()  # the streams the status file behind `GET /streams` listed
    stop = threading.Event()

    def kill_a_stream_worker_once_both_committed() -> None:
        # Once each stream has committed an event (the status file `GET /streams` reads), one
        # actor process is killed; Ray titles an actor's process after its class.
        state_dir = service.settings.home / "monitor"
        while not stop.is_set() and not restarted:
            workers = ray_workers("ray::StreamWorker")
            nodes["actors"] = max(nodes.get("actors", 0), len(workers))
            running = {s.name: s.events for s in read_streams(state_dir)}
            listed.update(running)
            if len(workers) == 2 and running.get("dock", 0) >= 1 and running.get("gate", 0) >= 1:
                os.kill(max(p.pid for p in workers), signal.SIGKILL)
                restarted.append(1)
                return
            time.sleep(0.3)

    killer = threading.Thread(target=kill_a_stream_worker_once_both_committed, daemon=True)
    killer.start()
    try:
        statuses = monitor_on_ray(
            service, [str(dock), str(gate)], rules, [sink], names=["dock", "gate"]
        )
    finally:
        stop.set()
        killer.join(10)
    by_rule = {(a.rule_id, a.stream) for a in sink.alerts}
    assert ("dock", "dock") in by_rule and ("gate", "gate") in by_rule
    assert not {("dock", "gate"), ("gate", "dock")} & by_rule
    for a in sink.alerts:  # each alert cites the span where its sign was shown
        assert a.span.start_ms < 14_000 and a.span.end_ms > 6_000
    # The same alerts reached the alert log that `avas serve` reads (GET /alerts).
    log = service.settings.home / "monitor" / ALERT_LOG
    logged = {(a["rule_id"], a["stream"]) for a in map(json.loads, log.read_text().splitlines())}
    assert by_rule <= logged
    assert {s.name: s.state for s in statuses} == {"dock": "finished", "gate": "finished"}
    assert listed == {"dock", "gate"}
    # One actor per stream, and the two ran side by side (one CPU on each node).
    assert nodes["actors"] == 2
    assert restarted and sum(s.restarts for s in statuses) >= 1
    for s in statuses:  # each stream's events tile its clip, restarted or not
        events = service.store.events(s.video_id)
        assert events and events[0].span.start_ms == 0
        assert all(a.span.end_ms == b.span.start_ms for a, b in itertools.pairwise(events))
    service.close()

"""A real monitor run seen through the real HTTP API: GET /streams, GET /alerts, the SSE stream,
and retention applied by the monitor's housekeeping thread.

The monitor replays a generated 32 s clip at the speed of the clock (as `avas monitor FILE`
does); the API reads the status file and alert log that monitor writes under AVAS_HOME.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests_support import parse_sse

from avas.config import PerceptionSettings, SegmentSettings, Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, make_sample_video
from avas.monitor import FileSink, Monitor, MonitorSettings, Rule
from avas.monitor.state import (
    ALERT_LOG,
    StreamStatus,
    read_streams,
    recent_alerts,
    status_path,
    write_status,
)
from avas.service import Service
from graph_schema import TimeSpan


def _wait_for(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    spec = SampleSpec(
        width=320,
        height=180,
        fps=5,
        scenes=[
            SceneSpec(duration_ms=8_000, background="blue", text="DOCK CAMERA"),
            SceneSpec(duration_ms=8_000, background="red", text="INTRUDER"),
            SceneSpec(duration_ms=8_000, background="gray", text="ZONE DELTA"),
            SceneSpec(duration_ms=8_000, background="green", text="ZONE ECHO"),
        ],
    )
    return make_sample_video(tmp_path_factory.mktemp("monitor-api") / "dock.mp4", spec)


@pytest.fixture
def monitor_service(service: Service, tmp_path: Path) -> Iterator[Service]:
    # 10 s summary segments (the smallest allowed) so retention has whole segments to roll up
    # within a 32 s run; no speech in the clip, so no ASR.
    settings = Settings(
        home=tmp_path,
        segment=SegmentSettings(summary_segment_ms=10_000),
        perception=PerceptionSettings(asr="none"),
    )
    svc = Service(settings)
    # The session's loaded OCR and embedding models, not a second copy (CPU is scarce).
    svc.__dict__["embedder"] = service.embedder
    svc.__dict__["text_reader"] = service.text_reader
    yield svc
    svc.close()


def test_streams_alerts_and_retention_over_the_api(
    monitor_service: Service, clip: SampleManifest, tmp_path: Path
) -> None:
    settings = MonitorSettings(
        alerts_dir=tmp_path / "alerts",
        status_interval_s=0,
        state_interval_s=0.2,
        retention_interval_s=0.5,
        keep_events_ms=1_000,
    )
    rules = [Rule(id="intruder", description="an intruder sign", text_contains=["INTRUDER"])]
    own_log = tmp_path / "own.jsonl"
    monitor = Monitor(monitor_service, rules, [FileSink(own_log)], settings)
    streamed: list[tuple[str, dict[str, Any]]] = []

    app = create_app(monitor_service, ApiSettings())
    with TestClient(app, base_url="http://127.0.0.1") as client:  # a Host the server accepts
        assert client.get("/streams").json() == []
        assert client.get("/alerts").json() == []

        def listen() -> None:
            with client.stream("GET", "/alerts/stream", params={"max": 1}) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                streamed.extend(parse_sse(response.iter_lines()))

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(1.0)  # the listener is following the log before anything is raised
        monitor.start([clip.path], names=["dock"])
        try:
            assert _wait_for(lambda: bool(client.get("/streams").json()), 15)
            (stream,) = client.get("/streams").json()
            assert stream["name"] == "dock" and stream["uri"] == clip.path
            assert stream["monitor_pid"] == os.getpid() and not stream["stale"]
            assert stream["state"] in ("connecting", "running")
            for key in ("connected", "lag_s", "events_per_min", "last_error", "reconnects", "gaps"):
                assert key in stream
            # A replay drops no frames: perception lag adds to the 32 s (room for a loaded box).
            assert monitor.wait(240), "the 32 s replay did not finish"
            # Housekeeping rolls up what is 1 s behind, short of the newest two segments (20-40
            # s): segment 0-10 s, so the event 0-8 s goes.
            assert _wait_for(lambda: client.get("/streams").json()[0]["pruned_events"] > 0, 10), (
                client.get("/streams").json()
            )
            done = client.get("/streams").json()[0]
            assert done["state"] == "finished" and done["events"] >= 3, done
            listener.join(timeout=10)
            assert not listener.is_alive(), "no alert came over SSE"

            alerts = client.get("/alerts").json()
            assert [a["rule_id"] for a in alerts] == ["intruder"], alerts
            assert alerts[0]["stream"] == "dock"
            planted = TimeSpan(start_ms=8_000, end_ms=16_000)
            assert TimeSpan.model_validate(alerts[0]["span"]).overlaps(planted), alerts
            assert client.get("/alerts", params={"stream": "elsewhere"}).json() == []
            assert [(e, d["event_id"]) for e, d in streamed] == [("alert", alerts[0]["event_id"])]
            # The user's --alerts file got the same alert as the shared log.
            assert json.loads(own_log.read_text())["event_id"] == alerts[0]["event_id"]
        finally:
            monitor.stop()
        assert client.get("/streams").json() == []  # a stopped monitor removes its status
        assert len(client.get("/alerts").json()) == 1  # the log outlives it

    store = monitor_service.store
    video_id = monitor.status()[0].video_id
    events = store.events(video_id)
    assert events and events[0].span.start_ms == 8_000, [e.span for e in events]
    starts = [s.span.start_ms for s in store.summaries(video_id, level="segment")]
    assert starts[:2] == [0, 10_000], starts


def test_status_files_of_dead_or_silent_monitors_are_stale(tmp_path: Path) -> None:
    status = StreamStatus(
        name="cam",
        uri="udp://127.0.0.1:5000",
        video_id="cam",
        state="running",
        connected=True,
        events=3,
        events_per_min=6.0,
        alerts=0,
        reconnects=1,
        restarts=0,
        dropped_frames=0,
        last_error=None,
        gaps=[],
    )
    write_status(tmp_path, [status], interval_s=2)
    (fresh,) = read_streams(tmp_path)
    assert not fresh.stale and fresh.reconnects == 1 and fresh.monitor_pid == os.getpid()
    (later,) = read_streams(tmp_path, now=datetime.now(UTC) + timedelta(minutes=5))
    assert later.stale  # this monitor stopped rewriting its file
    # A file left by a process that is gone (pid far above any real one): stale at once.
    dead = status_path(tmp_path, 2**22 + 17)
    dead.write_text(status_path(tmp_path).read_text().replace(str(os.getpid()), str(2**22 + 17)))
    by_pid = {s.monitor_pid: s.stale for s in read_streams(tmp_path)}
    assert by_pid == {os.getpid(): False, 2**22 + 17: True}
    (tmp_path / "streams-junk.json").write_text("{not json")
    assert len(read_streams(tmp_path)) == 2


def test_alert_log_rotates_and_reads_from_the_end(tmp_path: Path) -> None:
    from avas.monitor import Alert, Match

    log = tmp_path / ALERT_LOG
    sink = FileSink(log, max_bytes=2_000)
    for i in range(40):
        sink.send(
            Alert(
                rule_id="r",
                rule_description="d",
                stream="cam",
                uri="udp://127.0.0.1:1",
                video_id="cam",
                event_id=f"cam/ev/{i}",
                span=TimeSpan(start_ms=i * 1000, end_ms=i * 1000 + 500),
                matched=[Match(kind="text", value="X", condition="x")],
            )
        )
    assert log.stat().st_size <= 2_000 + 600 and log.with_name(ALERT_LOG + ".1").is_file()
    newest = recent_alerts(log, limit=3)
    assert [a["event_id"] for a in newest] == [f"cam/ev/{i}" for i in (37, 38, 39)]
    with log.open("a") as fh:
        fh.write('{"half": ')  # a line being written is skipped, not an error
    assert [a["event_id"] for a in recent_alerts(log, limit=1)] == ["cam/ev/39"]

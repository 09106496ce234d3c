"""Monitoring: rules files, cooldown/de-dup, and live UDP streams on loopback raising alerts.

The live tests stream a generated video in real time with ffmpeg (``-re``) to a UDP port the
monitor listens on; the models are loaded before the sender starts, as a camera would not wait.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from avas.config import PerceptionSettings, Settings
from avas.errors import InputError
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, make_sample_video
from avas.monitor import (
    Alert,
    AlertGate,
    FileSink,
    Match,
    Monitor,
    MonitorSettings,
    Rule,
    RuleEvaluator,
    WebhookSink,
    load_rules,
    rule_from_text,
)
from avas.service import Service
from graph_schema import Event, EventRecord, OnScreenText, SpeechSegment, TimeSpan

# -- rules files ------------------------------------------------------------------------------


def test_rules_yaml_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - id: intruder\n"
        "    description: someone holds an INTRUDER sign\n"
        "    text_contains: [INTRUDER]\n"
        "    streams: [door]\n"
        "    cooldown_s: 5\n"
        "  - id: forklift\n"
        "    description: a forklift at the loading dock\n"
    )
    rules = load_rules(path)
    assert [r.id for r in rules] == ["intruder", "forklift"]
    assert rules[0].text_contains == ["INTRUDER"] and rules[0].cooldown_s == 5
    assert rules[1].min_similarity == 0.5 and rules[1].streams is None


def test_rules_json_list_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([{"id": "a", "description": "x", "speech_contains": ["help"]}]))
    assert load_rules(path)[0].speech_contains == ["help"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "rules:\n  - id: door\n    description: d\n    min_similarity: lots\n",
            "rules[0].min_similarity (rule 'door')",
        ),
        ("rules:\n  - id: door\n    description: d\n    colour: red\n", "rules[0].colour"),
        ("rules:\n  - id: door\n", "rules[0].description"),
        ("rules:\n  - id: 'bad id!'\n    description: d\n", "rules[0].id"),
        ("rules:\n  - {id: a, description: d}\n  - {id: a, description: e}\n", "twice"),
        ("rules:\n  - id: a\n    description: d\n    text_contains: ['--']\n", "text_contains"),
        ("rules: [\n", "not valid YAML"),
        ("just words\n", "expected a mapping"),
    ],
)
def test_rules_errors_name_file_and_field(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(InputError) as info:
        load_rules(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_rule_from_text() -> None:
    rule = rule_from_text("A person enters through the side door!", index=2)
    assert rule.id == "rule2-a-person-enters-through-the-side"
    assert not rule.has_conditions and rule.description.startswith("A person")
    with pytest.raises(InputError):
        rule_from_text("   ")


# -- cooldown and de-duplication ---------------------------------------------------------------


def _span(start_s: float, end_s: float) -> TimeSpan:
    return TimeSpan(start_ms=int(start_s * 1000), end_ms=int(end_s * 1000))


def test_gate_one_alert_per_continuous_sighting() -> None:
    gate = AlertGate()
    rule = Rule(id="r", description="d", text_contains=["X"], cooldown_s=0)
    fired = [True, True, True, False, True]
    spans = [_span(0, 5), _span(5, 10), _span(10, 15), _span(15, 20), _span(20, 25)]
    out = [gate.admit(rule, stream="a", span=s, fired=f) for s, f in zip(spans, fired, strict=True)]
    assert out == [True, False, False, False, True]  # the break in firing starts a new sighting
    assert gate.suppressed[("r", "a")] == 2


def test_gate_cooldown_and_streams_are_independent() -> None:
    gate = AlertGate()
    rule = Rule(id="r", description="d", keywords=["x"], cooldown_s=60)
    assert gate.admit(rule, stream="a", span=_span(0, 5), fired=True)
    assert not gate.admit(rule, stream="a", span=_span(5, 10), fired=False)
    assert not gate.admit(rule, stream="a", span=_span(30, 35), fired=True)  # within 60 s
    assert gate.admit(rule, stream="b", span=_span(30, 35), fired=True)  # another stream
    assert not gate.admit(rule, stream="a", span=_span(35, 40), fired=False)
    assert gate.admit(rule, stream="a", span=_span(70, 75), fired=True)  # cooled down


def test_gate_timeline_break_ends_a_sighting() -> None:
    gate = AlertGate(max_gap_ms=2_000)
    rule = Rule(id="r", description="d", keywords=["x"], cooldown_s=0)
    assert gate.admit(rule, stream="a", span=_span(0, 5), fired=True)
    assert not gate.admit(rule, stream="a", span=_span(6, 10), fired=True)  # 1 s apart: same
    assert gate.admit(rule, stream="a", span=_span(20, 25), fired=True)  # 10 s lost: new


# -- webhook delivery ---------------------------------------------------------------------------


def _alert() -> Alert:
    return Alert(
        rule_id="r",
        rule_description="d",
        stream="a",
        uri="udp://127.0.0.1:1",
        video_id="a",
        event_id="a/ev/0-5000",
        span=_span(0, 5),
        matched=[Match(kind="text", value="INTRUDER", condition="intruder")],
    )


def test_webhook_retries_then_delivers() -> None:
    calls: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        return httpx.Response(503 if len(calls) < 3 else 200)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    sink = WebhookSink("http://hooks.test/alert", retries=3, backoff_s=0.01, client=client)
    sink.send(_alert())
    sink.close()
    assert len(calls) == 3 and calls[-1]["rule_id"] == "r"
    assert (sink.delivered, sink.failed) == (1, 0)


def test_webhook_gives_up_on_client_error() -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    sink = WebhookSink("http://hooks.test/alert", retries=3, backoff_s=0.01, client=client)
    sink.send(_alert())
    sink.close()
    assert calls == 1 and (sink.delivered, sink.failed) == (0, 1)


# -- evaluation against real embeddings -------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    # No speech in these streams: ASR stays off to spare the shared CPU.
    settings = Settings(
        home=tmp_path_factory.mktemp("monitor-home"), perception=PerceptionSettings(asr="none")
    )
    svc = Service(settings)
    _ = svc.pipeline  # load the models before any stream starts
    yield svc
    svc.close()


def _record(service: Service, description: str, texts: list[str], speech: list[str]) -> EventRecord:
    span = _span(10, 20)
    event = Event(id="v/ev/1", video_id="v", span=span, description=description)
    ons = [
        OnScreenText(id=f"v/tx/{i}", video_id="v", span=span, text=t, model="ocr", confidence=1)
        for i, t in enumerate(texts)
    ]
    said = [
        SpeechSegment(id=f"v/sp/{i}", video_id="v", span=span, text=s, model="asr", confidence=1)
        for i, s in enumerate(speech)
    ]
    bodies = {event.id: description} | {t.id: t.text for t in ons} | {s.id: s.text for s in said}
    vectors = service.embedder.embed(bodies.values())
    return EventRecord(
        event=event,
        texts=ons,
        speech=said,
        vectors={k: v.tolist() for k, v in zip(bodies, vectors, strict=True)},
        embedding_model=service.embedder.model_id,
    )


def test_evaluator_conditions_and_similarity(service: Service) -> None:
    rules = [
        Rule(id="sign", description="intruder sign", text_contains=["call security"]),
        Rule(id="both", description="d", text_contains=["dock"], speech_contains=["fire"]),
        Rule(id="said", description="d", speech_contains=["forklift"]),
        Rule(id="near", description="a yellow forklift moving pallets", min_similarity=0.5),
        Rule(id="far", description="a wedding cake with candles", min_similarity=0.5),
        Rule(id="elsewhere", description="d", keywords=["dock"], streams=["cam9"]),
    ]
    record = _record(
        service,
        "purple picture; on screen: CALLSECURITY, LOADING DOCK B",
        ["CALLSECURITY", "LOADING DOCK B"],
        ["A yellow forklift is moving pallets at the loading dock."],
    )
    fired = RuleEvaluator(rules, service.embedder).evaluate(record, stream="cam1")
    assert set(fired) == {"sign", "said", "near"}
    assert fired["sign"][0].kind == "text" and fired["sign"][0].value == "CALLSECURITY"
    assert fired["near"][0].kind == "similarity" and (fired["near"][0].score or 0) >= 0.5


# -- live streams on loopback -----------------------------------------------------------------

INTRUDER_AT_MS = 16_000


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    """30 s, four silent scenes; the third (16-24 s) shows INTRUDER."""
    spec = SampleSpec(
        scenes=[
            SceneSpec(duration_ms=8_000, background="blue", text="LOBBY CAMERA"),
            SceneSpec(duration_ms=8_000, background="green"),
            SceneSpec(duration_ms=8_000, background="red", text="INTRUDER"),
            SceneSpec(duration_ms=6_000, background="gray"),
        ]
    )
    return make_sample_video(tmp_path_factory.mktemp("camera") / "camera.mp4", spec)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _send(path: str, url: str, *, seconds: float | None = None) -> subprocess.Popen[bytes]:
    """Play a file in real time to a UDP address, as a camera's encoder would."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-re"]
    cmd += ["-t", str(seconds)] if seconds else []
    cmd += ["-i", path, "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-an"]
    cmd += ["-f", "mpegts", f"{url}?pkt_size=1316"]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL)


def _wait_for(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_monitor_raises_one_alert_for_planted_text(
    service: Service, camera: SampleManifest, tmp_path: Path
) -> None:
    url = f"udp://127.0.0.1:{_free_udp_port()}"
    alerts_file = tmp_path / "alerts.jsonl"
    rules = [
        Rule(id="intruder", description="an intruder sign", text_contains=["INTRUDER"]),
        Rule(id="never", description="an evacuation notice", text_contains=["EVACUATE"]),
    ]
    settings = MonitorSettings(alerts_dir=tmp_path / "alerts", status_interval_s=0)
    monitor = Monitor(service, rules, [FileSink(alerts_file)], settings)
    monitor.start([url], names=["door"])
    sender = _send(camera.path, url)
    try:
        sender.wait(timeout=90)
        # The last scene stays open until the stream ends: let its frames land, then stop (a
        # stop discards the frames still queued, so a slow machine must catch up first).
        assert _wait_for(lambda: (monitor.status()[0].last_media_ms or 0) >= 24_000, 120), (
            monitor.status()
        )
    finally:
        sender.kill()
        sender.wait()
        monitor.stop()
    status = monitor.status()[0]
    assert status.state == "stopped" and status.events >= 3, status

    lines = alerts_file.read_text().splitlines() if alerts_file.exists() else []
    alerts = [json.loads(line) for line in lines]
    assert [a["rule_id"] for a in alerts] == ["intruder"], alerts
    alert = alerts[0]
    planted = next(f for f in camera.texts() if f.text == "INTRUDER").span
    assert planted.start_ms == INTRUDER_AT_MS
    assert TimeSpan.model_validate(alert["span"]).overlaps(planted), alert
    assert alert["stream"] == "door" and alert["event_id"].startswith("door/ev/")
    assert any(m["kind"] == "text" and "INTRUDER" in m["value"] for m in alert["matched"])
    thumb = Path(alert["thumbnail"])
    assert thumb.is_file() and thumb.read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert service.store.get_video("door") is not None


def test_monitor_reconnects_after_the_stream_drops(
    service: Service, camera: SampleManifest, tmp_path: Path
) -> None:
    url = f"udp://127.0.0.1:{_free_udp_port()}"
    settings = MonitorSettings(
        alerts_dir=tmp_path / "alerts",
        status_interval_s=0,
        read_timeout_s=1.5,  # notice the silence quickly
        reconnect_backoff_s=0.2,
        max_backoff_s=1.0,
    )
    rules = [Rule(id="lobby", description="lobby", text_contains=["LOBBY"], cooldown_s=0)]
    monitor = Monitor(service, rules, [], settings)
    monitor.start([url], names=["door2"])
    sender = _send(camera.path, url)
    try:
        time.sleep(12)  # into the green scene: the lobby event is closed
        sender.kill()  # the camera drops ...
        sender.wait()
        time.sleep(3)
        sender = _send(camera.path, url, seconds=12)  # ... and comes back, clock restarted
        sender.wait(timeout=60)
        assert _wait_for(lambda: bool(monitor.status()[0].gaps), 60), monitor.status()
    finally:
        sender.kill()
        sender.wait()
        monitor.stop()
    status = monitor.status()[0]
    assert status.gaps, status
    gap = status.gaps[0]
    assert gap.end_ms - gap.start_ms >= 2_000, gap
    events = service.store.events("door2")
    assert any(e.span.start_ms >= gap.end_ms for e in events), (gap, [e.span for e in events])
    # The lobby scene was shown before and after the drop: two sightings, two alerts.
    assert [a.rule_id for a in monitor.alerts] == ["lobby", "lobby"], monitor.alerts

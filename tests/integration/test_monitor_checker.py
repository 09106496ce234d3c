"""What both monitors (one process and Ray) share once an event is committed: the rules checked,
the gate, every sink served (the shared alert log too); and what `avas monitor` makes of its
arguments with or without --ray. Real embeddings for the rule descriptions."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from avas.config import MonitorSettings
from avas.errors import InputError
from avas.monitor.alerts import Alert, FileSink, JsonLinesSink, WebhookSink
from avas.monitor.checker import AlertRaiser
from avas.monitor.inputs import command_inputs
from avas.monitor.rules import Rule
from avas.monitor.state import ALERT_LOG
from avas.monitor.streams import WatchedStream
from avas.service import Service
from graph_schema import Event, EventRecord, OnScreenText, TimeSpan


class _Collect:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.closed = False

    def send(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def close(self) -> None:
        self.closed = True


class _Broken:
    def send(self, alert: Alert) -> None:
        raise OSError("disk full")

    def close(self) -> None:
        pass


def _record(video_id: str, n: int, start_ms: int, end_ms: int, text: str) -> EventRecord:
    span = TimeSpan(start_ms=start_ms, end_ms=end_ms)
    event = Event(
        id=f"{video_id}/ev/{n}",
        video_id=video_id,
        span=span,
        description=f"on screen: {text}",
        keyframes_ms=[start_ms + 500],
    )
    shown = OnScreenText(
        id=f"{video_id}/tx/{n}", video_id=video_id, span=span, text=text, model="ocr", confidence=1
    )
    return EventRecord(event=event, texts=[shown])


def test_one_alert_per_sighting_to_every_sink_and_the_shared_log(
    service: Service, tmp_path: Path
) -> None:
    rules = [
        Rule(id="dock", description="the loading dock sign", text_contains=["LOADING DOCK"]),
        Rule(id="gate", description="the exit gate", text_contains=["EXIT GATE"], streams=["yard"]),
    ]
    collect = _Collect()
    settings = MonitorSettings()
    raiser = AlertRaiser.for_monitor(
        rules, service.embedder, [_Broken(), collect], settings, tmp_path / "state"
    )
    dock = WatchedStream(name="dock", uri="udp://127.0.0.1:5000", video_id="dock", is_live=True)
    shots: list[str] = []

    def thumbnail(rule: Rule) -> Path:
        shots.append(rule.id)
        return tmp_path / f"{rule.id}.jpg"

    sequence = [
        _record("dock", 1, 0, 4_000, "ALL QUIET"),
        _record("dock", 2, 4_000, 8_000, "LOADING DOCK B"),
        _record("dock", 3, 8_000, 12_000, "LOADING DOCK B"),  # the same sighting goes on
        _record("dock", 4, 12_000, 16_000, "EXIT GATE 7"),  # a rule for another stream
    ]
    raised = [raiser.check(dock, record, thumbnail=thumbnail, arrived=None) for record in sequence]
    assert [[a.rule_id for a in r] for r in raised] == [[], ["dock"], [], []]
    (alert,) = raised[1]
    assert (alert.stream, alert.uri, alert.video_id) == ("dock", "udp://127.0.0.1:5000", "dock")
    assert alert.event_id == "dock/ev/2" and alert.span == TimeSpan(start_ms=4_000, end_ms=8_000)
    assert alert.keyframe_ms == 4_500 and alert.latency_s is None
    assert alert.thumbnail == str(tmp_path / "dock.jpg") and shots == ["dock"]
    assert (alert.matched[0].kind, alert.matched[0].value) == ("text", "LOADING DOCK B")
    assert dock.alerts == 1
    # A broken sink before it kept nothing from the next one, nor from the shared log.
    assert [a.event_id for a in collect.alerts] == ["dock/ev/2"]
    log = (tmp_path / "state" / ALERT_LOG).read_text().splitlines()
    logged = [json.loads(line) for line in log]
    assert [(d["rule_id"], d["event_id"]) for d in logged] == [("dock", "dock/ev/2")]

    # The gate keeps each stream apart; the yard watches the gate rule too.
    yard = WatchedStream(name="yard", uri="rtsp://127.0.0.1/yard", video_id="yard", is_live=True)
    got = raiser.check(yard, _record("yard", 1, 0, 4_000, "EXIT GATE 7 / LOADING DOCK"))
    assert sorted(a.rule_id for a in got) == ["dock", "gate"] and yard.alerts == 2
    assert all(a.thumbnail is None for a in got)
    raiser.close()
    assert collect.closed


def test_command_inputs_make_rules_and_sinks(tmp_path: Path) -> None:
    clip = tmp_path / "cam.mp4"
    clip.write_bytes(b"x")
    out = io.StringIO()
    rules, sinks = command_inputs(
        [str(clip)],
        rule_texts=["a forklift", "an open door"],
        alerts_file=tmp_path / "alerts" / "mine.jsonl",
        webhook="http://127.0.0.1:9/hook",
        settings=MonitorSettings(),
        stdout=out,
    )
    assert [r.id for r in rules] == ["rule1-a-forklift", "rule2-an-open-door"]
    assert [type(s) for s in sinks] == [JsonLinesSink, FileSink, WebhookSink]
    sinks[2].close()
    alert = Alert(
        rule_id="rule1-a-forklift",
        rule_description="a forklift",
        stream="cam",
        uri=str(clip),
        video_id="cam",
        event_id="cam/ev/1",
        span=TimeSpan(start_ms=0, end_ms=1_000),
        matched=[],
    )
    for sink in sinks[:2]:
        sink.send(alert)
    assert json.loads(out.getvalue())["event_id"] == "cam/ev/1"
    mine = (tmp_path / "alerts" / "mine.jsonl").read_text()
    assert json.loads(mine)["rule_id"] == "rule1-a-forklift"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"sources": []}, "give at least one stream URL or file"),
        ({"sources": ["/no/such.mp4"]}, "not a file or a live URL: /no/such.mp4"),
        ({"rule_texts": []}, "no rules: give --rule TEXT or --rules FILE"),
        ({"webhook": "ftp://127.0.0.1/x"}, "--webhook must be an http(s) URL, got 'ftp://"),
        ({"rules_file": "dup"}, "two rules share an id"),
    ],
)
def test_command_inputs_refuse_bad_arguments_naming_them(
    tmp_path: Path, kwargs: dict[str, object], expected: str
) -> None:
    args: dict[str, object] = {"sources": ["udp://127.0.0.1:5000"], "rule_texts": ["a forklift"]}
    args.update(kwargs)
    if args.get("rules_file") == "dup":
        path = tmp_path / "rules.yaml"
        path.write_text("rules:\n  - id: rule1-a-forklift\n    description: a pallet\n")
        args["rules_file"] = path
    with pytest.raises(InputError, match=re.escape(expected)):
        command_inputs(settings=MonitorSettings(), **args)  # type: ignore[arg-type]

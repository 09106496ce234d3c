"""Continuous monitoring: standing questions (rules) checked against every event of live streams.

monitor = Monitor(service, load_rules(Path("rules.yaml")), [JsonLinesSink()], MonitorSettings())
monitor.start(["udp://0.0.0.0:5000"]); ...; monitor.stop()
"""

from __future__ import annotations

from avas.monitor.alerts import (
    Alert,
    AlertGate,
    AlertSink,
    FileSink,
    JsonLinesSink,
    WebhookSink,
)
from avas.monitor.rules import (
    Match,
    Rule,
    RuleEvaluator,
    RuleVerifier,
    Verdict,
    load_rules,
    rule_from_text,
)
from avas.monitor.runner import Monitor, MonitorSettings, StreamStatus, run_monitor

__all__ = [
    "Alert",
    "AlertGate",
    "AlertSink",
    "FileSink",
    "JsonLinesSink",
    "Match",
    "Monitor",
    "MonitorSettings",
    "Rule",
    "RuleEvaluator",
    "RuleVerifier",
    "StreamStatus",
    "Verdict",
    "WebhookSink",
    "load_rules",
    "rule_from_text",
    "run_monitor",
]

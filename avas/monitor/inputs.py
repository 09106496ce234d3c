"""What ``avas monitor`` makes of its arguments, with or without ``--ray``: the rules, and the
sinks its alerts go to. Bad input is refused here, before any model loads or sink opens.

    rules, sinks = command_inputs(sources, rule_texts=["a forklift"], settings=settings)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from avas.config import MonitorSettings
from avas.errors import InputError
from avas.monitor.alerts import AlertSink, FileSink, JsonLinesSink, WebhookSink
from avas.monitor.rules import Rule, load_rules, rule_from_text
from avas.monitor.streams import check_sources


def command_inputs(
    sources: Sequence[str | Path],
    *,
    rule_texts: Sequence[str] = (),
    rules_file: Path | None = None,
    webhook: str | None = None,
    alerts_file: Path | None = None,
    settings: MonitorSettings,
    stdout: TextIO | None = None,
) -> tuple[list[Rule], list[AlertSink]]:
    """The rules (``rules_file``'s, then one per ``rule_texts``) and the sinks: JSON lines on
    ``stdout``, plus ``alerts_file`` and ``webhook`` where given."""
    check_sources(sources)
    rules = load_rules(rules_file) if rules_file is not None else []
    rules += [rule_from_text(text, index=i + 1) for i, text in enumerate(rule_texts)]
    if not rules:
        raise InputError("no rules: give --rule TEXT or --rules FILE")
    if len({r.id for r in rules}) != len(rules):
        raise InputError("two rules share an id")
    if webhook is not None and urlsplit(webhook).scheme not in ("http", "https"):
        raise InputError(f"--webhook must be an http(s) URL, got {webhook!r}")
    sinks: list[AlertSink] = [JsonLinesSink(stdout)]
    if alerts_file is not None:
        sinks.append(FileSink(alerts_file))
    if webhook is not None:
        sinks.append(
            WebhookSink(
                webhook,
                retries=settings.webhook_retries,
                backoff_s=settings.webhook_backoff_s,
                timeout_s=settings.webhook_timeout_s,
            )
        )
    return rules, sinks

"""What an event says, as one comparable value: for tests that check a resumed (or otherwise
re-run) ingest against an uninterrupted one, on content rather than on counts or ids.

    assert contents(store_a, ids) == contents(store_b, ids)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from avas.config import Settings
from avas.graph.networkx_store import NetworkxEventStore


def event_content(store: NetworkxEventStore, event_id: str) -> dict[str, Any]:
    """Span, description, signals, speech (span + text), on-screen texts and entities."""
    details = store.event_details(event_id)
    event = details.event
    return {
        "span": (event.span.start_ms, event.span.end_ms),
        "description": event.description,
        "signals": dict(sorted(event.signals.items())),
        "speech": [(s.span.start_ms, s.span.end_ms, s.text) for s in details.speech],
        "texts": sorted((t.text, t.span.start_ms, t.span.end_ms) for t in details.texts),
        "entities": sorted(e.name for e in details.entities),
    }


def contents(store_path: Path, event_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each event's content, read from a store opened (and closed) here; absent ids raise."""
    store = NetworkxEventStore(store_path)
    try:
        return {eid: event_content(store, eid) for eid in event_ids}
    finally:
        store.close()


def uninterrupted_contents(
    cmd: list[str], env: dict[str, str], home: Path, event_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The same ingest run whole, start to end, into a fresh ``home``: what it stored for
    ``event_ids`` (what a resumed run must match)."""
    whole = subprocess.run(
        cmd, env={**env, "AVAS_HOME": str(home)}, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    return contents(Settings(home=home).store_path, event_ids)

"""`avas graph merges` and `avas graph unmerge` in real subprocesses, on a real embedded store.

.venv/bin/pytest tests/integration/test_cli_merges.py -q
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from avas.config import Settings
from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    EntityMerge,
    Event,
    EventRecord,
    TimeSpan,
    Video,
    entity_id,
    event_id,
)

AVAS = [sys.executable, "-m", "avas.interfaces.cli"]
BRIDGE, VARIANT = (
    entity_id(EntityKind.TEXT, "HARBOR BRIDGE"),
    entity_id(EntityKind.TEXT, "HARB0R BRIDGE"),
)


def _avas(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AVAS_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([*AVAS, *args], env=env, capture_output=True, text=True, timeout=120)


def _store_with_a_merge(home: Path) -> EntityMerge:
    store = NetworkxEventStore(Settings(home=home).store_path)
    store.upsert_video(
        Video(id="cam", path="/cam.mp4", duration_ms=0, width=64, height=64, fps=1, has_audio=False)
    )
    merge: EntityMerge | None = None
    for i, name in enumerate(["HARBOR BRIDGE", "HARB0R BRIDGE"]):
        span = TimeSpan(start_ms=i * 5000, end_ms=(i + 1) * 5000)
        eid = event_id("cam", span)
        entity = Entity(
            id=entity_id(EntityKind.TEXT, name), kind=EntityKind.TEXT, name=name, model="t"
        )
        if i:
            merge = EntityMerge(
                alias_id=VARIANT,
                canonical_id=BRIDGE,
                score=0.97,
                event_id=eid,
                video_id="cam",
                model="test/linker",
            )
        store.commit_event(
            EventRecord(
                event=Event(id=eid, video_id="cam", span=span, description=name),
                entities=[entity],
                edges=[
                    Edge(src="cam", dst=eid, type=EdgeType.HAS_EVENT),
                    Edge(src=eid, dst=entity.id, type=EdgeType.INVOLVES, props={"role": "text"}),
                ],
                merges=[merge] if merge else [],
            )
        )
    store.close()
    assert merge is not None
    return merge


def test_list_and_undo_merges(tmp_path: Path) -> None:
    merge = _store_with_a_merge(tmp_path)

    listed = _avas(tmp_path, "graph", "merges", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert EntityMerge.model_validate(row) == merge
    assert (row["alias_name"], row["canonical_name"]) == ("HARB0R BRIDGE", "HARBOR BRIDGE")
    table = _avas(tmp_path, "graph", "merges")
    assert "HARB0R BRIDGE" in table.stdout and "0.970" in table.stdout
    assert json.loads(_avas(tmp_path, "graph", "merges", "--json", "--video", "x").stdout) == []

    undone = _avas(tmp_path, "graph", "unmerge", VARIANT)
    assert undone.returncode == 0, undone.stderr
    assert f"unmerged {VARIANT} from {BRIDGE}" in undone.stdout
    assert json.loads(_avas(tmp_path, "graph", "merges", "--json").stdout) == []
    store = NetworkxEventStore(Settings(home=tmp_path).store_path)
    assert len(store.entity_events(BRIDGE)) == 1 and len(store.entity_events(VARIANT)) == 1
    store.close()

    again = _avas(tmp_path, "graph", "unmerge", VARIANT)  # bad input: exit 2, names the id
    assert again.returncode == 2 and VARIANT in again.stderr

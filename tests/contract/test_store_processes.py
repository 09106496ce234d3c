"""The store across processes: a writer SIGKILLed mid-ingest leaves a consistent graph, and two
writers (different videos) with a reader beside them lose and corrupt nothing.

    .venv/bin/pytest tests/contract/test_store_processes.py -q   # Neo4j too with AVAS_NEO4J__URI

Writers run tests/contract/store_worker.py in child processes; the checks read through the store
protocol only, so the same assertions hold both stores.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import StoreFactory
from store_worker import STEP_MS
from test_store_contract import EVERYTHING, OTHER, VIDEO
from test_store_shared import eventually

from avas.graph.base import EventGraphStore
from graph_schema import NodeKind

WORKER = Path(__file__).with_name("store_worker.py")
KILL_AFTER = 5  # commits reported before the SIGKILL
WRITER_EVENTS = 25
READ_TIMEOUT_S = 300  # a generous bound on a child's run, not a speed check


def start_writer(
    factory: StoreFactory, where: Path, video_id: str, first: int, count: int
) -> subprocess.Popen[str]:
    argv = [sys.executable, str(WORKER), factory.name, str(where), video_id, str(first), str(count)]
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(WORKER.parent)},
    )


def assert_consistent(store: EventGraphStore, video_id: str, at_least: int) -> int:
    """The video's events are a gapless prefix 0..n-1, each whole; returns n."""
    events = store.events(video_id)
    n = len(events)
    assert n >= at_least
    assert [e.span.start_ms for e in events] == [i * STEP_MS for i in range(n)]
    for i, event in enumerate(events):
        details = store.event_details(event.id)
        # All of an event's perception results are committed with it, or none is.
        assert [s.text for s in details.speech] == [f"first words marker{i:05d}", "second words"]
        assert [t.text for t in details.texts] == [f"SIGN{i % 5}"]
        assert [e.name for e in details.entities] == [f"SIGN{i % 5}"]
        later = store.neighbors(event.id, after=1)
        assert [e.id for e in later] == ([events[i + 1].id] if i + 1 < n else [])
        found = store.keyword_search(f"marker{i:05d}", k=EVERYTHING, video_id=video_id)
        assert {h.kind for h in found} == {NodeKind.EVENT, NodeKind.SPEECH}
    return n


def test_a_killed_writer_leaves_a_consistent_graph(
    store: EventGraphStore,
    store_factory: StoreFactory,
    reopen: Callable[[], EventGraphStore],
    tmp_path: Path,
) -> None:
    writer = start_writer(store_factory, tmp_path, VIDEO, 0, 500)
    assert writer.stdout is not None
    reported = 0
    for line in writer.stdout:
        reported = int(line.split()[1]) + 1
        if reported >= KILL_AFTER:
            writer.send_signal(signal.SIGKILL)
            break
    # The writer ran on while we read: what it printed before the kill is still in the pipe.
    for line in writer.stdout:
        reported = int(line.split()[1]) + 1
    writer.wait(timeout=READ_TIMEOUT_S)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read() if writer.stderr else ""

    reader = reopen()
    # Every reported commit is durable; at most the commit in flight also made it, whole.
    n = assert_consistent(reader, VIDEO, at_least=reported)
    assert n <= reported + 1
    # A resumed writer carries on from there, as `avas ingest` does after a crash.
    resumed = start_writer(store_factory, tmp_path, VIDEO, n, 3)
    _, err = resumed.communicate(timeout=READ_TIMEOUT_S)
    assert resumed.returncode == 0, err
    assert assert_consistent(reopen(), VIDEO, at_least=n + 3) == n + 3


def test_two_writers_and_a_reader(
    store: EventGraphStore, store_factory: StoreFactory, tmp_path: Path
) -> None:
    writers = [
        start_writer(store_factory, tmp_path, video_id, 0, WRITER_EVENTS)
        for video_id in (VIDEO, OTHER)
    ]
    # Read while they write: every look sees whole events, never fewer than the last look.
    seen = {VIDEO: 0, OTHER: 0}
    looks = 0
    while any(w.poll() is None for w in writers) or looks == 0:
        looks += 1
        for video_id in seen:
            count = len(store.events(video_id))
            assert count >= seen[video_id]
            seen[video_id] = count
            if count:
                last = store.events(video_id)[-1]
                assert store.event_details(last.id).texts
        store.keyword_search("marker", k=10)
        store.stats()
        time.sleep(0.05)  # a reader beside the writers, not one that starves them of CPU
    for w in writers:
        _, err = w.communicate(timeout=READ_TIMEOUT_S)
        assert w.returncode == 0, err
    # The embedded store mirrors other processes' commits on a later read (within 0.5 s).
    for video_id in (VIDEO, OTHER):
        eventually(lambda v=video_id: len(store.events(v)), lambda n: n >= WRITER_EVENTS)
    for video_id in (VIDEO, OTHER):
        assert assert_consistent(store, video_id, at_least=WRITER_EVENTS) == WRITER_EVENTS
    assert store.stats().videos == 2

"""Crash safety of the embedded store: a writer SIGKILLed mid-write leaves a sound, atomic store.

    .venv/bin/pytest tests/integration/test_store_crash.py -q

The writer is ``write_until_killed`` below, run in a child interpreter. Each of its records says
in its description how many speech segments it carries and which version it is, so the parent
can check every event's children against its own record after the crash.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import (
    Edge,
    EdgeType,
    Event,
    EventRecord,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    Video,
    event_id,
    speech_id,
    text_id,
)

VIDEO = "crash"
EVENT_MS = 1_000
DIM = 8
EVERYTHING = 1_000_000
DESCRIPTION = re.compile(r"^event (\d+) v(\d+) speech=(\d+)$")
# Import the writer from this file in the child, so it is linted and typed like the test.
CHILD = (
    "import runpy, sys; "
    "runpy.run_path(sys.argv[1], run_name='crash_writer')['write_until_killed'](sys.argv[2])"
)


def _vector(rng: np.random.Generator) -> list[float]:
    vec = rng.normal(size=DIM)
    return [float(x) for x in vec / np.linalg.norm(vec)]


def crash_record(index: int, version: int, previous: Event | None) -> EventRecord:
    """Event ``index`` at version ``version``: 1..8 speech segments, one text, all tagged."""
    n_speech = 1 + (index * 3 + version * 5) % 8
    span = TimeSpan(start_ms=index * EVENT_MS, end_ms=(index + 1) * EVENT_MS)
    eid = event_id(VIDEO, span)
    tag = f"event {index} v{version}"
    event = Event(id=eid, video_id=VIDEO, span=span, description=f"{tag} speech={n_speech}")
    step = EVENT_MS // n_speech
    speech = []
    for j in range(n_speech):
        piece = TimeSpan(start_ms=span.start_ms + j * step, end_ms=span.start_ms + (j + 1) * step)
        speech.append(
            SpeechSegment(
                id=speech_id(VIDEO, piece),
                video_id=VIDEO,
                span=piece,
                text=f"utterance {j} of {tag}",
                model="test/asr",
                confidence=0.9,
            )
        )
    sign = OnScreenText(
        id=text_id(VIDEO, span, f"SIGN {index}"),
        video_id=VIDEO,
        span=span,
        text=f"SIGN {index}",
        model="test/ocr",
        confidence=0.8,
    )
    edges = [Edge(src=VIDEO, dst=eid, type=EdgeType.HAS_EVENT)]
    if previous is not None:
        edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0}))
    edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in speech]
    edges.append(Edge(src=eid, dst=sign.id, type=EdgeType.SHOWS_TEXT))
    rng = np.random.default_rng(index * 100 + version)
    vectors = {node_id: _vector(rng) for node_id in [eid, sign.id, *(s.id for s in speech)]}
    return EventRecord(
        event=event,
        speech=speech,
        texts=[sign],
        edges=edges,
        vectors=vectors,
        embedding_model="test/embed",
    )


def write_until_killed(path: str) -> None:
    """Commit event after event, re-committing the previous one as a new version each time.

    After each commit returns, print how many events are committed: a lower bound the parent can
    hold the store to. The re-commit changes the previous event's speech count, so a torn
    replacement would show as a count that disagrees with its description.
    """
    store = NetworkxEventStore(Path(path))
    store.upsert_video(
        Video(id=VIDEO, path="/dev/null", duration_ms=0, width=1, height=1, fps=1.0, has_audio=True)
    )
    events: list[Event] = []
    for index in range(1_000_000):
        if events:
            prev_prev = events[-2] if len(events) > 1 else None
            store.commit_event(crash_record(index - 1, 1, prev_prev))
        record = crash_record(index, 0, events[-1] if events else None)
        store.commit_event(record)
        events.append(record.event)
        print(f"committed {index + 1}", flush=True)


def _run_and_kill(path: Path, kill_after: int, delay_s: float) -> int:
    """Start the writer, SIGKILL it ``delay_s`` after it reports ``kill_after`` events."""
    writer = subprocess.Popen(
        [sys.executable, "-c", CHILD, __file__, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    reported = 0
    try:
        for line in writer.stdout:
            reported = int(line.split()[1])
            if reported >= kill_after:
                break
        time.sleep(delay_s)  # let it get into a later commit, wherever that is
        os.kill(writer.pid, signal.SIGKILL)
        rest, errors = writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL, f"the writer ended on its own:\n{errors}"
    # Every complete line was printed after its commit returned.
    for line in rest.splitlines():
        if line.startswith("committed ") and line.split()[1].isdigit():
            reported = max(reported, int(line.split()[1]))
    assert reported >= kill_after, f"the writer reported only {reported} events:\n{errors}"
    return reported


def _all(store: NetworkxEventStore, kind: NodeKind) -> int:
    """How many nodes of ``kind`` the vector matrix and the keyword index each hold."""
    probe: npt.NDArray[np.float32] = np.ones(DIM, dtype=np.float32)
    dense = store.vector_search(probe, k=EVERYTHING, kinds=[kind], video_id=VIDEO)
    word = {NodeKind.EVENT: "event", NodeKind.SPEECH: "utterance", NodeKind.TEXT: "sign"}[kind]
    keyword = store.keyword_search(word, k=EVERYTHING, kinds=[kind], video_id=VIDEO)
    assert len(dense) == len(keyword), f"{kind}: {len(dense)} vectors, {len(keyword)} index rows"
    return len(dense)


@pytest.mark.parametrize(
    ("kill_after", "delay_s"),
    [(3, 0.0), (40, 0.004), (250, 0.013)],
    ids=["early", "middle", "late"],
)
def test_killed_writer_leaves_a_sound_store(
    tmp_path: Path, kill_after: int, delay_s: float
) -> None:
    path = tmp_path / "store.sqlite"
    reported = _run_and_kill(path, kill_after, delay_s)

    store = NetworkxEventStore(path)
    try:
        assert store.consistency_problems() == []
        events = store.events(VIDEO)
        assert len(events) >= reported
        # Commits are sequential: what survived is a prefix of the writer's timeline.
        assert [e.span.start_ms for e in events] == [i * EVENT_MS for i in range(len(events))]

        speech_total = 0
        for event in events:
            match = DESCRIPTION.match(event.description)
            assert match, event.description
            index, version, n_speech = (int(g) for g in match.groups())
            details = store.event_details(event.id)
            # Atomicity: the event row and all its children come from one and the same commit.
            assert len(details.speech) == n_speech, event.description
            tag = f"of event {index} v{version}"
            assert all(s.text.endswith(tag) for s in details.speech), event.description
            assert [t.text for t in details.texts] == [f"SIGN {index}"]
            speech_total += n_speech

        stats = store.stats()
        assert stats.edges["HAS_SPEECH"] == stats.nodes["speech"] == speech_total
        assert stats.edges["HAS_EVENT"] == stats.nodes["event"] == len(events)
        assert stats.edges.get("NEXT", 0) == len(events) - 1
        assert _all(store, NodeKind.SPEECH) == speech_total
        assert _all(store, NodeKind.TEXT) == len(events)
        assert _all(store, NodeKind.EVENT) == len(events)

        # The store takes writes again after the crash.
        store.commit_event(crash_record(len(events), 0, events[-1]))
        assert len(store.events(VIDEO)) == len(events) + 1
    finally:
        store.close()

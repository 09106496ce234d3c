"""The embedded store's vector search stays exact while its int8 blocks age: after commits
(appends), re-commits (rows replaced inside a block), delete_video, retention, merges and another
process's commits, the hits equal an exhaustive search over the rows the store should hold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from avas.graph import vector_matrix
from avas.graph.base import SEARCHABLE
from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    EntityMerge,
    Event,
    EventRecord,
    SpeechSegment,
    TimeSpan,
    Video,
    entity_id,
    event_id,
    speech_id,
)

DIM = 16
BLOCK = 24  # rows without an int8 copy that make a search pack them (the store's: 65,536)


def _unit(rng: np.random.Generator) -> list[float]:
    v = rng.normal(size=DIM)
    return [float(x) for x in v / np.linalg.norm(v)]


def _record(video_id: str, i: int, rng: np.random.Generator, entity: str) -> EventRecord:
    span = TimeSpan(start_ms=i * 1_000, end_ms=(i + 1) * 1_000)
    eid = event_id(video_id, span)
    said = TimeSpan(start_ms=span.start_ms, end_ms=span.start_ms + 500)
    speech = SpeechSegment(
        id=speech_id(video_id, said),
        video_id=video_id,
        span=said,
        text=f"line {i}",
        model="test/asr",
        confidence=0.9,
    )
    ent = Entity(
        id=entity_id(EntityKind.TEXT, entity), kind=EntityKind.TEXT, name=entity, model="test/ocr"
    )
    return EventRecord(
        event=Event(id=eid, video_id=video_id, span=span, description=f"scene {i}"),
        speech=[speech],
        entities=[ent],
        edges=[
            Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT),
            Edge(src=eid, dst=speech.id, type=EdgeType.HAS_SPEECH),
            Edge(src=eid, dst=ent.id, type=EdgeType.INVOLVES, props={"role": "shown"}),
        ],
        vectors={eid: _unit(rng), speech.id: _unit(rng), ent.id: _unit(rng)},
        embedding_model="test/embed",
    )


class Expected:
    """What the store should hold: node id -> (video, vector), in the test's own bookkeeping."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, list[float]]] = {}

    def commit(self, store: NetworkxEventStore, record: EventRecord) -> None:
        store.commit_event(record)
        for node_id in [record.event.id, *(s.id for s in record.speech)]:
            self.rows[node_id] = (record.event.video_id, record.vectors[node_id])

    def top(self, q: npt.NDArray[np.float32], k: int, video_id: str | None = None) -> list[str]:
        ids = sorted(i for i, (v, _) in self.rows.items() if video_id in (None, v))
        if not ids:
            return []
        scores = np.asarray([self.rows[i][1] for i in ids]) @ q.astype(np.float64)
        return [ids[j] for j in np.argsort(-scores, kind="stable")[:k]]


def _video(video_id: str) -> Video:
    return Video(
        id=video_id,
        path=f"/media/{video_id}.mp4",
        duration_ms=10**7,
        width=64,
        height=64,
        fps=25.0,
        has_audio=True,
    )


def _assert_exact(store: NetworkxEventStore, expected: Expected, rng: np.random.Generator) -> None:
    probes = [np.asarray(_unit(rng), np.float32) for _ in range(12)]
    # Every stored row's own vector must find that row first (score 1), whatever changed since.
    probes += [np.asarray(v, np.float32) for _, v in expected.rows.values()]
    for q in probes:
        for video_id in (None, "a"):
            hits = store.vector_search(q, k=5, kinds=SEARCHABLE, video_id=video_id)
            assert [h.id for h in hits] == expected.top(q, 5, video_id)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(vector_matrix, "BLOCK_ROWS", BLOCK)
    yield


def test_search_is_exact_after_every_kind_of_change(tmp_path: Path, small_blocks: None) -> None:
    rng = np.random.default_rng(7)
    path = tmp_path / "store.sqlite"
    expected = Expected()
    with closing(NetworkxEventStore(path, sync_interval_ms=0)) as store:
        for video_id in ("a", "b"):
            store.upsert_video(_video(video_id))
        for i in range(30):  # 60 searchable rows over two videos
            expected.commit(store, _record("a" if i % 2 else "b", i, rng, f"SIGN {i % 5}"))
        _assert_exact(store, expected, rng)
        assert store._vectors.packed_rows == 60  # the search packed them: int8 blocks in use

        # Re-commits: rows replaced inside the block, with new vectors (few: many would have the
        # block packed again, which the last step below covers).
        for i in (3, 11):
            expected.commit(store, _record("a" if i % 2 else "b", i, rng, f"SIGN {i % 5}"))
        _assert_exact(store, expected, rng)

        # Appends past the block (a second block is packed), then a few more (float32 tail).
        for i in range(30, 60):
            expected.commit(store, _record("a" if i % 2 else "b", i, rng, f"SIGN {i % 5}"))
        _assert_exact(store, expected, rng)
        assert store._vectors.packed_rows == 120

        # Merges: entity name vectors are not searchable; the rows stay as they were.
        store.merge_entities(
            EntityMerge(
                alias_id=entity_id(EntityKind.TEXT, "SIGN 1"),
                canonical_id=entity_id(EntityKind.TEXT, "SIGN 2"),
                score=0.9,
                event_id=event_id("a", TimeSpan(start_ms=1_000, end_ms=2_000)),
                video_id="a",
                model="test/linker",
            )
        )
        _assert_exact(store, expected, rng)

        # Retention: video b's events before 20 s go (rows inside the first block move up).
        store.delete_events_before("b", 20_000)
        expected.rows = {
            i: (v, vec)
            for i, (v, vec) in expected.rows.items()
            if not (v == "b" and int(i.split("/")[-1].split("-")[0]) < 20_000)
        }
        _assert_exact(store, expected, rng)

        # Another process commits (the reader mirrors it from the change log).
        with closing(NetworkxEventStore(path)) as writer:
            for i in (5, 60, 61):
                expected.commit(writer, _record("a" if i % 2 else "b", i, rng, "SIGN 9"))
        _assert_exact(store, expected, rng)

        store.delete_video("a")
        expected.rows = {i: (v, vec) for i, (v, vec) in expected.rows.items() if v != "a"}
        _assert_exact(store, expected, rng)
        assert store.vector_search(np.asarray(_unit(rng), np.float32), k=5, video_id="a") == []

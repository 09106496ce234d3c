"""Neo4j deletes a video, and retention deletes old events, in bounded batches: one transaction
per batch, so a video of any size goes (a 52k-event video in one transaction passed the server's
transaction memory limit), and nothing of it is left behind.

    AVAS_NEO4J__URI=bolt://127.0.0.1:7687 .venv/bin/pytest tests/contract/test_neo4j_delete*.py

The store runs with a batch of 3 rows, so a few events make a video many batches long. Neo4j
Community reports no per-transaction counts, so the store's transaction hook is wrapped to read
each write transaction's own counters (nodes and relationships deleted) from its results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any, TypeVar

import pytest
from conftest import VECTOR_DIM
from neo4j_factory import Neo4jTarget, neo4j_target
from test_store_contract import EVERYTHING, OTHER, VIDEO, ids, make_record, make_video, query

from avas.errors import NotFoundError
from avas.graph.neo4j_store import Neo4jEventStore
from graph_schema import (
    Edge,
    EdgeType,
    EntityKind,
    EventRecord,
    Summary,
    TimeSpan,
    entity_id,
    summary_id,
)

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(neo4j_target() is None, reason="AVAS_NEO4J__URI is not set"),
]

BATCH = 3
T = TypeVar("T")


class CountingStore(Neo4jEventStore):
    """The real store; each write transaction's deleted nodes and relationships are recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deleted: list[tuple[int, int]] = []  # (nodes, relationships) per write transaction

    def _run(self, work: Callable[[Any], T], *, write: bool = False) -> T:
        if not write:
            return super()._run(work)

        def counted(tx: Any) -> T:
            results: list[Any] = []

            class Recording:
                def run(self, query: str, params: Any = None) -> Any:
                    result = tx.run(query, params)
                    results.append(result)
                    return result

            out = work(Recording())
            counters = [r.consume().counters for r in results]
            nodes = sum(c.nodes_deleted for c in counters)
            self.deleted.append((nodes, sum(c.relationships_deleted for c in counters)))
            return out

        return super()._run(counted, write=True)


def _raw(store: Neo4jEventStore, q: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    driver = store._driver
    assert driver is not None
    records, _, _ = driver.execute_query(q, params, database_=store.database)
    return [r.data() for r in records]


def _leftovers(store: Neo4jEventStore, video_id: str) -> dict[str, int]:
    """Everything of a video, and any orphan, still in the graph (all zero once it is gone)."""
    row = _raw(
        store,
        """
        CALL () { MATCH (n) WHERE n.video_id = $v OR (n:Video AND n.id = $v)
                  RETURN count(n) AS nodes }
        CALL () { MATCH ()-[r]->() WHERE r.video_id = $v RETURN count(r) AS relations }
        CALL () { MATCH (n:Entity) WHERE NOT EXISTS { MATCH ()-[:INVOLVES]->(n) }
                  RETURN count(n) AS orphan_entities }
        CALL () { MATCH (k:Keyframe) WHERE NOT EXISTS { MATCH (:Event {id: k.event_id}) }
                  RETURN count(k) AS orphan_keyframes }
        RETURN nodes, relations, orphan_entities, orphan_keyframes
        """,
        {"v": video_id},
    )[0]
    return {k: int(v) for k, v in row.items()}


def _graph_of(store: Neo4jEventStore, video_id: str) -> set[tuple[str, ...]]:
    """A video's nodes, their entities and every edge among them, as comparable tuples."""
    rows = _raw(
        store,
        """
        MATCH (n) WHERE n.video_id = $v OR (n:Video AND n.id = $v)
        OPTIONAL MATCH (n)-[r]-(m)
        RETURN n.id AS a, n.data AS data, type(r) AS rel, m.id AS b, m.data AS b_data
        """,
        {"v": video_id},
    )
    return {tuple(str(x) for x in r.values()) for r in rows}


def _video(store: Neo4jEventStore, video_id: str, n: int, *, keyframes: bool) -> list[EventRecord]:
    """n events: two speech segments, a text, a private and a shared entity, a relation between
    them (RELATES_TO, with the video's id), two keyframes; and a summary over all of them."""
    store.upsert_video(make_video(video_id))
    records: list[EventRecord] = []
    for i in range(n):
        start = i * 10_000
        own = f"{video_id.upper()} SIGN {i}"
        rec = make_record(
            start,
            start + 10_000,
            f"{video_id} scene {i} with a walrus" if video_id == VIDEO else f"pelican {i}",
            video_id=video_id,
            speech=[f"{video_id} words {i}", f"more {video_id} words {i}"],
            texts=[own],
            entities=[own, "SHARED SIGN"],
            previous=records[-1].event if records else None,
        )
        rec.edges.append(
            Edge(
                src=entity_id(EntityKind.TEXT, own),
                dst=entity_id(EntityKind.TEXT, "SHARED SIGN"),
                type=EdgeType.RELATES_TO,
                props={"predicate": "near", "event_id": rec.event.id, "video_id": video_id},
            )
        )
        if keyframes:
            frames = {start + 2_000: [1.0, 0.0, 0.0, 0.0], start + 7_000: [0.0, 1.0, 0.0, 0.0]}
            rec = rec.model_copy(update={"frame_vectors": frames, "frame_model": "test/clip"})
        store.commit_event(rec)
        records.append(rec)
    span = TimeSpan(start_ms=0, end_ms=n * 10_000)
    summary = Summary(
        id=summary_id(video_id, "video", span),
        video_id=video_id,
        level="video",
        span=span,
        text=f"a video about {video_id}",
        model="test/summary",
    )
    store.upsert_summary(
        summary, parts=[r.event.id for r in records], vector=[1.0] + [0.0] * 7, model="test/e"
    )
    return records


@pytest.fixture
def store() -> Iterator[CountingStore]:
    target: Neo4jTarget | None = neo4j_target()
    assert target is not None
    opened = CountingStore(
        target.uri,
        target.user,
        target.password,
        target.database,
        vector_dimensions=VECTOR_DIM,
        delete_batch=BATCH,
    ).connect()
    with closing(opened):
        _raw(opened, "MATCH (n) WHERE NOT n:Migration DETACH DELETE n", {})
        yield opened
        _raw(opened, "MATCH (n) WHERE NOT n:Migration DETACH DELETE n", {})


def test_a_video_many_batches_long_is_deleted_whole(store: CountingStore) -> None:
    mine = _video(store, VIDEO, 7, keyframes=True)
    theirs = _video(store, OTHER, 2, keyframes=True)
    their_graph = _graph_of(store, OTHER)
    their_details = [store.event_details(r.event.id) for r in theirs]
    shared = entity_id(EntityKind.TEXT, "SHARED SIGN")
    # 7 events, 14 speech segments, 7 texts, 14 keyframes, 7 relations, 7 private entities.
    assert _leftovers(store, VIDEO)["nodes"] == 7 + 14 + 7 + 14 + 1 + 1
    store.deleted.clear()

    store.delete_video(VIDEO)

    # Every write transaction stayed within one batch of nodes, and there were many of them.
    assert store.deleted, "delete_video wrote nothing"
    assert max(nodes for nodes, _ in store.deleted) <= BATCH
    assert max(rels for nodes, rels in store.deleted if nodes == 0) <= BATCH
    assert sum(nodes for nodes, _ in store.deleted) == 7 + 14 + 7 + 14 + 1 + 7 + 1
    assert _leftovers(store, VIDEO) == {
        "nodes": 0,
        "relations": 0,
        "orphan_entities": 0,
        "orphan_keyframes": 0,
    }
    assert store.get_video(VIDEO) is None
    assert store.keyword_search("walrus", k=EVERYTHING) == []
    for rec in mine:
        with pytest.raises(NotFoundError):
            store.event_of(rec.event.id)
    with pytest.raises(NotFoundError):
        store.entity_events(entity_id(EntityKind.TEXT, f"{VIDEO.upper()} SIGN 3"))

    # The other video is exactly as it was: nodes, edges, the shared entity, search.
    assert _graph_of(store, OTHER) == their_graph
    assert [store.event_details(r.event.id) for r in theirs] == their_details
    assert [e.id for e in store.entity_events(shared)] == [r.event.id for r in theirs]
    assert set(ids(store.keyword_search("pelican", k=EVERYTHING))) == {r.event.id for r in theirs}
    assert set(ids(store.frame_search(query([1.0, 0, 0, 0]), k=EVERYTHING))) == {
        r.event.id for r in theirs
    }


def test_retention_deletes_many_batches_of_old_events(store: CountingStore) -> None:
    records = _video(store, VIDEO, 8, keyframes=True)
    store.deleted.clear()

    # Events ending by 60 s: the first six, two batches of events and their children.
    assert store.delete_events_before(VIDEO, 60_000) == 6

    assert max(nodes for nodes, _ in store.deleted) <= BATCH * (1 + 2 + 1 + 2)
    kept = records[6:]
    assert [e.id for e in store.events(VIDEO)] == [r.event.id for r in kept]
    leftovers = _leftovers(store, VIDEO)
    assert (leftovers["orphan_entities"], leftovers["orphan_keyframes"]) == (0, 0)
    # What is left of the video: the kept events with their children and keyframes, the summary.
    assert leftovers["nodes"] == 2 * (1 + 2 + 1 + 2) + 1 + 1
    assert leftovers["relations"] == 2  # the kept events' RELATES_TO
    for rec in records[:6]:
        with pytest.raises(NotFoundError):
            store.entity_events(rec.entities[0].id)
    assert [e.id for e in store.entity_events(entity_id(EntityKind.TEXT, "SHARED SIGN"))] == [
        r.event.id for r in kept
    ]
    assert store.get_video(VIDEO) is not None
    assert [s.level for s in store.summaries(VIDEO)] == ["video"]


def test_an_unknown_video_is_not_found_and_nothing_is_deleted(store: CountingStore) -> None:
    _video(store, OTHER, 2, keyframes=False)
    before = _graph_of(store, OTHER)
    with pytest.raises(NotFoundError, match=VIDEO):
        store.delete_video(VIDEO)
    with pytest.raises(NotFoundError, match=VIDEO):
        store.delete_events_before(VIDEO, 10**12)
    assert _graph_of(store, OTHER) == before


def test_the_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="delete_batch"):
        Neo4jEventStore("bolt://127.0.0.1:7687", "neo4j", "password", delete_batch=0)

"""What only a Neo4j server shows: the login, the schema's migrations on a fresh and on an
existing database, and the vector index's dimension.

    AVAS_NEO4J__URI=bolt://127.0.0.1:7687 .venv/bin/pytest tests/contract/test_neo4j_server.py

These tests drop the server's schema: point them at a throwaway server (scripts/neo4j-server).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from conftest import VECTOR_DIM
from neo4j_factory import Neo4jTarget, neo4j_target, open_neo4j_store
from test_store_contract import EVERYTHING, VIDEO, make_record, make_video, unit_vector

from avas.errors import DependencyError, StoreError
from avas.graph.base import SEARCHABLE
from avas.graph.neo4j_store import Neo4jEventStore
from graph_schema import NodeKind, Summary, TimeSpan, summary_id
from graph_schema.cypher import load_migrations

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(neo4j_target() is None, reason="AVAS_NEO4J__URI is not set"),
]

MIGRATION_IDS = [m.id for m in load_migrations(vector_dimensions=VECTOR_DIM)]
# The full-text index as migration 002 made it, before 006 added :Summary.
OLD_TEXT_INDEX = (
    "CREATE FULLTEXT INDEX searchable_text IF NOT EXISTS "
    "FOR (n:Event|SpeechSegment|OnScreenText) ON EACH [n.text]"
)


@pytest.fixture
def target() -> Iterator[Neo4jTarget]:
    found = neo4j_target()
    assert found is not None
    yield found
    # Leave the server as the rest of the suite expects it: migrated, and empty.
    with closing(open_neo4j_store(vector_dimensions=VECTOR_DIM)) as store:
        for video in store.videos():
            store.delete_video(video.id)


def cypher(target: Neo4jTarget, query: str, **params: Any) -> list[dict[str, Any]]:
    import neo4j

    with neo4j.GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver:
        records, _, _ = driver.execute_query(query, params, database_=target.database)
        return [r.data() for r in records]


def drop_schema(target: Neo4jTarget) -> None:
    """The database as a fresh server has it: no data, no constraints, no indexes."""
    cypher(target, "MATCH (n) DETACH DELETE n")
    for row in cypher(target, "SHOW CONSTRAINTS YIELD name"):
        cypher(target, f"DROP CONSTRAINT `{row['name']}`")
    for row in cypher(target, "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'"):
        cypher(target, f"DROP INDEX `{row['name']}`")


def applied(target: Neo4jTarget) -> dict[str, Any]:
    rows = cypher(target, "MATCH (m:Migration) RETURN m.id AS id, m.applied_at AS at")
    return {r["id"]: r["at"] for r in rows}


def indexes(target: Neo4jTarget) -> dict[str, dict[str, Any]]:
    rows = cypher(
        target,
        "SHOW INDEXES YIELD name, type, labelsOrTypes, options, state "
        "RETURN name, type, labelsOrTypes, options, state",
    )
    return {r["name"]: r for r in rows}


def test_a_wrong_password_is_a_dependency_error_naming_the_uri(target: Neo4jTarget) -> None:
    store = Neo4jEventStore(target.uri, target.user, "not-the-password", target.database)
    with pytest.raises(DependencyError, match=re.escape(target.uri)) as caught:
        store.connect()
    assert caught.value.exit_code == 3
    assert "not-the-password" not in str(caught.value)


def test_migrations_on_a_fresh_database(target: Neo4jTarget) -> None:
    drop_schema(target)
    store = open_neo4j_store(vector_dimensions=VECTOR_DIM)
    store.close()
    first = applied(target)
    assert sorted(first) == MIGRATION_IDS
    found = indexes(target)
    assert {r["state"] for r in found.values()} == {"ONLINE"}
    text = found["searchable_text"]
    assert (text["type"], sorted(text["labelsOrTypes"])) == (
        "FULLTEXT",
        ["Event", "OnScreenText", "SpeechSegment", "Summary"],
    )
    for name in ("searchable_embedding", "entity_name_embedding"):
        assert found[name]["type"] == "VECTOR"
        assert found[name]["options"]["indexConfig"]["vector.dimensions"] == VECTOR_DIM
    assert found["keyframe_embedding"]["type"] == "VECTOR"
    # Connecting again applies nothing twice.
    open_neo4j_store(vector_dimensions=VECTOR_DIM).close()
    assert applied(target) == first


def test_migrations_on_an_existing_database_keep_its_data(target: Neo4jTarget) -> None:
    """A database last migrated before 006 (summaries not keyword-searchable) gets 006, and the
    new full-text index covers the nodes it already held."""
    drop_schema(target)
    with closing(open_neo4j_store(vector_dimensions=VECTOR_DIM)) as store:
        # Undo 006 behind the store's back: the database as an older AVAS left it.
        cypher(target, "MATCH (m:Migration {id: '006_summary_text'}) DELETE m")
        cypher(target, "DROP INDEX searchable_text")
        cypher(target, OLD_TEXT_INDEX)
        cypher(target, "CALL db.awaitIndexes(300)")
        store.upsert_video(make_video())
        record = make_record(0, 5_000, speech=["the harbour budget"])
        store.commit_event(record)
        span = TimeSpan(start_ms=0, end_ms=5_000)
        summary = Summary(
            id=summary_id(VIDEO, "segment", span),
            video_id=VIDEO,
            level="segment",
            span=span,
            text="a segment about the budget",
            model="test/summary",
        )
        store.upsert_summary(
            summary, parts=[record.event.id], vector=unit_vector(summary.id), model="test/e"
        )
    assert "006_summary_text" not in applied(target)

    with closing(open_neo4j_store(vector_dimensions=VECTOR_DIM)) as store:
        assert sorted(applied(target)) == MIGRATION_IDS
        hits = store.keyword_search("budget", k=EVERYTHING, kinds=[*SEARCHABLE, NodeKind.SUMMARY])
        assert {h.kind for h in hits} == {NodeKind.SPEECH, NodeKind.SUMMARY}
        assert [e.id for e in store.events(VIDEO)] == [record.event.id]


def test_two_processes_migrating_one_fresh_database_both_succeed(target: Neo4jTarget) -> None:
    drop_schema(target)
    errors: list[BaseException] = []

    def connect() -> None:
        try:
            open_neo4j_store(vector_dimensions=VECTOR_DIM).close()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=connect) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(applied(target)) == MIGRATION_IDS


def test_a_store_for_other_vectors_is_refused(target: Neo4jTarget) -> None:
    open_neo4j_store(vector_dimensions=VECTOR_DIM).close()
    store = Neo4jEventStore(
        target.uri, target.user, target.password, target.database, vector_dimensions=384
    )
    with pytest.raises(StoreError, match=f"{VECTOR_DIM}-dimensional"):
        store.connect()

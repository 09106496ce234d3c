"""The Neo4j store's offline behaviour: clear errors without a server, safe query building.

    Neo4jEventStore("bolt://127.0.0.1:1", "neo4j", "pw").connect()  # DependencyError naming the URI

Its graph semantics are checked by the contract suite against a real server (-m neo4j).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import avas.graph.neo4j_store as neo4j_store
from avas.errors import DependencyError, StoreError
from avas.graph.neo4j_rows import EDGE_PARAMS
from avas.graph.neo4j_store import Neo4jEventStore, escape_lucene, lucene_query
from graph_schema import EdgeType
from graph_schema.cypher import load_migrations, load_queries, split_statements

CLOSED_PORT_URI = "bolt://127.0.0.1:1"


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "neo4j", None)  # makes `import neo4j` fail
    store = Neo4jEventStore(CLOSED_PORT_URI, "neo4j", "pw")  # no I/O, no import yet
    with pytest.raises(DependencyError, match=re.escape("pip install 'avas[neo4j]'")):
        store.connect()


def test_unreachable_server_is_a_dependency_error_naming_the_uri() -> None:
    pytest.importorskip("neo4j", reason="the neo4j driver extra is not installed")
    store = Neo4jEventStore(CLOSED_PORT_URI, "neo4j", "not-in-the-message", connect_retry_ms=0)
    with pytest.raises(DependencyError, match=re.escape(CLOSED_PORT_URI)) as caught:
        store.connect()
    assert caught.value.exit_code == 3
    assert "not-in-the-message" not in str(caught.value)


def test_a_store_used_before_connect_says_so() -> None:
    store = Neo4jEventStore(CLOSED_PORT_URI, "neo4j", "pw")
    with pytest.raises(StoreError, match=r"connect\(\)"):
        store.videos()
    store.close()  # closing a store that never connected is fine


def test_lucene_syntax_in_user_text_is_escaped() -> None:
    assert escape_lucene('a+b-c&&d||e!(f){g}[h]^"i"~j*k?l:m\\n/o') == (
        'a\\+b\\-c\\&\\&d\\|\\|e\\!\\(f\\)\\{g\\}\\[h\\]\\^\\"i\\"\\~j\\*k\\?l\\:m\\\\n\\/o'
    )
    # Only content words reach Lucene: operators, quotes and stopwords fall away.
    assert lucene_query('"loading" dock* AND (the) OR budget:2024') == (
        "loading *loading* dock *dock* budget *budget* 2024 *2024*"
    )
    assert lucene_query("the a of !!") is None


def test_every_query_the_store_names_exists() -> None:
    # The store is put together from the neo4j_* modules beside it: all of them name queries.
    graph_dir = Path(neo4j_store.__file__).parent
    source = "\n".join(p.read_text() for p in sorted(graph_dir.glob("neo4j_*.py")))
    named = set(re.findall(r'(?:q|self\._queries)\["([a-z_]+)"\]', source))
    named |= set(re.findall(r'self\._read\(\s*"([a-z_]+)"', source))
    assert named - load_queries().keys() == set()
    # Every edge type has its own parameter (and subquery) in the one-statement commit.
    assert set(EDGE_PARAMS) == set(EdgeType)
    commit = load_queries()["commit_event"]
    for param in EDGE_PARAMS.values():
        assert f"UNWIND ${param} AS row" in commit


def test_migrations_are_numbered_and_the_dimension_must_be_an_int() -> None:
    migrations = load_migrations(vector_dimensions=384)
    assert [m.id for m in migrations][:4] == [
        "001_constraints",
        "002_indexes",
        "003_summaries",
        "004_keyframes",
    ]
    # Every schema step can run again after a migration died half-way.
    assert all(re.search(r"\bIF (NOT )?EXISTS\b", s) for m in migrations for s in m.statements)
    assert any("`vector.dimensions`: 384," in s for s in migrations[1].statements)
    for bad in (True, 0, 5000, "384", "384}}; DROP INDEX x", 384.0):
        with pytest.raises(ValueError, match="vector_dimensions"):
            load_migrations(vector_dimensions=bad)  # type: ignore[arg-type]


def test_statements_split_only_at_top_level_semicolons() -> None:
    script = 'RETURN \';\' AS a; // note; here\nRETURN `x;y` AS b;\n/* ; */\n;RETURN "\\";" AS c'
    assert split_statements(script) == [
        "RETURN ';' AS a",
        "// note; here\nRETURN `x;y` AS b",
        'RETURN "\\";" AS c',
    ]

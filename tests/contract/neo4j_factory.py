"""The contract suite's Neo4j server: its settings from the environment, and a connected store.

    store = open_neo4j_store(vector_dimensions=8)  # AVAS_NEO4J__URI / __USER / __PASSWORD

Test code may read the environment; the store itself takes its settings as arguments. In CI,
.ci/run starts a server with scripts/neo4j-server and sets AVAS_TEST_REQUIRE_NEO4J=1, so a
missing server fails the run instead of leaving the Neo4j half of the suite out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from avas.graph.neo4j_store import Neo4jEventStore

# The store's own default (avas/config.py) and scripts/neo4j-server's.
DEFAULT_PASSWORD = "avas-dev-password"


@dataclass(frozen=True)
class Neo4jTarget:
    uri: str
    user: str
    password: str
    database: str


def neo4j_target() -> Neo4jTarget | None:
    """The server the environment names, or None when AVAS_NEO4J__URI is unset."""
    uri = os.environ.get("AVAS_NEO4J__URI")
    if not uri:
        return None
    return Neo4jTarget(
        uri=uri,
        user=os.environ.get("AVAS_NEO4J__USER", "neo4j"),
        password=os.environ.get("AVAS_NEO4J__PASSWORD", DEFAULT_PASSWORD),
        database=os.environ.get("AVAS_NEO4J__DATABASE", "neo4j"),
    )


def neo4j_required() -> bool:
    return os.environ.get("AVAS_TEST_REQUIRE_NEO4J") == "1"


def open_neo4j_store(*, vector_dimensions: int) -> Neo4jEventStore:
    """A connected, migrated store on the environment's server (it is not emptied here)."""
    target = neo4j_target()
    if target is None:
        raise RuntimeError("AVAS_NEO4J__URI is not set: no Neo4j server to test against")
    store = Neo4jEventStore(
        target.uri,
        target.user,
        target.password,
        target.database,
        vector_dimensions=vector_dimensions,
    )
    return store.connect()

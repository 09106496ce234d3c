"""The server store: the event graph in Neo4j 5, with its full-text and vector indexes.

    store = Neo4jEventStore("bolt://localhost:7687", "neo4j", "secret")
    store.commit_event(record); store.keyword_search("loading dock", k=5)

Semantics follow ``NetworkxEventStore`` (the contract suite runs both). Every statement comes
from ``graph_schema/queries/*.cypher`` or the numbered migrations; user values travel only as
parameters, and labels and relationship types are fixed in those files. Each node keeps its
pydantic model as JSON in ``data`` (read back exactly) next to the properties that queries use.

The class is put together from one module per concern: neo4j_rows (node mapping), neo4j_core
(driver, migrations, transactions), neo4j_writes, neo4j_reads, neo4j_entities (lookups and
merges) and neo4j_search (vector, keyframe and Lucene indexes).
"""

from __future__ import annotations

from avas.graph.neo4j_core import (
    CONNECT_RETRY_MS,
    DEFAULT_VECTOR_DIMENSIONS,
    DELETE_BATCH,
    INDEX_WAIT_S,
    MIGRATION_ATTEMPTS,
)
from avas.graph.neo4j_entities import Neo4jEntities
from avas.graph.neo4j_reads import Neo4jReads
from avas.graph.neo4j_search import Neo4jSearch, escape_lucene, lucene_query
from avas.graph.neo4j_writes import Neo4jWrites

__all__ = [
    "CONNECT_RETRY_MS",
    "DEFAULT_VECTOR_DIMENSIONS",
    "DELETE_BATCH",
    "INDEX_WAIT_S",
    "MIGRATION_ATTEMPTS",
    "Neo4jEventStore",
    "escape_lucene",
    "lucene_query",
]


class Neo4jEventStore(Neo4jWrites, Neo4jReads, Neo4jEntities, Neo4jSearch):
    """The event graph in a Neo4j 5 server. Constructing it does no I/O; ``connect()`` does.

    store = Neo4jEventStore(uri, user, password).connect()
    """

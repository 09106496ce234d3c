"""Opens the Neo4j store for the contract suite on an emptied database.

    store = make_neo4j_store(tmp_path)  # AVAS_NEO4J__URI / __USER / __PASSWORD from the env

Test code may read the environment; the store itself takes its settings as arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

from avas.errors import StoreError
from avas.graph.neo4j_store import Neo4jEventStore
from graph_schema.cypher import load_queries


def _settings() -> tuple[str, str, str, str]:
    uri = os.environ.get("AVAS_NEO4J__URI")
    if not uri:
        raise StoreError("AVAS_NEO4J__URI is not set: no Neo4j server to test against")
    return (
        uri,
        os.environ.get("AVAS_NEO4J__USER", "neo4j"),
        os.environ.get("AVAS_NEO4J__PASSWORD", ""),
        os.environ.get("AVAS_NEO4J__DATABASE", "neo4j"),
    )


def wipe_neo4j(uri: str, user: str, password: str, database: str = "neo4j") -> None:
    """Delete every node but the :Migration records; the schema (indexes) stays."""
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
        driver.execute_query(load_queries()["delete_all_data"], database_=database)


def make_neo4j_store(tmp_path: Path) -> Neo4jEventStore:
    """A store on an empty database. ``tmp_path`` is unused: the state lives in the server."""
    del tmp_path
    uri, user, password, database = _settings()
    store = Neo4jEventStore(uri, user, password, database)  # connects and migrates first
    wipe_neo4j(uri, user, password, database)
    return store

"""The Neo4j server the environment names, for tests that ingest into it end to end
(import as `neo4j_env`; pytest puts tests/ on the path).

Without AVAS_NEO4J__URI a test skips and says so; with AVAS_TEST_REQUIRE_NEO4J=1 (CI) it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from avas.config import Neo4jSettings


def server_settings(purpose: str) -> Neo4jSettings:
    uri = os.environ.get("AVAS_NEO4J__URI")
    if not uri:
        if os.environ.get("AVAS_TEST_REQUIRE_NEO4J") == "1":
            pytest.fail("AVAS_TEST_REQUIRE_NEO4J=1 but AVAS_NEO4J__URI is not set")
        pytest.skip(f"AVAS_NEO4J__URI is not set: no Neo4j server {purpose}")
    pytest.importorskip("neo4j", reason="the neo4j driver is not installed: avas[neo4j]")
    return Neo4jSettings(
        uri=uri,
        user=os.environ.get("AVAS_NEO4J__USER", "neo4j"),
        password=os.environ.get("AVAS_NEO4J__PASSWORD", "avas-dev-password"),
        database=os.environ.get("AVAS_NEO4J__DATABASE", "neo4j"),
    )


def reset(cfg: Neo4jSettings) -> None:
    """Empty the database (migration records too) and drop its vector indexes: the contract
    suite shares the server with 8-dimensional fakes, and a store refuses an index made for
    other vectors."""
    import neo4j

    assert cfg.uri is not None
    auth = (cfg.user, cfg.password.get_secret_value())
    with (
        neo4j.GraphDatabase.driver(cfg.uri, auth=auth) as driver,
        driver.session(database=cfg.database) as session,
    ):
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS").consume()
        names = [r["name"] for r in session.run("SHOW VECTOR INDEXES YIELD name")]
        for name in names:  # names come from the server, not from user input
            session.run(f"DROP INDEX `{name}` IF EXISTS").consume()


def emptied_server(purpose: str) -> Iterator[Neo4jSettings]:
    """The server's settings, its database emptied before and after (a fixture's body)."""
    cfg = server_settings(purpose)
    reset(cfg)
    yield cfg
    reset(cfg)

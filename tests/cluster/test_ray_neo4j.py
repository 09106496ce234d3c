"""Chunked ingest on the two-node cluster into Neo4j: the same tiling and answers as one process
into the embedded store. Needs the Neo4j server the environment names (scripts/neo4j-server
start); without AVAS_NEO4J__URI it skips and says so, with AVAS_TEST_REQUIRE_NEO4J=1 (CI) it
fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ray_support import assert_tiles_like

from avas.cluster.ingest import ingest_on_ray
from avas.config import Neo4jSettings, Settings
from avas.media.sample import SampleManifest
from avas.service import Service

pytestmark = [pytest.mark.slow, pytest.mark.neo4j]

QUESTIONS = (
    ("What did the speaker say about the budget?", "million"),
    ("What on-screen text mentions the harbor?", "HARBOR"),
)


def _reset(cfg: Neo4jSettings) -> None:
    """Empty the database (migration records too) and drop its vector indexes: the contract
    suite shares the server with other vector sizes."""
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


@pytest.fixture
def neo4j_cfg() -> Iterator[Neo4jSettings]:
    uri = os.environ.get("AVAS_NEO4J__URI")
    if not uri:
        if os.environ.get("AVAS_TEST_REQUIRE_NEO4J") == "1":
            pytest.fail("AVAS_TEST_REQUIRE_NEO4J=1 but AVAS_NEO4J__URI is not set")
        pytest.skip("AVAS_NEO4J__URI is not set: no Neo4j server for the chunked ingest")
    pytest.importorskip("neo4j", reason="the neo4j driver is not installed: avas[neo4j]")
    cfg = Neo4jSettings(
        uri=uri,
        user=os.environ.get("AVAS_NEO4J__USER", "neo4j"),
        password=os.environ.get("AVAS_NEO4J__PASSWORD", "avas-dev-password"),
        database=os.environ.get("AVAS_NEO4J__DATABASE", "neo4j"),
    )
    _reset(cfg)
    yield cfg
    _reset(cfg)


def test_chunked_ingest_into_neo4j_tiles_and_answers_like_one_process(
    ray_cluster: Any,
    long_video: SampleManifest,
    reference: Service,
    neo4j_cfg: Neo4jSettings,
    tmp_path: Path,
) -> None:
    from agents.graph import agent_for, ask

    service = Service(Settings(home=tmp_path / "home", store="neo4j", neo4j=neo4j_cfg))
    try:
        (report,) = ingest_on_ray(service, [Path(long_video.path)], names=["long"], chunk_ms=60_000)
        assert report.error is None
        ours = service.store.events("long")
        assert_tiles_like(ours, reference.store.events("long"), long_video.duration_ms)
        video = service.store.get_video("long")
        assert video is not None and video.status == "complete"
        ours_agent, theirs_agent = agent_for(service), agent_for(reference)
        for question, word in QUESTIONS:
            mine = ask(ours_agent, question, video_id="long")
            theirs = ask(theirs_agent, question, video_id="long")
            assert mine.found and word.lower() in mine.text.lower(), (question, mine.text)
            assert mine.citations and theirs.citations
            assert mine.citations[0].span.overlaps(theirs.citations[0].span), question
    finally:
        service.close()

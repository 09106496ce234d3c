"""Chunked ingest on the two-node cluster into Neo4j: the same tiling and answers as one process
into the embedded store. Needs the Neo4j server the environment names (scripts/neo4j-server
start); without AVAS_NEO4J__URI it skips and says so, with AVAS_TEST_REQUIRE_NEO4J=1 (CI) it
fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j_env import emptied_server
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


@pytest.fixture
def neo4j_cfg() -> Iterator[Neo4jSettings]:
    yield from emptied_server("for the chunked ingest")


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

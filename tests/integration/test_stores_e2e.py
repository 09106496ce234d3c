"""One generated video through both graph stores: the same answers, citations, moments and stats.

    AVAS_NEO4J__URI=bolt://127.0.0.1:7687 pytest tests/integration/test_stores_e2e.py

The video (tests/conftest.py's `sample`) is ingested into a fresh embedded store and into the
Neo4j server the environment names (scripts/neo4j-server start), then the agent answers the same
questions from each, moment search finds the same spans and `graph stats` counts the same graph.
Without AVAS_NEO4J__URI the test skips and says so; with AVAS_TEST_REQUIRE_NEO4J=1 (CI) it fails.

The server's database is emptied before and after, and its vector indexes are dropped so that the
store makes them anew at the embedder's size: the contract suite uses the same server with
8-dimensional fakes, and a store refuses an index made for other vectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j_env import emptied_server

from agents.graph import agent_for, ask
from agents.state import Answer
from avas.config import Neo4jSettings, Settings
from avas.media.sample import SampleManifest
from avas.retrieval.moments import Moment
from avas.service import Service

QUESTIONS = [
    "What did the speaker say about the budget?",
    "What on-screen text mentions the harbor?",
    "When did the text 'WELCOME TO AVAS' appear?",
    "What text appeared right after 'LOADING DOCK B'?",
    "What did the speaker say before 'BUDGET REVIEW 2026'?",
    "What does the speaker say?",
    "What did the speaker say about the volcano?",  # absent: both must say not found
]
FINDS = ["budget", "harbor crane", "loading dock", "forklift"]


@pytest.fixture
def neo4j_cfg() -> Iterator[Neo4jSettings]:
    yield from emptied_server("to compare the stores on")


def _answer_view(answer: Answer) -> tuple[Any, ...]:
    return (
        answer.found,
        answer.text,
        [(c.kind, c.video_id, c.span, c.text, c.node_id) for c in answer.citations],
    )


def _moment_view(moments: list[Moment]) -> list[tuple[Any, ...]]:
    return [(m.video_id, m.span, m.modality, m.snippet) for m in moments]


def _run(settings: Settings, sample: SampleManifest) -> dict[str, Any]:
    service = Service(settings)
    try:
        service.ingest(Path(sample.path), name="short")
        agent = agent_for(service)
        finder = service.moment_finder()
        return {
            "answers": {q: _answer_view(ask(agent, q, video_id="short")) for q in QUESTIONS},
            "moments": {q: _moment_view(finder.find(q, video_id="short", k=5)) for q in FINDS},
            "stats": service.store.stats(),
            "events": [e.span for e in service.store.events("short")],
        }
    finally:
        service.close()


def test_embedded_and_neo4j_answer_alike(
    sample: SampleManifest, tmp_path: Path, neo4j_cfg: Neo4jSettings
) -> None:
    embedded = _run(Settings(home=tmp_path / "embedded"), sample)
    server = _run(Settings(home=tmp_path / "neo4j", store="neo4j", neo4j=neo4j_cfg), sample)

    # The comparison means something only if the embedded store answers the planted facts.
    budget = embedded["answers"][QUESTIONS[0]]
    assert budget[0] and "budget" in budget[1].lower()
    assert embedded["answers"][QUESTIONS[-1]][0] is False
    assert embedded["moments"]["budget"], "moment search found nothing on the embedded store"
    assert embedded["stats"].nodes.get("event", 0) >= len(sample.scenes())

    assert server["events"] == embedded["events"]
    assert server["stats"] == embedded["stats"]
    for question in QUESTIONS:
        assert server["answers"][question] == embedded["answers"][question], question
    for query in FINDS:
        assert server["moments"][query] == embedded["moments"][query], query

"""The agent searches through the retriever `avas find` uses: what the composition root
configures there (the re-ranker, the frame modality) changes the agent's answers too.

The re-ranker is the real LLM re-ranker client against the scripted chat server on 127.0.0.1
of tests/integration/test_rerank.py; the frames go through the real ingest to the fake image
embeddings server of tests/integration/test_visual_search.py. Store and text embeddings are real.
"""

from __future__ import annotations

from pathlib import Path

# The find tests' fixtures, imported so that pytest finds them here (tests take them as
# parameters of the same name, hence F811).
# ruff: noqa: F401, F811
from test_rerank import MODEL as RANKER
from test_rerank import SIGNS, Script, chat, store
from test_visual_search import colour_video, fake_server, offline, scene, visual

from agents.graph import agent_for, ask
from avas.config import Settings
from avas.graph.networkx_store import NetworkxEventStore
from avas.retrieval.rerank_llm import LLMReranker
from avas.service import Service

QUESTION = "When did the loading dock appear?"


def _over(store: NetworkxEventStore, shared: Service, home: Path) -> Service:
    svc = Service(Settings(home=home))
    svc.store = store  # three videos, one sign each
    svc.embedder = shared.embedder
    return svc


def test_the_configured_reranker_orders_the_agents_evidence(
    store: NetworkxEventStore, service: Service, chat: tuple[Script, str], tmp_path: Path
) -> None:
    script, url = chat
    svc = _over(store, service, tmp_path / "home")
    plain = ask(agent_for(svc), QUESTION)
    assert plain.found
    # Every sign holds the question's words: the first stage prefers the exact, shorter ones.
    assert plain.citations[0].text != SIGNS["dock-c"]
    assert not script.requests

    svc.reranker = LLMReranker(url, RANKER, retries=0)  # as AVAS_SEARCH__RERANK=llm builds it
    ranked = ask(agent_for(svc), QUESTION)
    assert ranked.found
    assert ranked.citations[0].text == SIGNS["dock-c"]  # the scripted ranker's favourite
    assert f"{RANKER}" in " ".join(ranked.models)
    # The ranker read the agent's candidates, named by modality as `avas find` names them.
    user = script.requests[-1]["messages"][-1]["content"]
    assert "(text) LOADING DOCK C CLOSED" in user


def test_the_frame_modality_serves_the_agent(visual: Service, offline: Service) -> None:
    question = "When does the ocean appear?"
    seen = ask(agent_for(visual), question, video_id="colours")
    assert seen.found, seen.steps
    # Only the keyframes can tell: the blue scene's description says "blue", never "ocean".
    assert seen.citations[0].span == scene("blue")
    assert "ocean" not in seen.citations[0].text.lower()
    assert ask(agent_for(visual), "When does a ripe tomato appear?").citations[0].span == scene(
        "red"
    )
    # The same video without the image model: nothing says or shows an ocean.
    assert not ask(agent_for(offline), question, video_id="colours").found

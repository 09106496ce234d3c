"""Re-ranking the top moments: the LLM re-ranker against a scripted OpenAI-compatible chat server
on 127.0.0.1 that checks the request (model, JSON-schema response format, numbered candidates)
and rates the candidates; and the cross-encoder's plumbing with a tiny local model.

The store is the real embedded one, with real text embeddings; only the LLM is scripted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openai_stub import OpenAIStub, Reply, Request, chat_completion, error_body

from avas.errors import DependencyError
from avas.graph.networkx_store import NetworkxEventStore
from avas.retrieval.moments import MomentFinder
from avas.retrieval.rerank_llm import RATINGS_SCHEMA, LLMReranker
from avas.service import Service
from graph_schema import (
    Edge,
    EdgeType,
    Event,
    EventRecord,
    OnScreenText,
    TimeSpan,
    Video,
    event_id,
    text_id,
)

MODEL = "test-ranker"
SIGNS = {
    "dock-a": "LOADING DOCK A",
    "dock-b": "LOADING DOCK B",
    "dock-c": "LOADING DOCK C CLOSED",
}


@dataclass
class Script:
    form: str = "json_schema"
    favourite: str = "CLOSED"  # the candidate holding this word gets 10, the others 2
    skip_others: bool = False  # rate only the favourite
    status: int = 200
    stub: OpenAIStub | None = None

    @property
    def requests(self) -> list[dict[str, Any]]:
        assert self.stub is not None
        return self.stub.bodies


def _rate(req: Request, script: Script) -> Reply:
    body = req.body
    if req.path != "/v1/chat/completions":
        return Reply(404, error_body(req.path))
    if script.status != 200:
        return Reply(script.status, error_body("overloaded"))
    if body.get("model") != MODEL:
        return Reply(404, error_body("unknown model"))
    fmt = body.get("response_format") or {}
    if script.form == "json_schema":
        ok = fmt.get("type") == "json_schema" and fmt["json_schema"]["schema"] == RATINGS_SCHEMA
    else:
        ok = fmt.get("type") == "json_object" and fmt.get("schema") == RATINGS_SCHEMA
    if not ok:
        return Reply(400, error_body(f"response_format not accepted: {fmt}"))
    user = body["messages"][-1]["content"]
    if not user.startswith("Search query: "):
        return Reply(400, error_body("no query"))
    candidates = re.findall(r"^\[(\d+)\] (.*)$", user, re.M)
    ratings = [
        {"id": int(i), "relevance": 10 if script.favourite in text else 2}
        for i, text in candidates
        if not script.skip_others or script.favourite in text
    ]
    return Reply(200, chat_completion({"ratings": ratings}, model=MODEL, tokens=50))


@pytest.fixture
def chat() -> Iterator[tuple[Script, str]]:
    script = Script()
    with OpenAIStub(lambda req: _rate(req, script)) as script.stub:
        yield script, script.stub.v1


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, service: Service
) -> Iterator[NetworkxEventStore]:
    """Three videos, one event each, showing one sign each (moments of different videos never
    merge, so there are three to rank)."""
    store = NetworkxEventStore(tmp_path_factory.mktemp("rerank") / "store.sqlite")
    span = TimeSpan(start_ms=0, end_ms=5_000)
    for video_id, sign in SIGNS.items():
        store.upsert_video(
            Video(id=video_id, path=f"/m/{video_id}.mp4", duration_ms=5_000, width=320,
                  height=180, fps=10, has_audio=False)
        )  # fmt: skip
        eid = event_id(video_id, span)
        text = OnScreenText(
            id=text_id(video_id, span, sign), video_id=video_id, span=span, text=sign,
            model="test/ocr", confidence=0.9,
        )  # fmt: skip
        description = f"Scene: mostly grey. On-screen text: “{sign}”."
        vectors = service.embedder.embed([description, sign])
        store.commit_event(
            EventRecord(
                event=Event(id=eid, video_id=video_id, span=span, description=description),
                texts=[text],
                edges=[
                    Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT),
                    Edge(src=eid, dst=text.id, type=EdgeType.SHOWS_TEXT),
                ],
                vectors={eid: vectors[0].tolist(), text.id: vectors[1].tolist()},
                embedding_model=service.embedder.model_id,
            )
        )
    yield store
    store.close()


QUERY = "LOADING DOCK"


def test_llm_reranker_reorders_the_top_moments(
    store: NetworkxEventStore, service: Service, chat: tuple[Script, str]
) -> None:
    script, url = chat
    plain = MomentFinder(store, service.embedder).find(QUERY, k=3)
    assert len(plain) == 3
    assert plain[0].video_id != "dock-c"  # first-stage fusion prefers the exact, shorter signs
    reranker = LLMReranker(url, MODEL, retries=0)
    ranked = MomentFinder(store, service.embedder, reranker=reranker).find(QUERY, k=3)
    assert ranked[0].video_id == "dock-c"
    assert ranked[0].rerank_score == 10.0
    assert [m.video_id for m in ranked[1:]] == [m.video_id for m in plain if m.video_id != "dock-c"]
    # One request, naming the query and every candidate by number with its modality.
    (request,) = script.requests
    user = request["messages"][-1]["content"]
    assert user.startswith(f"Search query: {QUERY}")
    assert re.findall(r"^\[(\d)\] \((\w+)\)", user, re.M) == [
        ("1", plain[0].modality),
        ("2", plain[1].modality),
        ("3", plain[2].modality),
    ]
    assert request["response_format"]["json_schema"]["strict"] is True


def test_json_object_form_and_an_unrated_candidate(
    store: NetworkxEventStore, service: Service, chat: tuple[Script, str]
) -> None:
    script, url = chat
    script.form, script.favourite, script.skip_others = "json_object", "DOCK B", True
    reranker = LLMReranker(url, MODEL, response_format="json_object", retries=0)
    scores = reranker.score(QUERY, [SIGNS["dock-a"], SIGNS["dock-b"], SIGNS["dock-c"]])
    assert scores == [-1.0, 10.0, -1.0]  # left out: below every rated candidate


def test_rerank_k_smaller_than_the_pool(
    store: NetworkxEventStore, service: Service, chat: tuple[Script, str]
) -> None:
    _, url = chat
    finder = MomentFinder(store, service.embedder, reranker=LLMReranker(url, MODEL, retries=0))
    # The re-ranker sees the whole pool, so k=1 still surfaces its favourite.
    assert [m.video_id for m in finder.find(QUERY, k=1)] == ["dock-c"]


def test_llm_reranker_server_error_names_the_url(chat: tuple[Script, str]) -> None:
    script, url = chat
    script.status = 503
    with pytest.raises(DependencyError, match=re.escape(url) + r"/chat/completions failed"):
        LLMReranker(url, MODEL, retries=1, backoff_s=0.01).score(QUERY, ["a", "b"])
    assert len(script.requests) == 2


def test_settings_build_the_llm_reranker(tmp_path: Path, chat: tuple[Script, str]) -> None:
    from avas.config import SearchSettings, Settings

    _, url = chat
    svc = Service(Settings(home=tmp_path, search=SearchSettings(rerank="llm", rerank_url=url)))
    assert isinstance(svc.reranker, LLMReranker)
    assert svc.moment_finder().reranker is svc.reranker
    no_url = Service(Settings(home=tmp_path, search=SearchSettings(rerank="llm")))
    with pytest.raises(DependencyError, match="AVAS_SEARCH__RERANK_URL"):
        _ = no_url.reranker
    svc.close()


# -- cross-encoder: no real weights here; a tiny random BERT checks the plumbing ---------------


def test_cross_encoder_missing_model_names_the_path(tmp_path: Path) -> None:
    from avas.retrieval.rerank_cross_encoder import CrossEncoderReranker

    with pytest.raises(DependencyError, match=str(tmp_path / "nope")):
        CrossEncoderReranker(tmp_path / "nope")


def test_cross_encoder_scores_pairs_with_a_local_model(tmp_path: Path) -> None:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    from avas.retrieval.rerank_cross_encoder import CrossEncoderReranker

    words = "loading dock closed open gate budget the a".split()
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(words) + 5, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=1,
        initializer_range=1.0,  # wide random weights: pairs get clearly different scores
    )  # fmt: skip
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(tmp_path)
    tokenizer = BertTokenizer(str(vocab))
    tokenizer.save_pretrained(tmp_path)
    passages = ["loading dock closed", "budget", "the gate open"]
    scores = CrossEncoderReranker(tmp_path).score("loading dock", passages)
    # The same pairs through the model by hand: the re-ranker scored each (query, passage) pair.
    with torch.no_grad():
        batch = tokenizer(["loading dock"] * 3, passages, padding=True, return_tensors="pt")
        logits = model(**batch).logits.squeeze(-1)
    expected = torch.sigmoid(logits).tolist()  # CrossEncoder's default for one label
    assert scores == pytest.approx(expected, abs=1e-4)
    assert len({round(s, 3) for s in scores}) == 3

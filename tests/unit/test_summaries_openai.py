"""LLM summaries: OpenAIChatSummariser against a scripted OpenAI-compatible server on 127.0.0.1
that checks each request, writing into the real embedded store through SummaryBuilder.

.venv/bin/pytest tests/unit/test_summaries_openai.py -q
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openai_stub import OpenAIStub, Reply, Request, chat_completion, error_body
from pydantic import SecretStr

from avas.config import SummarySettings
from avas.errors import DependencyError
from avas.graph.networkx_store import NetworkxEventStore
from avas.knowledge.summaries import ExtractiveSummariser, SummaryBuilder, make_summariser
from avas.knowledge.summaries_openai import SCHEMA, OpenAIChatSummariser
from avas.llm.openai_chat import JSONChatClient
from avas.service import Service
from graph_schema import (
    Edge,
    EdgeType,
    Event,
    EventRecord,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    Video,
    event_id,
    speech_id,
    text_id,
)

MODEL, KEY, VIDEO = "test-llm", "sk-test-summaries", "talk"


@dataclass
class Script:
    status: int = 200  # what every answer's HTTP status is
    answer_key: str = "summary"  # the key the model's JSON answer uses
    stub: OpenAIStub | None = None

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The bodies of the requests that passed the contract check (a refused one never
        reaches a model)."""
        assert self.stub is not None
        return [r.body for r in self.stub.requests if _problem(r) is None]


def _problem(req: Request) -> str | None:
    """What a real server (and our contract) would reject in this request, if anything."""
    if req.path != "/v1/chat/completions":
        return f"unknown path {req.path}"
    if req.headers.get("Authorization") != f"Bearer {KEY}":
        return "missing or wrong bearer token"
    body = req.body
    if not isinstance(body, dict):
        return "body is not a JSON object"
    if body.get("model") != MODEL:
        return f"unknown model {body.get('model')!r}"
    fmt = body.get("response_format", {})
    if fmt.get("type") != "json_schema" or fmt["json_schema"].get("schema") != SCHEMA:
        return f"no summary JSON schema: {fmt}"
    messages = body.get("messages", [])
    if [m.get("role") for m in messages] != ["system", "user"]:
        return "want a system and a user message"
    try:
        observed = json.loads(messages[1]["content"])
    except ValueError:
        return "the user message is not the observations as JSON"
    if not {"level", "span", "events", "on_screen_text", "speech"} <= observed.keys():
        return f"observations lack fields: {sorted(observed)}"
    return None


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    def respond(req: Request) -> Reply:
        if script.status != 200:
            return Reply(script.status, error_body("overloaded"))
        observed = json.loads(req.body["messages"][1]["content"])
        told = observed.get("segment_summaries") or observed["on_screen_text"]
        about = "; ".join(told)
        content = {script.answer_key: f"A {observed['level']} about {about}."}
        return Reply(200, chat_completion(content, tokens=42))

    with OpenAIStub(respond, check=_problem) as script.stub:
        yield script.stub.v1, script


@pytest.fixture
def store(tmp_path: Path) -> Iterator[NetworkxEventStore]:
    s = NetworkxEventStore(tmp_path / "store.sqlite")
    s.upsert_video(
        Video(id=VIDEO, path="/talk.mp4", duration_ms=0, width=64, height=64, fps=1, has_audio=True)
    )
    yield s
    s.close()


def commit(store: NetworkxEventStore, start_s: int, shown: str, said: str) -> Event:
    span = TimeSpan(start_ms=start_s * 1000, end_ms=(start_s + 5) * 1000)
    eid = event_id(VIDEO, span)
    text = OnScreenText(
        id=text_id(VIDEO, span, shown),
        video_id=VIDEO,
        span=span,
        text=shown,
        model="t",
        confidence=1,
    )
    speech = SpeechSegment(
        id=speech_id(VIDEO, span), video_id=VIDEO, span=span, text=said, model="t", confidence=1
    )
    event = Event(id=eid, video_id=VIDEO, span=span, description=f"{shown} {said}")
    store.commit_event(
        EventRecord(
            event=event,
            texts=[text],
            speech=[speech],
            edges=[
                Edge(src=VIDEO, dst=eid, type=EdgeType.HAS_EVENT),
                Edge(src=eid, dst=text.id, type=EdgeType.SHOWS_TEXT),
                Edge(src=eid, dst=speech.id, type=EdgeType.HAS_SPEECH),
            ],
        )
    )
    return event


def settings(url: str) -> SummarySettings:
    return SummarySettings(summariser="openai", url=url, model=MODEL, api_key=SecretStr(KEY))


def test_a_chat_model_writes_segment_and_video_summaries(
    server: tuple[str, Script], store: NetworkxEventStore, service: Service
) -> None:
    url, script = server
    summariser = make_summariser(settings(url))
    assert isinstance(summariser, OpenAIChatSummariser)
    builder = SummaryBuilder(
        store, service.embedder, video_id=VIDEO, segment_ms=10_000, summariser=summariser
    )
    for start_s, shown, said in [
        (0, "LOADING DOCK B", "A forklift moves pallets."),
        (5, "HARBOR BRIDGE", "The bridge closes on Friday."),
        (10, "EXIT GATE 7", "Leave through gate seven."),
    ]:
        builder.note(commit(store, start_s, shown, said))
    builder.finish()

    segments = store.summaries(VIDEO, level="segment")
    assert [s.text for s in segments] == [
        "[00:00–00:10]: A segment about LOADING DOCK B; HARBOR BRIDGE.",
        "[00:10–00:15]: A segment about EXIT GATE 7.",
    ]
    assert {s.model for s in store.summaries(VIDEO)} == {f"openai-compatible/{MODEL}"}
    (whole,) = store.summaries(VIDEO, level="video")
    assert whole.text == f"[00:00–00:15]: A video about {segments[0].text}; {segments[1].text}."

    first = json.loads(script.requests[0]["messages"][1]["content"])
    assert first["speech"] == ["A forklift moves pallets.", "The bridge closes on Friday."]
    assert first["events"] == 2 and first["level"] == "segment"
    last = json.loads(script.requests[-1]["messages"][1]["content"])
    assert last["segment_summaries"] == [s.text for s in segments]
    assert len(script.requests) == 3
    # The summaries are searchable like the extractive ones: embedded with the text model.
    query = service.embedder.embed([whole.text])[0]
    hits = store.vector_search(query, k=1, kinds=[NodeKind.SUMMARY])
    assert [h.id for h in hits] == [whole.id]


def test_a_failing_server_is_an_error_not_a_silent_fallback(
    server: tuple[str, Script], store: NetworkxEventStore, service: Service
) -> None:
    url, script = server
    script.status = 503
    client = JSONChatClient(url, MODEL, what="summariser", api_key=KEY, retries=1, backoff_s=0.01)
    builder = SummaryBuilder(
        store,
        service.embedder,
        video_id=VIDEO,
        segment_ms=10_000,
        summariser=OpenAIChatSummariser(client),
    )
    builder.note(commit(store, 0, "LOADING DOCK B", "A forklift moves pallets."))
    with pytest.raises(DependencyError, match="503"):
        builder.finish()
    assert len(script.requests) == 2  # one retry
    assert store.summaries(VIDEO) == []

    script.status, script.answer_key = 200, "text"  # valid JSON, not the schema's shape
    with pytest.raises(DependencyError, match="not a valid summariser"):
        builder.finish()


def test_the_setting_picks_the_summariser() -> None:
    assert isinstance(make_summariser(SummarySettings()), ExtractiveSummariser)
    with pytest.raises(DependencyError, match="AVAS_SUMMARY__URL"):
        make_summariser(SummarySettings(summariser="openai"))

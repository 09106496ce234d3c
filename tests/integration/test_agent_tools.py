"""The offline agent's entity, look-again and verify steps, on real stores and a real video.

Relations come only from a VLM's captions, and no VLM runs here: the relation store is written
with records shaped as the pipeline writes them from a caption (the embeddings are real).
The look-again video is generated and ingested for real, at one frame a second, which misses a
text flashed for 0.4 s; looking again at four frames a second reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_stub import OpenAIStub, Reply, Request, chat_completion, chat_problem, image_parts

from agents.graph import ask, build_agent
from agents.look import SpanLooker
from agents.state import NOT_FOUND, Answer, Citation
from agents.tools import Toolkit
from agents.verify import verify_extractive
from avas.graph.networkx_store import NetworkxEventStore
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.perception.base import SpeechRecognizer
from avas.pipeline import IngestPipeline
from avas.retrieval.hybrid import HybridRetriever
from avas.service import Service
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    Event,
    EventRecord,
    NodeKind,
    TimeSpan,
    Video,
    entity_id,
    event_id,
)

# -- entities and relations --------------------------------------------------------------------


def _record(
    service: Service, start: int, end: int, caption: str, rels: list[tuple[str, str, str]]
) -> EventRecord:
    span = TimeSpan(start_ms=start, end_ms=end)
    eid = event_id("yard", span)
    names = {n for r in rels for n in (r[0], r[2])}
    things = {
        n: Entity(
            id=entity_id(EntityKind.PERSON if "worker" in n else EntityKind.OBJECT, n),
            kind=EntityKind.PERSON if "worker" in n else EntityKind.OBJECT,
            name=n,
            model="vlm",
        )
        for n in sorted(names)
    }
    edges = [Edge(src="yard", dst=eid, type=EdgeType.HAS_EVENT)]
    edges += [Edge(src=eid, dst=t.id, type=EdgeType.INVOLVES, props={"role": "seen"})
              for t in things.values()]  # fmt: skip
    edges += [
        Edge(src=things[s].id, dst=things[o].id, type=EdgeType.RELATES_TO,
             props={"predicate": p, "event_id": eid, "video_id": "yard"})
        for s, p, o in rels
    ]  # fmt: skip
    event = Event(id=eid, video_id="yard", span=span, description=caption)
    (vector,) = service.embedder.embed([caption])
    return EventRecord(
        event=event,
        entities=list(things.values()),
        edges=edges,
        vectors={eid: vector.tolist()},
        embedding_model=service.embedder.model_id,
    )


@pytest.fixture(scope="module")
def yard_agent(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = NetworkxEventStore(tmp_path_factory.mktemp("yard") / "store.sqlite")
    store.upsert_video(
        Video(id="yard", path="/nonexistent/yard.mp4", duration_ms=60_000, width=640,
              height=360, fps=25, has_audio=False)
    )  # fmt: skip
    records = [
        _record(service, 0, 10_000, "A worker drives a red forklift across the yard.",
                [("worker in orange vest", "drives", "red forklift")]),
        _record(service, 10_000, 20_000, "The forklift lifts a pallet.",
                [("red forklift", "lifts", "pallet")]),
        _record(service, 20_000, 30_000, "A truck carries the pallet away.",
                [("delivery truck", "carries", "pallet")]),
    ]  # fmt: skip
    for rec in records:
        store.commit_event(rec)
    yield build_agent(Toolkit(store, HybridRetriever(store, service.embedder)))
    store.close()


def test_who_interacted_with_an_entity(yard_agent: Any) -> None:
    answer = ask(yard_agent, "Who interacted with the pallet?")
    assert answer.found
    assert [(c.text, c.span.start_ms) for c in answer.citations] == [
        ("red forklift lifts pallet", 10_000),
        ("delivery truck carries pallet", 20_000),
    ]
    assert all(c.kind is NodeKind.EVENT and c.node_id.startswith("yard/ev/")
               for c in answer.citations)  # fmt: skip
    assert "red forklift lifts pallet" in answer.text
    assert any(s.startswith("entities(") for s in answer.steps)


def test_relations_of_a_named_person(yard_agent: Any) -> None:
    answer = ask(yard_agent, "What did the worker do with the forklift?")
    # The question names the forklift: its relations, in time order.
    assert [c.text for c in answer.citations] == [
        "worker in orange vest drives red forklift",
        "red forklift lifts pallet",
    ]


def test_relations_of_an_unknown_entity_are_not_found(yard_agent: Any) -> None:
    answer = ask(yard_agent, "Who interacted with the volcano?")
    assert not answer.found and answer.text == NOT_FOUND
    assert any("none; searching instead" in s for s in answer.steps)


# -- look again --------------------------------------------------------------------------------

FLASH = "FLASH CODE 42"


@pytest.fixture(scope="module")
def flash(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    spec = SampleSpec(
        scenes=[
            SceneSpec(duration_ms=1_200, background="gray"),
            SceneSpec(duration_ms=400, background="blue", text=FLASH),
            SceneSpec(
                duration_ms=3_200,
                background="gray",
                speech=[SpeechSpec(offset_ms=200, text="The gate code is seven.")],
            ),
        ]
    )
    return make_sample_video(tmp_path_factory.mktemp("flash") / "flash.mp4", spec)


@pytest.fixture(scope="module")
def flash_store(
    service: Service, flash: SampleManifest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """The flash video ingested at 1 frame a second with the session's models, in its own store."""
    store = NetworkxEventStore(tmp_path_factory.mktemp("flash-store") / "store.sqlite")
    pipeline = IngestPipeline(
        service.settings,
        store,
        embedder=service.embedder,
        reader=service.text_reader,
        asr=service.speech_recognizer,
    )
    pipeline.ingest(Path(flash.path), name="flash")
    yield store
    store.close()


def _looker(service: Service, store: NetworkxEventStore) -> SpanLooker:
    return SpanLooker(
        store, reader=lambda: service.text_reader, asr=lambda: service.speech_recognizer
    )


def test_ingest_at_one_fps_misses_the_flash(flash_store: NetworkxEventStore) -> None:
    # The premise of looking again: the stored events hold the speech, not the flashed text.
    texts = [t.text for e in flash_store.events("flash")
             for t in flash_store.event_details(e.id).texts]  # fmt: skip
    assert not any("FLASH" in t.upper() for t in texts)


def test_look_again_reads_the_flash_and_the_speech(
    service: Service, flash: SampleManifest, flash_store: NetworkxEventStore
) -> None:
    before = flash_store.stats()
    seen = _looker(service, flash_store).look(
        "flash", TimeSpan(start_ms=0, end_ms=flash.duration_ms), question="What was the code?"
    )
    (planted,) = flash.texts()
    texts = [e for e in seen if e.kind is NodeKind.TEXT]
    assert [e.text.replace(" ", "") for e in texts] == [FLASH.replace(" ", "")]
    assert texts[0].span.overlaps(planted.span)
    (said,) = flash.speech()
    speech = [e for e in seen if e.kind is NodeKind.SPEECH]
    assert speech and "gate code" in speech[0].text.lower()
    assert speech[0].span.overlaps(said.span)
    # Each observation cites the stored event it falls in; nothing was written.
    assert all(flash_store.has_event(e.node_id) for e in seen)
    assert flash_store.stats() == before


def test_look_again_decodes_only_its_span(
    service: Service, flash_store: NetworkxEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A look at the first second of a 4.8 s video reads about a second of audio, not the rest
    # of the file: on a 2-hour video that difference was seconds per question.
    from avas.ingest.file_source import FileSource

    read: list[int] = []
    audio = FileSource.audio

    def counting(self: FileSource, start_ms: int = 0) -> Iterator[Any]:
        for chunk in audio(self, start_ms):
            read.append(chunk.start_ms)
            yield chunk

    monkeypatch.setattr(FileSource, "audio", counting)
    _looker(service, flash_store).look("flash", TimeSpan(start_ms=0, end_ms=1_000))
    assert read and max(read) <= 1_000


def test_ingest_stores_the_language_and_a_look_reuses_it(
    service: Service, flash_store: NetworkxEventStore
) -> None:
    # Ingest learns the spoken language from the recogniser; a look passes it back, which spares
    # whisper's language detection (an extra encoder pass) on every look.
    video = flash_store.get_video("flash")
    assert video is not None and video.language == "en"
    asked: list[str | None] = []
    found = service.speech_recognizer
    assert found is not None
    asr: SpeechRecognizer = found  # narrowed for the class body below

    class Recording:
        model_id = asr.model_id

        def transcribe(self, samples: Any, *, language: str | None = None) -> Iterator[Any]:
            asked.append(language)
            return asr.transcribe(samples, language=language)

    looker = SpanLooker(flash_store, reader=lambda: None, asr=lambda: Recording())
    seen = looker.look("flash", TimeSpan(start_ms=1_000, end_ms=4_800))
    assert asked == ["en"]
    assert any("gate code" in e.text.lower() for e in seen)


def test_offline_policy_looks_again_when_evidence_is_thin(
    service: Service, flash: SampleManifest, flash_store: NetworkxEventStore
) -> None:
    tools = Toolkit(
        flash_store,
        HybridRetriever(flash_store, service.embedder),
        looker=_looker(service, flash_store),
    )
    question = "What was the flash code?"
    answer = ask(build_agent(tools, verify=True), question)
    (planted,) = flash.texts()
    assert answer.found and answer.citations[0].kind is NodeKind.TEXT
    assert answer.citations[0].span.overlaps(planted.span)
    assert "42" in answer.text
    assert any(s.startswith("look again at [") for s in answer.steps)
    assert any(s.startswith("verify: ") for s in answer.steps)
    # Without a looker the same question answers from the thin evidence (the spoken "code").
    plain = ask(build_agent(Toolkit(flash_store, tools.retriever)), question)
    assert plain.citations and not any("42" in c.text for c in plain.citations)
    assert not any(s.startswith("look again") for s in plain.steps)


# -- verification (offline) --------------------------------------------------------------------


def _cite(text: str, start: int) -> Citation:
    return Citation(
        video_id="v",
        span=TimeSpan(start_ms=start, end_ms=start + 1000),
        kind=NodeKind.SPEECH,
        text=text,
        node_id=f"v/sp/{start}",
    )


def test_verify_extractive_drops_unsupported_claims() -> None:
    budget = _cite("The budget for next year is four million dollars.", 0)
    bridge = _cite("The harbor bridge will close for repairs on Friday.", 5000)
    answer = Answer(
        question="q",
        text="At [00:00–00:01] the speaker says: “The budget for next year is four million "
        "dollars.” The mayor resigned in protest; the bridge closes on Friday.",
        found=True,
        citations=[budget, bridge],
        policy="p",
    )
    checked = verify_extractive(answer)
    assert checked.text.startswith("At [00:00–00:01] the speaker says: “The budget")
    assert "mayor" not in checked.text and "bridge closes on Friday" in checked.text
    assert checked.citations == [budget, bridge]
    assert checked.steps[-1] == "verify: 2 of 3 claims supported by the cited spans"
    # A claim quoting what no cited span shows is dropped, and with it the whole answer here.
    made_up = answer.model_copy(update={"text": "The screen shows “EXIT GATE 7”.",
                                        "citations": [budget]})  # fmt: skip
    assert verify_extractive(made_up).text == NOT_FOUND
    assert verify_extractive(made_up).citations == []


# -- look again with a VLM ---------------------------------------------------------------------

VLM_CAPTION = {
    "caption": "A blue card flashes the code 42 on a gray background.",
    "entities": [{"name": "blue card", "type": "object", "attributes": ["blue"]}],
    "actions": [],
    "relations": [],
    "visible_text": ["FLASH CODE 42"],
}


@pytest.fixture
def vlm() -> Iterator[OpenAIStub]:
    """A stand-in for vLLM: real HTTP, checks the request's shape; only the caption is canned."""

    def check(req: Request) -> str | None:
        return chat_problem(req, model="test-vlm", with_images=True)

    with OpenAIStub(lambda req: Reply(200, chat_completion(VLM_CAPTION)), check=check) as stub:
        yield stub


def test_look_again_with_a_vlm_asks_it_the_question(
    flash: SampleManifest,
    flash_store: NetworkxEventStore,
    vlm: OpenAIStub,
) -> None:
    from avas.perception.captioner_openai import OpenAICompatibleCaptioner

    captioner = OpenAICompatibleCaptioner(vlm.v1, "test-vlm", response_format="json_schema")
    looker = SpanLooker(
        flash_store, reader=lambda: None, asr=lambda: None, captioner=lambda: captioner
    )
    question = "What was the flash code?"
    seen = looker.look("flash", TimeSpan(start_ms=0, end_ms=flash.duration_ms), question=question)
    captioner.close()
    (request,) = vlm.requests
    assert chat_problem(request, model="test-vlm", with_images=True) is None
    body = request.body
    images = image_parts(body)
    assert 1 <= len(images) <= 4
    assert question in json.dumps(body["messages"])  # the question is the caption's context
    (caption,) = seen
    assert caption.kind is NodeKind.EVENT and "code 42" in caption.text
    assert caption.span == TimeSpan(start_ms=0, end_ms=flash.duration_ms)
    assert flash_store.has_event(caption.node_id)

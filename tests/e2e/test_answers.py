"""End to end: a generated video with planted facts -> ingest -> agent answers cite the truth."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

import pytest

from agents.graph import ask, ask_stream
from agents.state import NOT_FOUND, Answer
from avas.media.sample import PlantedFact, SampleManifest
from avas.pipeline import IngestReport
from avas.service import Service
from graph_schema import NodeKind, normalize_name


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, normalize_name(a), normalize_name(b)).ratio()


def _fact(sample: SampleManifest, kind: str, contains: str) -> PlantedFact:
    (fact,) = [f for f in sample.facts if f.kind == kind and contains in f.text.lower()]
    return fact


def _assert_cites(answer: Answer, fact: PlantedFact) -> None:
    assert answer.found, answer.text
    first = answer.citations[0]
    assert first.span.overlaps(fact.span), (first.span, fact.span, answer.text)
    assert _similar(first.text, fact.text) >= 0.7, (first.text, fact.text)


def test_ingest_report(ingested: IngestReport, sample: SampleManifest) -> None:
    assert ingested.events >= len(sample.scenes())
    assert ingested.speech_segments >= len(sample.speech())
    assert ingested.texts >= len(sample.texts())
    # Repeated frames of a still scene are not read again.
    assert ingested.frames_ocr < ingested.frames_sampled / 2


def test_speech_fact(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "What did the speaker say about the budget?", video_id="short")
    assert answer.citations[0].kind is NodeKind.SPEECH
    _assert_cites(answer, _fact(sample, "speech", "budget"))
    assert "budget" in answer.text.lower()


def test_on_screen_text_fact(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "What on-screen text mentions the harbor?", video_id="short")
    assert answer.citations[0].kind is NodeKind.TEXT
    _assert_cites(answer, _fact(sample, "text", "harbor"))


def test_when_question_cites_the_text_span(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "When did the text 'WELCOME TO AVAS' appear?", video_id="short")
    _assert_cites(answer, _fact(sample, "text", "welcome"))


def test_order_after(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "What text appeared right after 'LOADING DOCK B'?", video_id="short")
    _assert_cites(answer, _fact(sample, "text", "budget"))
    # The anchor is cited too, and it comes first in time.
    anchor = answer.citations[1]
    assert anchor.span.overlaps(_fact(sample, "text", "loading").span)
    assert anchor.span.end_ms <= answer.citations[0].span.start_ms + 1000


def test_order_before_speech(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "What did the speaker say before 'BUDGET REVIEW 2026'?", video_id="short")
    _assert_cites(answer, _fact(sample, "speech", "forklift"))


def test_open_question_lists_speech_in_time_order(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "What does the speaker say?", video_id="short")
    starts = [c.span.start_ms for c in answer.citations]
    assert starts == sorted(starts) and len(starts) >= 3
    _assert_cites(answer, sample.speech()[0])


def test_absent_topic_is_not_found(agent: Any) -> None:
    answer = ask(agent, "What did the speaker say about the volcano eruption?", video_id="short")
    assert not answer.found
    assert answer.text == NOT_FOUND
    assert answer.citations == []


@pytest.mark.parametrize(
    "question",
    [
        # Each is close in meaning to something that is there (the harbor bridge, the office,
        # Friday, the forklift, the budget), so dense similarity alone would call it found.
        "What did the speaker say about the airport?",
        "What did the speaker say about the train station?",
        "What did the speaker say about the hospital?",
        "What did the speaker say about salaries?",
        "What colour is the truck?",
    ],
)
def test_near_miss_absent_topics_are_not_found(agent: Any, question: str) -> None:
    answer = ask(agent, question, video_id="short")
    assert (answer.found, answer.text, answer.citations) == (False, NOT_FOUND, []), answer.text


def test_paraphrased_speech_question_is_found(agent: Any, sample: SampleManifest) -> None:
    answer = ask(agent, "What is the spending plan for next year, according to the speaker?",
                 video_id="short")  # fmt: skip
    _assert_cites(answer, _fact(sample, "speech", "budget"))


def test_answer_names_policy_and_models(agent: Any) -> None:
    answer = ask(agent, "What did the speaker say about the budget?", video_id="short")
    assert answer.policy == "offline-extractive"
    assert any("MiniLM" in m for m in answer.models)


def test_steps_stream_before_the_answer(agent: Any) -> None:
    items = list(ask_stream(agent, "What on-screen text mentions the harbor?", video_id="short"))
    assert isinstance(items[-1], Answer)
    steps = [i for i in items if isinstance(i, str)]
    assert steps[0].startswith("analyse:") and any(s.startswith("search(") for s in steps)


def test_graph_holds_every_modality(service: Service, ingested: IngestReport) -> None:
    stats = service.store.stats()
    assert stats.videos == 1
    assert stats.nodes["event"] == ingested.events
    assert stats.nodes["speech"] == ingested.speech_segments
    assert stats.edges["NEXT"] == ingested.events - 1
    assert stats.edges["HAS_EVENT"] == ingested.events
    observers = set(stats.observers)
    assert any(o.startswith("faster-whisper/") for o in observers)
    assert any(o.startswith("rapidocr") for o in observers)


def test_video_summary_answers_what_it_is_about(
    agent: Any, service: Service, sample: SampleManifest, ingested: IngestReport
) -> None:
    (video_summary,) = service.store.summaries("short", level="video")
    assert video_summary.span.end_ms >= sample.duration_ms - 1000
    answer = ask(agent, "What is this video about?", video_id="short")
    assert answer.citations[0].kind is NodeKind.SUMMARY
    # Every planted on-screen text is in the summary (its first word: OCR may misread a letter
    # further on).
    summary = normalize_name(answer.text)
    for fact in sample.texts():
        assert normalize_name(fact.text.split()[0]) in summary, (fact.text, answer.text)

"""The agent beyond single facts: follow-ups, time windows, counting, multiple choice, corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.choice import choose
from agents.graph import Conversation, ask, build_agent
from agents.tools import Toolkit
from avas.config import Settings
from avas.media.sample import (
    SampleManifest,
    SampleSpec,
    SceneSpec,
    SpeechSpec,
    make_sample_video,
)
from avas.retrieval.hybrid import HybridRetriever
from avas.service import Service
from graph_schema import NodeKind

# A second video for corpus questions, and a repeated text for counting: "GATE OPEN" is shown
# three separate times, with other scenes between.
_SECOND = SampleSpec(
    scenes=[
        SceneSpec(duration_ms=8_000, background="red", text="GATE OPEN"),
        SceneSpec(
            duration_ms=10_000,
            background="blue",
            text="PLATFORM NINE",
            speech=[SpeechSpec(offset_ms=2_000, text="The express train leaves at noon.")],
        ),
        SceneSpec(duration_ms=8_000, background="red", text="GATE OPEN"),
        SceneSpec(duration_ms=8_000, background="green", text="TICKET OFFICE"),
        SceneSpec(duration_ms=8_000, background="red", text="GATE OPEN"),
    ]
)


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory, sample: SampleManifest
) -> Iterator[tuple[Service, Any, Toolkit, SampleManifest]]:
    media = tmp_path_factory.mktemp("corpus")
    second = make_sample_video(media / "station.mp4", _SECOND)
    service = Service(Settings(home=tmp_path_factory.mktemp("corpus-home")))
    service.ingest(Path(sample.path), name="office")
    service.ingest(Path(second.path), name="station")
    tools = Toolkit(service.store, HybridRetriever(service.store, service.embedder))
    yield service, build_agent(tools), tools, second
    service.close()


def test_follow_up_resolves_against_the_last_answer(
    corpus: tuple[Service, Any, Toolkit, SampleManifest], sample: SampleManifest
) -> None:
    _, agent, _, _ = corpus
    chat = Conversation(agent, video_id="office")
    first = chat.ask("What on-screen text mentions the harbor?")
    assert "HARBOR" in first.citations[0].text.upper()
    follow = chat.ask("And what text came right before that?")
    (loading,) = [f for f in sample.texts() if "LOADING" in f.text]
    (budget,) = [f for f in sample.texts() if "BUDGET" in f.text]
    # Before "HARBOR BRIDGE" the screen showed "BUDGET REVIEW 2026" (scene 3).
    assert follow.found
    assert follow.citations[0].span.overlaps(budget.span), follow.text
    assert not follow.citations[0].span.overlaps(loading.span)


def test_time_window_limits_the_answer(
    corpus: tuple[Service, Any, Toolkit, SampleManifest], sample: SampleManifest
) -> None:
    _, agent, _, _ = corpus
    late = ask(agent, "What was said after 00:40?", video_id="office")
    assert late.found and all(c.span.end_ms > 40_000 for c in late.citations)
    early = ask(agent, "What text was shown in the first 20 seconds?", video_id="office")
    assert early.found and all(c.span.start_ms < 20_000 for c in early.citations)
    assert early.citations[0].kind is NodeKind.TEXT


def test_counting_separate_appearances(
    corpus: tuple[Service, Any, Toolkit, SampleManifest],
) -> None:
    _, agent, _, second = corpus
    answer = ask(agent, "How many times did 'GATE OPEN' appear?", video_id="station")
    assert "3 times" in answer.text, answer.text
    truth = [f.span for f in second.texts() if f.text == "GATE OPEN"]
    for span, cited in zip(truth, answer.citations, strict=True):
        assert cited.span.overlaps(span)


def test_corpus_question_finds_the_right_video(
    corpus: tuple[Service, Any, Toolkit, SampleManifest],
) -> None:
    _, agent, _, _ = corpus
    answer = ask(agent, "When does the express train leave?")
    assert answer.citations[0].video_id == "station"
    answer = ask(agent, "What did the speaker say about the budget?")
    assert answer.citations[0].video_id == "office"


def test_multiple_choice_picks_the_observed_option(
    corpus: tuple[Service, Any, Toolkit, SampleManifest], sample: SampleManifest
) -> None:
    _, _, tools, _ = corpus
    choice = choose(
        tools,
        "Which sign is shown right after the forklift scene?",
        ["EXIT GATE 7", "BUDGET REVIEW 2026", "PLATFORM NINE", "NIGHT SHIFT 3"],
        video_id="office",
    )
    assert choice.letter == "B" and not choice.guessed, choice
    choice = choose(
        tools,
        "How much is next year's budget?",
        ["two million dollars", "nine million dollars", "four million dollars", "one dollar"],
        video_id="office",
    )
    assert choice.letter == "C", choice
    (fact,) = [f for f in sample.speech() if "budget" in f.text]
    assert choice.citations[0].span.overlaps(fact.span)

"""Question analysis of the offline policy."""

from __future__ import annotations

import pytest

from agents.analysis import analyse


@pytest.mark.parametrize(
    ("question", "intent", "modality", "anchor"),
    [
        ("What did the speaker say about the budget?", "what", "speech", None),
        ("What on-screen text mentions the harbor?", "what", "text", None),
        ("What text appeared right after 'LOADING DOCK B'?", "after", "text", "LOADING DOCK B"),
        ("What was said before “EXIT GATE 7”?", "before", "speech", "EXIT GATE 7"),
        ("How many times does 'EXIT GATE 7' appear?", "count", "any", "EXIT GATE 7"),
        ("When did the red truck arrive?", "when", "any", None),
        ("Summarise the video", "summary", "any", None),
    ],
)
def test_intent_modality_anchor(question: str, intent: str, modality: str, anchor: str) -> None:
    a = analyse(question)
    assert (a.intent, a.modality, a.anchor) == (intent, modality, anchor)


def test_keywords_drop_question_and_modality_words() -> None:
    assert analyse("What did the speaker say about the budget?").keywords == ["budget"]
    assert analyse("What text appeared right after 'LOADING DOCK B'?").keywords == [
        "loading",
        "dock",
    ]


def test_open_question_has_no_keywords() -> None:
    assert analyse("What does the speaker say?").keywords == []

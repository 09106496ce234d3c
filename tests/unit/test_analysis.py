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


def test_an_absurd_time_amount_is_no_window() -> None:
    # A 400-digit amount once overflowed turning hours into milliseconds (a 500 over HTTP).
    assert analyse("What was said in the first " + "9" * 400 + " hours?").window is None


@pytest.mark.parametrize(
    ("question", "focus", "attribute"),
    [
        ("What colour is the umbrella the woman is holding?", ["umbrella"], "colour"),
        ("What brand is the laptop?", ["laptop"], "brand"),
        ("What is written on the airplane?", ["airplane"], "text"),
        ("What did the speaker say about taxes?", ["taxes"], None),
    ],
)
def test_focus_is_what_must_be_found(question: str, focus: list[str], attribute: str) -> None:
    a = analyse(question)
    assert (a.focus, a.attribute) == (focus, attribute)


def test_names_are_capitalised_words_not_titles_or_quotes() -> None:
    a = analyse("What did Katherine ask Mrs. Allan about 'Bin Blue'?")
    assert a.names == ["katherine", "allan"]


@pytest.mark.parametrize(
    ("question", "people", "faces"),
    [
        ("When is someone standing at the table?", "when", False),
        ("When does a person first show up?", "first", False),
        ("How many times does someone come up to the table?", "count", False),
        ("Is anybody in the video?", "any", False),
        ("When can we see someone's face up close?", "when", True),
    ],
)
def test_people_questions(question: str, people: str, faces: bool) -> None:
    a = analyse(question)
    assert (a.intent, a.people, a.faces) == ("people", people, faces)


def test_a_person_who_speaks_is_a_speech_question() -> None:
    a = analyse("What did the woman with grey hair say?")
    assert (a.intent, a.modality) == ("what", "speech")


def test_which_came_first_has_two_sides() -> None:
    a = analyse("Which came first, the talk about the country or the bicycle?")
    assert (a.intent, a.sides, a.anchor) == (
        "first",
        ["the talk about the country", "the bicycle"],
        None,
    )
    b = analyse("Was the white gown mentioned before or after the talk about the country?")
    assert (b.intent, b.sides[0], b.anchor) == ("first", "the white gown", "the white gown")


def test_count_of_a_stopword_keeps_the_word() -> None:
    assert analyse("How many times does someone say 'again'?").keywords == ["again"]

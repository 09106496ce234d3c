"""Multiple-choice mode (LVBench, Video-MME, MLVU): pick a letter, say why, cite the spans.

    choice = choose(tools, "What is the budget?", ["2 million", "4 million", "6", "8"], "talk")
    choice.letter  # "B"

The offline policy scores each option by the evidence it finds: an option whose own words are
observed in the video (spoken or shown), near the question's topic, wins. With no evidence for
any option it still answers (benchmarks count a blank as wrong), and says it guessed.
"""

from __future__ import annotations

import string

from pydantic import BaseModel, Field

from agents.analysis import analyse
from agents.state import Citation
from agents.tools import Toolkit
from avas.errors import InputError
from avas.retrieval.hybrid import Evidence, word_coverage
from avas.text import content_words

LETTERS = string.ascii_uppercase


class Choice(BaseModel):
    letter: str
    option: str
    rationale: str
    citations: list[Citation] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    guessed: bool = False
    policy: str = "offline-option-evidence"


def _score(option_words: list[str], topic_words: list[str], e: Evidence) -> float:
    """Observed option words dominate; the question topic and dense similarity break ties."""
    return (
        2.0 * word_coverage(option_words, e.text)
        + 0.5 * word_coverage(topic_words, e.text)
        + 0.5 * e.dense
    )


def choose(
    tools: Toolkit, question: str, options: list[str], *, video_id: str | None = None
) -> Choice:
    if not 2 <= len(options) <= len(LETTERS):
        raise InputError(f"a multiple-choice question needs 2-26 options, got {len(options)}")
    analysis = analyse(question)
    topic = analysis.keywords
    scores: dict[str, float] = {}
    best_evidence: dict[str, Evidence] = {}
    for letter, option in zip(LETTERS, options, strict=False):
        words = [w for w in content_words(option) if w not in topic] or content_words(option)
        if not words:
            scores[letter] = 0.0
            continue
        found = tools.search(
            f"{question} {option}",
            modality=analysis.modality,
            video_id=video_id,
            keywords=words,
            k=tools.top_k,
        )
        ranked = sorted(found, key=lambda e: -_score(words, topic, e))
        if ranked:
            best_evidence[letter] = ranked[0]
            scores[letter] = round(_score(words, topic, ranked[0]), 4)
        else:
            scores[letter] = 0.0
    letter = max(scores, key=lambda k: (scores[k], -LETTERS.index(k)))
    option = options[LETTERS.index(letter)]
    evidence = best_evidence.get(letter)
    guessed = evidence is None or word_coverage(content_words(option), evidence.text) == 0
    citations = (
        [
            Citation(
                video_id=evidence.video_id,
                span=evidence.span,
                kind=evidence.kind,
                text=evidence.text,
                node_id=evidence.node_id,
            )
        ]
        if evidence is not None and not guessed
        else []
    )
    rationale = (
        f"No option is observed in the video; {letter} is the closest match."
        if guessed or evidence is None
        else f"({letter}) “{option}” matches what the video shows: “{evidence.text[:160]}”."
    )
    return Choice(
        letter=letter,
        option=option,
        rationale=rationale,
        citations=citations,
        scores=scores,
        guessed=guessed,
    )

"""Multiple-choice mode (LVBench, Video-MME, MLVU): pick a letter, say why, cite the spans.

    choice = choose_by_agent(agent, tools, "What is the budget?", ["2 million", "4 million"])
    choice.letter, choice.guessed, choice.policy  # "B", False, "offline-extractive"

The agent (either policy) answers the question as it would any other: it retrieves, looks again,
says "not found" or verifies, and cites spans. The option its cited evidence supports best is
the choice. Where the agent finds nothing, or its evidence supports no option, the option scorer
(`choose`: each option's own words searched in the video) picks one and the choice says it
guessed, so benchmark reports can count the agent's answers and the guesses apart.
"""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, Field

from agents.analysis import analyse, keywords_of
from agents.judge import WORD_SIMILAR, EvidenceJudge
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


def choose_by_agent(
    agent: Any,
    tools: Toolkit,
    question: str,
    options: list[str],
    *,
    video_id: str | None = None,
    judge: EvidenceJudge | None = None,
) -> Choice:
    """The option the agent's cited evidence supports; the option scorer's pick, marked as a
    guess, when the agent found nothing or its evidence supports no option."""
    from agents.graph import ask

    if not 2 <= len(options) <= len(LETTERS):
        raise InputError(f"a multiple-choice question needs 2-26 options, got {len(options)}")
    judge = judge or EvidenceJudge(tools.retriever.embedder)
    answer = ask(agent, question, video_id=video_id)
    scores: dict[str, float] = {}
    if answer.found and answer.citations:
        cited = " ".join(c.text for c in answer.citations)
        topic = set(keywords_of(question))
        for letter, option in zip(LETTERS, options, strict=False):
            words = [w for w in keywords_of(option) if w not in topic] or keywords_of(option)
            if words:
                held = judge.supported(words, cited)
                scores[letter] = round(len(held) / len(words), 4)
    best = max(scores.values(), default=0.0)
    winners = [k for k, v in scores.items() if v == best]
    if best >= WORD_SIMILAR and len(winners) == 1:
        letter = winners[0]
        option = options[LETTERS.index(letter)]
        return Choice(
            letter=letter,
            option=option,
            rationale=f"({letter}) “{option}”: {answer.text[:200]}",
            citations=answer.citations,
            scores=scores,
            guessed=False,
            policy=answer.policy,
        )
    fallback = choose(tools, question, options, video_id=video_id)
    why = "found nothing" if not answer.found else "cited evidence that supports no one option"
    return fallback.model_copy(
        update={
            "guessed": True,
            "policy": f"{fallback.policy} (guess: the agent {why})",
            "rationale": f"The agent {why}; {fallback.rationale}",
        }
    )

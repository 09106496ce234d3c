"""Verification after answering: keep only the claims the cited evidence supports.

    answer = verify_extractive(answer)   # offline: word overlap with the cited spans' text

An answer is split into claims (sentences, and the parts of a list joined by ";"). A claim that
quotes something (“...”) is supported when every quote is found in a cited span's text; one that
quotes nothing, when most of its words are. Unsupported claims are dropped, with the citations
that only they used; an answer with no supported claim becomes "not found".
"""

from __future__ import annotations

import re

from agents.state import NOT_FOUND, Answer, Citation
from avas.retrieval.hybrid import word_coverage
from avas.text import content_words

_CLAIM_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]”))\s+(?=[A-Z“])|;\s+")
_QUOTE = re.compile(r"“([^”]+)”")
_SPAN = re.compile(r"\[[0-9:]+–[0-9:]+\]")
QUOTE_COVERAGE = 0.8  # OCR and ASR differ a little from one reading to the next
WORD_COVERAGE = 0.5


def claims_of(text: str) -> list[str]:
    return [c.strip() for c in _CLAIM_END.split(text) if c.strip()]


def supporting(claim: str, citations: list[Citation]) -> list[Citation]:
    """The citations that back ``claim``; empty when it is not supported."""
    quotes = _QUOTE.findall(claim)
    if quotes:
        backers: list[Citation] = []
        for quote in quotes:
            words = content_words(quote) or [quote]
            found = [c for c in citations if word_coverage(words, c.text) >= QUOTE_COVERAGE]
            if not found:
                return []
            backers += [c for c in found if c not in backers]
        return backers
    words = content_words(_SPAN.sub(" ", claim))
    if not words:
        return []
    found = [c for c in citations if word_coverage(words, c.text) > 0]
    joined = " ".join(c.text for c in found)
    return found if word_coverage(words, joined) >= WORD_COVERAGE else []


def verify_extractive(answer: Answer) -> Answer:
    """The answer with its unsupported claims (and the citations only they used) dropped."""
    if not answer.found:
        return answer
    claims = claims_of(answer.text)
    kept: list[str] = []
    used: list[Citation] = []
    for claim in claims:
        backers = supporting(claim, answer.citations)
        if backers:
            kept.append(claim)
            used += [c for c in backers if c not in used]
    step = f"verify: {len(kept)} of {len(claims)} claims supported by the cited spans"
    if not kept:
        return answer.model_copy(
            update={
                "text": NOT_FOUND,
                "found": False,
                "citations": [],
                "steps": [*answer.steps, step],
            }
        )
    # Keep the answer's own order of citations (its first is the main one).
    citations = [c for c in answer.citations if c in used]
    text = answer.text if len(kept) == len(claims) else " ".join(kept)
    return answer.model_copy(
        update={"text": text, "citations": citations, "steps": [*answer.steps, step]}
    )

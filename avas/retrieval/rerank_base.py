"""The Reranker seam: re-score the top search results against the query, jointly.

    reranker: Reranker = LLMReranker("http://localhost:8001/v1", "Qwen/Qwen2.5-7B-Instruct")
    scores = reranker.score("red truck at the dock", ["(caption) a red truck ...", "..."])

First-stage retrieval scores each modality alone and fuses ranks; a re-ranker reads the query
and each candidate together (an LLM, or a cross-encoder), which is slower and only worth it on
the few results a person will look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Reranker(Protocol):
    model_id: str

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """One relevance score per passage, in passage order; higher is more relevant."""
        ...


def reorder(items: Sequence[T], scores: Sequence[float]) -> list[T]:
    """Items by score, best first; ties keep their first-stage order."""
    if len(items) != len(scores):
        raise ValueError(f"{len(scores)} scores for {len(items)} items")
    order = sorted(range(len(items)), key=lambda i: (-scores[i], i))
    return [items[i] for i in order]

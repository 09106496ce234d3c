"""Hybrid retrieval: dense (embeddings) and keyword (full-text) search fused by reciprocal rank.

    retriever = HybridRetriever(store, embedder)
    retriever.search("budget for next year", kinds=[NodeKind.SPEECH], video_id="talk", k=5)

Each result also carries ``coverage``: the share of the query's content words found in the
result's text (spaces ignored, since OCR drops them). Dense similarity alone finds *something*
for any query; coverage is what lets the agent tell evidence from a near miss.

``EvidenceSearch`` is the seam the agent searches through. This first stage is one side of it;
``avas.retrieval.moments.MomentFinder`` (what `avas find` uses) is the other, adding the frame
modality and the re-ranker when they are configured.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from avas.graph.base import SEARCHABLE, EventGraphStore, SearchHit
from avas.perception.base import Embedder
from avas.text import content_words
from graph_schema import NodeKind, TimeSpan, normalize_name

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of the very top ranks
QUERY_CACHE = 64  # an agent embeds one question several times (search, the bar, broadening)


class Evidence(BaseModel):
    node_id: str
    kind: NodeKind
    video_id: str
    span: TimeSpan
    text: str
    fused: float = Field(description="reciprocal-rank-fusion score")
    dense: float = Field(0.0, description="cosine similarity, 0 when not a dense hit")
    coverage: float = Field(0.0, ge=0, le=1, description="share of query words in the text")
    frame: float = Field(
        0.0,
        description="image-text similarity of the event's keyframes, set only when they stand "
        "out from the video's other keyframes for this query (the frame modality)",
    )
    rerank: float | None = Field(None, description="the re-ranker's relevance, when one ran")


class EvidenceSearch(Protocol):
    """What the agent searches through: node-level evidence and how high a hit must score."""

    embedder: Embedder

    def search(
        self,
        query: str,
        *,
        kinds: Sequence[NodeKind] = ...,
        video_id: str | None = None,
        k: int = 8,
        keywords: Sequence[str] | None = None,
    ) -> list[Evidence]: ...

    def dense_bar(
        self,
        query: str,
        *,
        kinds: Sequence[NodeKind] = ...,
        video_id: str | None = None,
        floor: float = 0.3,
    ) -> float: ...

    def model_ids(self) -> list[str]: ...


def word_coverage(words: Sequence[str], text: str) -> float:
    if not words:
        return 0.0
    squashed = normalize_name(text)
    return sum(1 for w in words if normalize_name(w) in squashed) / len(words)


class HybridRetriever:
    def __init__(self, store: EventGraphStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        # query -> its embedding, least recently used first; the API asks from several threads
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    def query_vector(self, query: str) -> npt.NDArray[np.float32]:
        """The query's embedding, computed once while it is among the last few queries."""
        with self._lock:
            vector = self._vectors.pop(query, None)
        if vector is None:
            vector = self.embedder.embed([query])[0]
            vector.setflags(write=False)  # shared by every caller of the same query
        with self._lock:
            self._vectors[query] = vector
            while len(self._vectors) > QUERY_CACHE:
                del self._vectors[next(iter(self._vectors))]
        return vector

    def search(
        self,
        query: str,
        *,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
        k: int = 8,
        keywords: Sequence[str] | None = None,
    ) -> list[Evidence]:
        """Fused results, best first. ``keywords`` overrides the words used for keyword search."""
        words = list(keywords) if keywords is not None else content_words(query)
        if not words and not query.strip():
            return []
        return self.fused(query, words, kinds=kinds, video_id=video_id, pool=max(k * 4, 20))[:k]

    def fused(
        self,
        query: str,
        words: Sequence[str],
        *,
        kinds: Sequence[NodeKind],
        video_id: str | None,
        pool: int,
    ) -> list[Evidence]:
        """Every dense and keyword hit of the ``pool`` best each, fused, best first."""
        vector = self.query_vector(query)
        dense = self.store.vector_search(vector, k=pool, kinds=kinds, video_id=video_id)
        keyword = (
            self.store.keyword_search(" ".join(words), k=pool, kinds=kinds, video_id=video_id)
            if words
            else []
        )
        fused: dict[str, float] = {}
        hits: dict[str, SearchHit] = {}
        for ranking in (dense, keyword):
            for rank, hit in enumerate(ranking):
                fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (RRF_K + rank + 1)
                hits.setdefault(hit.id, hit)
        dense_score = {h.id: h.score for h in dense}
        results = [
            Evidence(
                node_id=node_id,
                kind=hits[node_id].kind,
                video_id=hits[node_id].video_id,
                span=hits[node_id].span,
                text=hits[node_id].text,
                fused=score,
                dense=dense_score.get(node_id, 0.0),
                coverage=word_coverage(words, hits[node_id].text),
            )
            for node_id, score in fused.items()
        ]
        results.sort(key=lambda e: (-e.coverage, -e.fused, e.span.start_ms))
        return results

    def model_ids(self) -> list[str]:
        return [self.embedder.model_id]

    def dense_bar(
        self,
        query: str,
        *,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
        floor: float = 0.3,
    ) -> float:
        """How similar a hit must be to stand out from this video's own observations.

        Cosines depend on the query and the material (a lecture scores higher against any
        question than street footage does), so one fixed bar is wrong for most videos: the bar
        is the median of the video's similarities plus three robust deviations (MAD).
        """
        vector = self.query_vector(query)
        scores = [
            h.score for h in self.store.vector_search(vector, k=256, kinds=kinds, video_id=video_id)
        ]
        if len(scores) < 8:  # too few observations to tell an outlier: only a clear match
            return max(floor, 0.5)
        median = statistics.median(scores)
        mad = statistics.median(abs(s - median) for s in scores) * 1.4826
        return max(floor, median + 3 * mad)

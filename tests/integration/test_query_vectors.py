"""The retriever embeds a question once however many times the agent searches with it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from avas.perception.base import Embedder
from avas.pipeline import IngestReport
from avas.retrieval import hybrid
from avas.retrieval.hybrid import HybridRetriever
from avas.service import Service


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: Iterable[str]) -> npt.NDArray[np.float32]:
        batch = list(texts)
        self.texts += batch
        return self.inner.embed(batch)


def test_search_and_bar_share_one_embedding(service: Service, ingested: IngestReport) -> None:
    counting = CountingEmbedder(service.embedder)
    cached = HybridRetriever(service.store, counting)  # type: ignore[arg-type]
    fresh = HybridRetriever(service.store, service.embedder)
    question = "What did the speaker say about the budget?"

    hits = cached.search(question, video_id=ingested.video_id)
    bar = cached.dense_bar(question, video_id=ingested.video_id)
    again = cached.search(question, video_id=ingested.video_id)

    assert counting.texts == [question]
    # The cached vector gives exactly what embedding it afresh gives.
    assert [h.node_id for h in hits] == [h.node_id for h in again]
    assert [h.node_id for h in hits] == [
        h.node_id for h in fresh.search(question, video_id=ingested.video_id)
    ]
    assert bar == fresh.dense_bar(question, video_id=ingested.video_id)
    assert any("budget" in h.text.lower() for h in hits)


def test_the_oldest_question_is_embedded_again_after_the_cache_fills(service: Service) -> None:
    counting = CountingEmbedder(service.embedder)
    retriever = HybridRetriever(service.store, counting)  # type: ignore[arg-type]
    questions = [f"question number {i}" for i in range(hybrid.QUERY_CACHE + 1)]
    for q in questions:
        retriever.query_vector(q)
    retriever.query_vector(questions[-1])  # still cached
    retriever.query_vector(questions[0])  # evicted: embedded again
    assert counting.texts == [*questions, questions[0]]
    vector = retriever.query_vector(questions[0])
    assert not vector.flags.writeable  # shared by callers: nobody may change it in place

"""The embedded store's search: exact cosine over the vector rows (vector_matrix) and keyframes,
and keyword search over the in-memory keyword index (built from FTS5's rows on first use)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from avas.graph.base import SEARCHABLE, SearchHit
from avas.graph.keyword_index import KeywordIndex
from avas.graph.networkx_sync import SyncedStore
from avas.text import STOPWORDS
from graph_schema import Event, NodeKind


def _search_terms(text: str) -> list[str]:
    """User text -> its content words (3+ characters, no stopwords), each matched as a substring
    (see keyword_index): words inside OCR text that lost its spaces, inflected forms."""
    words = [w for w in re.findall(r"[0-9a-z]+", text.lower()) if len(w) >= 3]
    return [w for w in dict.fromkeys(words) if w not in STOPWORDS]


class StoreSearch(SyncedStore):
    def node_hit(self, node_id: str) -> SearchHit:
        with self._reading():
            return self._hit(node_id, 0.0)

    def _hit(self, node_id: str, score: float) -> SearchHit:
        model = self._model(node_id)
        kind: NodeKind = self._graph.nodes[node_id]["kind"]
        text = model.description if isinstance(model, Event) else getattr(model, "text", "")
        return SearchHit(
            id=node_id,
            kind=kind,
            video_id=getattr(model, "video_id"),  # noqa: B009
            span=getattr(model, "span"),  # noqa: B009
            text=text,
            score=score,
        )

    def vector_search(
        self,
        vector: npt.NDArray[np.float32],
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        with self._reading():
            found = self._vectors.search(vector, k=k, kinds=kinds, video_id=video_id)
            return [self._hit(node_id, score) for node_id, score in found]

    def frame_search(
        self, vector: npt.NDArray[np.float32], *, k: int, video_id: str | None = None
    ) -> list[SearchHit]:
        with self._reading():
            found = self._frames.search(vector, k=k, video_id=video_id)
            return [self._hit(eid, score) for eid, score in found if eid in self._graph]

    def has_frames(self, video_id: str | None = None) -> bool:
        with self._reading():
            return self._frames.has_frames(video_id)

    def keyword_search(
        self,
        query: str,
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        terms = _search_terms(query)
        if not terms or k <= 0:
            return []
        with self._reading():
            if self._keywords is None:
                self._keywords = KeywordIndex()
                self._index_keywords("SELECT id, video_id, kind, body FROM text_index", ())
            found = self._keywords.search(terms, k=k, kinds=kinds, video_id=video_id)
            return [self._hit(node_id, score) for node_id, score in found if node_id in self._graph]

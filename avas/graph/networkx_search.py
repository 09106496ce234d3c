"""The embedded store's search: exact cosine over the vector rows and keyframes, and keyword
search over the in-memory keyword index (built from FTS5's rows on first use)."""

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

_KIND_CODES = {kind: code for code, kind in enumerate(NodeKind)}


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
            if not self._vec_ids or k <= 0:
                return []
            if self._vec_matrix is None:
                self._vec_matrix = np.vstack(self._vec_rows)
                self._vec_filters = None
            if self._vec_filters is None:
                # Each row's kind and video as small ints: the filters become one mask.
                videos: dict[str | None, int] = {}
                metas = [self._vec_meta[node_id] for node_id in self._vec_ids]
                self._vec_filters = (
                    np.fromiter((_KIND_CODES[kind] for kind, _ in metas), np.int8, len(metas)),
                    np.fromiter(
                        (videos.setdefault(vid, len(videos)) for _, vid in metas),
                        np.int32,
                        len(metas),
                    ),
                    videos,
                )
            kind_codes, video_codes, videos = self._vec_filters
            scores = self._vec_matrix @ np.asarray(vector, dtype=np.float32)
            wanted = np.isin(kind_codes, [_KIND_CODES[NodeKind(kind)] for kind in kinds])
            if video_id is not None:
                wanted &= video_codes == videos.get(video_id, -1)
            found = np.flatnonzero(wanted)
            if len(found) > k:  # the k best without sorting every row
                found = found[np.argpartition(-scores[found], k - 1)[:k]]
            order = np.lexsort((found, -scores[found]))
            return [self._hit(self._vec_ids[int(i)], float(scores[int(i)])) for i in found[order]]

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

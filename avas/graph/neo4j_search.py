"""The Neo4j store's search: its vector, keyframe and full-text (Lucene) indexes, filtered in
the query over a pool of candidates that widens until k pass."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from avas.errors import NotFoundError
from avas.graph.base import SEARCHABLE, SearchHit
from avas.graph.neo4j_core import Neo4jCore
from avas.graph.neo4j_rows import search_hit
from avas.text import STOPWORDS
from graph_schema import NodeKind

# Lucene query syntax; `&&` and `||` are covered by escaping each `&` and `|`.
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


def escape_lucene(term: str) -> str:
    """Backslash-escape every character that Lucene's query parser treats as syntax."""
    return _LUCENE_SPECIAL.sub(r"\\\1", term)


def lucene_query(text: str) -> str | None:
    """User text -> a Lucene expression of escaped content words, or None if there are none.

    The same words as the embedded store's FTS query (3+ characters, no stopwords), any of
    them. Each word also matches inside a longer one, as the embedded store's trigram index
    does (``*bridge*`` finds OCR's "HARBORBRIDGE", ``*budget*`` finds "budgets"); the word itself
    scores higher, since Lucene gives a wildcard match a constant score.
    """
    words = [w for w in re.findall(r"[0-9a-z]+", text.lower()) if len(w) >= 3]
    terms = [escape_lucene(w) for w in dict.fromkeys(words) if w not in STOPWORDS]
    return " ".join(f"{t} *{t}*" for t in terms) or None


class Neo4jSearch(Neo4jCore):
    def node_hit(self, node_id: str) -> SearchHit:
        rows = self._read("node_hit", node_id=node_id)
        if not rows:
            raise NotFoundError(f"no event, speech or text node {node_id!r} in the store")
        return search_hit(rows[0]["kind"], rows[0]["data"], 0.0)

    def vector_search(
        self,
        vector: npt.NDArray[np.float32],
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        if k <= 0:
            return []
        query = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        # Neo4j reports cosine similarity as (1 + cos) / 2; give back the cosine itself, the
        # scale the embedded store uses.
        return self._filtered_search(
            "vector_search", k, kinds, video_id, lambda s: 2.0 * s - 1.0, vector=query
        )

    def _filtered_search(
        self,
        name: str,
        k: int,
        kinds: Sequence[NodeKind],
        video_id: str | None,
        score: Callable[[float], float],
        **params: Any,
    ) -> list[SearchHit]:
        """Ask an index for a pool of candidates, filtered in the query; widen the pool until k
        pass or the index has nothing more to give (approximate indexes know no filters)."""
        wanted = sorted({NodeKind(kind).value for kind in kinds})
        filtered = video_id is not None or set(wanted) != {kind.value for kind in SEARCHABLE}
        candidates = k * 10 if filtered else k
        while True:
            (row,) = self._read(
                name, candidates=candidates, kinds=wanted, video_id=video_id, k=k, **params
            )
            hits = [search_hit(h["kind"], h["data"], score(float(h["score"]))) for h in row["hits"]]
            if len(hits) >= k or row["pool"] < candidates or candidates >= 100_000:
                return hits[:k]
            candidates *= 4

    def frame_search(
        self, vector: npt.NDArray[np.float32], *, k: int, video_id: str | None = None
    ) -> list[SearchHit]:
        if k <= 0:
            return []
        query = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        # As vector_search: the index returns frames, several per event and of every video, so
        # widen the pool until k events pass the filter or the index has nothing more to give.
        candidates = k * 4 if video_id is None else k * 20
        while True:
            rows = self._read("frame_search", candidates=candidates, vector=query)
            best: dict[str, SearchHit] = {}
            for r in rows:
                if r["event_id"] in best or (video_id is not None and r["video_id"] != video_id):
                    continue
                # Neo4j reports cosine similarity as (1 + cos) / 2: give back the cosine.
                best[r["event_id"]] = search_hit("event", r["data"], 2.0 * float(r["score"]) - 1.0)
            if len(best) >= k or len(rows) < candidates or candidates >= 100_000:
                return list(best.values())[:k]
            candidates *= 4

    def has_frames(self, video_id: str | None = None) -> bool:
        rows = self._read("has_keyframes", video_id=video_id)
        return bool(rows and rows[0]["found"])

    def keyword_search(
        self,
        query: str,
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        expr = lucene_query(query)
        if expr is None or k <= 0:
            return []
        return self._filtered_search("keyword_search", k, kinds, video_id, float, query=expr)

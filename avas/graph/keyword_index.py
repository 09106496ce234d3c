"""In-memory keyword search for the embedded store: substring matching, BM25 ranking, filters.

    index = KeywordIndex(); index.put("v/sp/0-900", "v", NodeKind.SPEECH, "The budgets are in")
    index.search(["budget"], k=5, kinds={NodeKind.SPEECH}, video_id="v")  # [("v/sp/0-900", 1.2)]

A query word matches a text when it occurs inside it (case-insensitive), as SQLite's trigram
index matched: "bridge" finds OCR's "HARBORBRIDGE", "budget" finds "budgets". Query words are
[0-9a-z]+, so an occurrence always lies inside one maximal [0-9a-z] run of the text: the index
keeps those runs ("words") with their documents, and a query word expands to every indexed word
that contains it. Why in memory: FTS5 ranks every match before it applies LIMIT, which at 100k
events (tens of thousands of matches per common word) cost hundreds of milliseconds; here the
matches are scored with numpy, the kind and video filters are masks, and only the top k leave.
Score: BM25 (k1 1.2, b 0.75) over words, positive, higher is better.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_schema import NodeKind

_WORD = re.compile(r"[0-9a-z]+")
_K1 = 1.2
_B = 0.75
_KINDS = list(NodeKind)


class KeywordIndex:
    """Not thread-safe on its own: the store calls it under its lock."""

    def __init__(self) -> None:
        # Compact typed arrays, not lists of Python ints: millions of postings at 100k events.
        self._ids: list[str] = []  # document -> node id
        self._doc_of: dict[str, int] = {}  # node id -> its live document
        self._lengths = array("i")
        self._kinds = array("b")
        self._videos = array("i")
        self._alive = array("b")
        self._video_codes: dict[str | None, int] = {}
        self._postings: dict[str, tuple[array[int], array[int]]] = {}  # word -> (docs, counts)
        self._arrays: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]] = {}
        self._columns: tuple[npt.NDArray[Any], ...] | None = None
        self._live = 0
        self._total_length = 0

    def __len__(self) -> int:
        return self._live

    def put(self, node_id: str, video_id: str | None, kind: NodeKind, body: str) -> None:
        """Index a node's text, replacing what it had."""
        self.remove([node_id])
        words = Counter(_WORD.findall(body.lower()))
        doc = len(self._ids)
        self._ids.append(node_id)
        self._doc_of[node_id] = doc
        length = sum(words.values())
        self._lengths.append(length)
        self._kinds.append(_KINDS.index(kind))
        self._videos.append(self._video_codes.setdefault(video_id, len(self._video_codes)))
        self._alive.append(1)
        for word, count in words.items():
            docs, counts = self._postings.setdefault(word, (array("i"), array("i")))
            docs.append(doc)
            counts.append(count)
            self._arrays.pop(word, None)
        self._columns = None
        self._live += 1
        self._total_length += length

    def remove(self, node_ids: Iterable[str]) -> None:
        # A removed document stays in the postings, masked as dead: rebuilding them per removal
        # would cost more than the dead rows do (the store rebuilds the index on a full reload).
        for node_id in node_ids:
            doc = self._doc_of.pop(node_id, None)
            if doc is not None:
                self._alive[doc] = 0
                self._live -= 1
                self._total_length -= self._lengths[doc]
                self._columns = None

    def _words_containing(self, term: str) -> list[str]:
        return [w for w in self._postings if term in w]

    def _word_arrays(self, word: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        cached = self._arrays.get(word)
        if cached is None:
            docs, counts = self._postings[word]
            cached = (np.frombuffer(docs, np.int32).copy(), np.asarray(counts, np.float64))
            self._arrays[word] = cached
        return cached

    def search(
        self,
        terms: Sequence[str],
        *,
        k: int,
        kinds: Iterable[NodeKind],
        video_id: str | None = None,
    ) -> list[tuple[str, float]]:
        """The best ``k`` (node id, score) of live documents of these kinds (and video) that
        contain at least one of ``terms`` (lower-case [0-9a-z] words)."""
        if k <= 0 or not terms or not self._live:
            return []
        if video_id is not None and video_id not in self._video_codes:
            return []
        if self._columns is None:
            self._columns = (
                np.asarray(self._lengths, np.float64),
                np.frombuffer(self._kinds, np.int8).copy(),
                np.frombuffer(self._videos, np.int32).copy(),
                np.frombuffer(self._alive, np.int8).astype(bool),
            )
        lengths, kind_codes, video_codes, alive = self._columns
        wanted = np.isin(kind_codes, [_KINDS.index(NodeKind(kind)) for kind in kinds]) & alive
        if video_id is not None:
            wanted &= video_codes == self._video_codes[video_id]
        n_docs = len(self._ids)
        norm = _K1 * (1 - _B + _B * lengths / max(self._total_length / self._live, 1e-9))
        scores = np.zeros(n_docs)
        for term in dict.fromkeys(terms):
            tf = np.zeros(n_docs)
            for word in self._words_containing(term):
                docs, counts = self._word_arrays(word)
                tf[docs] += counts
            tf *= alive
            matched = int(np.count_nonzero(tf))
            if not matched:
                continue
            idf = math.log((self._live - matched + 0.5) / (matched + 0.5) + 1)
            scores += idf * tf * (_K1 + 1) / (tf + norm)
        scores[~wanted] = 0.0
        found = np.flatnonzero(scores)
        if len(found) > k:  # keep everything that ties the k-th best, then order and cut
            kth = -np.partition(-scores[found], k - 1)[k - 1]
            found = found[scores[found] >= kth]
        # Best first; equal scores in indexing order, so results do not depend on numpy's sort.
        order = np.lexsort((found, -scores[found]))[:k]
        return [(self._ids[int(d)], float(scores[int(d)])) for d in found[order]]

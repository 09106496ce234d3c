"""Moment and video search: where in which video does the query happen?

    finder = MomentFinder(store, embedder)
    finder.find("LOADING DOCK B", k=5)  # -> [Moment(video_id="demo", modality="text", ...)]

Captions (event descriptions), speech and on-screen text are searched separately, dense and by
keyword, and fused by reciprocal rank with per-modality weights read off the query: quoted
words, names and codes point at on-screen text (and speech), colours and objects at captions,
"said"/"mention" at speech. A word-coverage boost lets exact matches win; hits of adjacent events
merge into one contiguous moment. A query with no evidence (no word found, dense similarity below
``min_dense``) finds nothing rather than the least bad guess.

With an image-text embedder (``ImageEmbedder``, CLIP-like) and keyframe vectors in the store, a
fourth modality, "frame", compares the query with the keyframes themselves and joins the same
fusion; without one it costs nothing. A ``Reranker``, when given, re-orders the top moments.

The agent searches through the same object (``search``: node-level evidence, the
``EvidenceSearch`` seam), so the frame modality and the re-ranker serve it too; without either,
``search`` is exactly the first-stage ``HybridRetriever.search``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from avas.graph.base import SEARCHABLE, EventGraphStore, SearchHit
from avas.perception.base import Embedder
from avas.perception.image_embed_base import ImageEmbedder
from avas.retrieval.hybrid import RRF_K, Evidence, HybridRetriever, word_coverage
from avas.retrieval.query import (
    BASE_WEIGHTS,
    MODALITIES,
    Modality,
    fuzzy_coverage,
    has_phrase,
    plan_query,
)
from avas.retrieval.rerank_base import Reranker, reorder
from avas.text import content_words
from graph_schema import Event, NodeKind, TimeSpan

_KIND: dict[Modality, NodeKind] = {
    "speech": NodeKind.SPEECH,
    "text": NodeKind.TEXT,
    "caption": NodeKind.EVENT,
}
_MODALITY: dict[NodeKind, Modality] = {kind: m for m, kind in _KIND.items()}
_WORDY: tuple[Modality, ...] = ("speech", "text", "caption")  # searched by words and text vectors
# How a node kind is named to the re-ranker (as `avas find` names a moment's modality).
_NAMES: dict[NodeKind, str] = {
    NodeKind.SPEECH: "speech",
    NodeKind.TEXT: "text",
    NodeKind.EVENT: "caption",
    NodeKind.SUMMARY: "summary",
}

COVERAGE_BOOST = 1.0  # a hit's score is multiplied by 1 + this x its word coverage
PHRASE_BOOST = 1.0  # ... and by 1 + this again when it holds the query's words as one phrase
MERGE_GAP_MS = 1_000  # events this close count as adjacent
MIN_COVERAGE = 0.5  # a hit with fewer of the query's words needs dense similarity to count
SNIPPET_CHARS = 160


class Moment(BaseModel):
    video_id: str
    span: TimeSpan
    score: float = Field(description="fused score; higher is better, comparable within one query")
    modality: Modality = Field(description="which kind of evidence matched best")
    snippet: str = Field(description="the best-matching text: speech, on-screen text or caption")
    node_ids: list[str] = Field(description="every matched node, best first")
    rerank_score: float | None = Field(
        None, description="the re-ranker's relevance, when one re-ordered the top results"
    )


class VideoHit(BaseModel):
    video_id: str
    score: float = Field(description="best moment's score plus a share of the others'")
    moments: int = Field(description="matching moments in this video")
    best: Moment


@dataclass
class _NodeScore:
    hit: SearchHit
    modality: Modality
    score: float = 0.0
    dense: float = 0.0
    coverage: float = 0.0


@dataclass
class _EventHit:
    event: Event
    nodes: list[_NodeScore] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        """Holds the query's words, not just something like them: such events may merge."""
        return any(n.coverage >= MIN_COVERAGE for n in self.nodes)

    @property
    def score(self) -> float:
        # Agreement between modalities is evidence: sum each modality's best node.
        best: dict[Modality, float] = {}
        for n in self.nodes:
            best[n.modality] = max(best.get(n.modality, 0.0), n.score)
        return sum(best.values())

    def lead(self) -> _NodeScore:
        """The node that explains the match best.

        A caption that restates speech or text it contains is no better evidence than that
        speech or text itself, whose span is also tighter: prefer it when it covers as much.
        """
        top = max(self.nodes, key=lambda n: n.score)
        if top.modality in ("caption", "frame"):
            precise = [n for n in self.nodes if n.modality in _WORDY and n.coverage > 0]
            if precise:
                best = max(precise, key=lambda n: (n.coverage, n.score))
                if best.coverage >= top.coverage:
                    return best
        return top


class MomentFinder:
    """Modality-aware hybrid moment search; building one does no I/O."""

    def __init__(
        self,
        store: EventGraphStore,
        embedder: Embedder,
        *,
        min_dense: float = 0.45,
        image_embedder: ImageEmbedder | None = None,
        frame_min_score: float = 0.2,
        reranker: Reranker | None = None,
        rerank_top_n: int = 20,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.min_dense = min_dense
        self.image_embedder = image_embedder
        self.frame_min_score = frame_min_score
        self.reranker = reranker
        self.rerank_top_n = rerank_top_n
        self.hybrid = HybridRetriever(store, embedder)

    # -- node-level evidence, for the agent (the EvidenceSearch seam) --------------------------

    def search(
        self,
        query: str,
        *,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
        k: int = 8,
        keywords: Sequence[str] | None = None,
    ) -> list[Evidence]:
        """The first stage's fused hits, with events whose keyframes stand out for the query
        (when there are frames), the head re-ordered by the re-ranker (when there is one)."""
        words = list(keywords) if keywords is not None else content_words(query)
        if not words and not query.strip():
            return []
        pool = max(k * 4, 20)
        found = self.hybrid.fused(query, words, kinds=kinds, video_id=video_id, pool=pool)
        if NodeKind.EVENT in kinds:
            found = self._with_frames(query, words, found, video_id=video_id, pool=pool)
        if self.reranker is not None and len(found) > 1:
            head, tail = found[: self.rerank_top_n], found[self.rerank_top_n :]
            passages = [f"({_NAMES.get(e.kind, e.kind.value)}) {e.text}" for e in head]
            scores = self.reranker.score(query, passages)
            rated = [e.model_copy(update={"rerank": s}) for e, s in zip(head, scores, strict=True)]
            found = reorder(rated, scores) + tail
        return found[:k]

    def dense_bar(
        self,
        query: str,
        *,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
        floor: float = 0.3,
    ) -> float:
        return self.hybrid.dense_bar(query, kinds=kinds, video_id=video_id, floor=floor)

    def model_ids(self) -> list[str]:
        extra = [m.model_id for m in (self.image_embedder, self.reranker) if m is not None]
        return [self.embedder.model_id, *extra]

    def _with_frames(
        self,
        query: str,
        words: Sequence[str],
        found: list[Evidence],
        *,
        video_id: str | None,
        pool: int,
    ) -> list[Evidence]:
        """``found`` joined by the events whose keyframes stand out from the video's own for
        the query: similarity at least the median plus three robust deviations (MAD) of every
        event's, and ``frame_min_score``; with fewer than 8 events, at least 0.5 (image-text
        cosines are on their own scale, and a few frames show no distribution)."""
        if self.image_embedder is None or not self.store.has_frames(video_id):
            return found
        vector = self.image_embedder.embed_texts([query.strip()])[0]
        hits = self.store.frame_search(vector, k=max(pool, 256), video_id=video_id)
        scores = [h.score for h in hits]
        if len(scores) < 8:
            bar = max(self.frame_min_score, 0.5)
        else:
            median = statistics.median(scores)
            mad = statistics.median(abs(s - median) for s in scores) * 1.4826
            bar = max(self.frame_min_score, median + 3 * mad)
        by_id = {e.node_id: e for e in found}
        weight = BASE_WEIGHTS["frame"]
        for rank, hit in enumerate(h for h in hits[:pool] if h.score >= bar):
            add = weight / (RRF_K + rank + 1)
            known = by_id.get(hit.id)
            by_id[hit.id] = (
                known.model_copy(update={"fused": known.fused + add, "frame": hit.score})
                if known is not None
                else Evidence(
                    node_id=hit.id,
                    kind=hit.kind,
                    video_id=hit.video_id,
                    span=hit.span,
                    text=hit.text,
                    fused=add,
                    frame=hit.score,
                    coverage=word_coverage(words, hit.text),
                )
            )
        return sorted(by_id.values(), key=lambda e: (-e.coverage, -e.fused, e.span.start_ms))

    # -- moments, for `avas find` -------------------------------------------------------------

    def find(
        self,
        query: str,
        *,
        video_id: str | None = None,
        k: int = 10,
        modalities: Sequence[Modality] = MODALITIES,
    ) -> list[Moment]:
        """The best ``k`` moments, best first; [] when the query has no evidence anywhere."""
        if k <= 0:
            return []
        moments = self._moments(query, video_id=video_id, pool=max(4 * k, 30), mods=modalities)
        if self.reranker is not None and len(moments) > 1:
            moments = self._rerank(query, moments)
        return moments[:k]

    def rank_videos(self, query: str, k: int = 10) -> list[VideoHit]:
        """Videos ranked by their moments: the best one counts fully, the rest in part."""
        if k <= 0:
            return []
        by_video: dict[str, list[Moment]] = {}
        for moment in self._moments(query, video_id=None, pool=max(8 * k, 60), mods=MODALITIES):
            by_video.setdefault(moment.video_id, []).append(moment)
        hits = [
            VideoHit(
                video_id=vid,
                score=ms[0].score + 0.25 * sum(m.score for m in ms[1:]),
                moments=len(ms),
                best=ms[0],
            )
            for vid, ms in by_video.items()
        ]
        hits.sort(key=lambda h: (-h.score, h.video_id))
        return hits[:k]

    # -- internals ---------------------------------------------------------------------------

    def _moments(
        self, query: str, *, video_id: str | None, pool: int, mods: Sequence[Modality]
    ) -> list[Moment]:
        plan = plan_query(query)
        if not plan.words:  # empty, whitespace, punctuation or stopwords only
            return []
        mods = tuple(dict.fromkeys(mods))
        wordy = tuple(m for m in mods if m in _WORDY)
        rankings: list[tuple[Modality, list[SearchHit], bool]] = []
        if wordy:
            vector = self.embedder.embed([query.strip()])[0]
            dense = _per_modality(
                lambda kinds, k: self.store.vector_search(
                    vector, k=k, kinds=kinds, video_id=video_id
                ),
                wordy,
                pool,
                floor=self.min_dense,
            )
            keyword_text = " ".join(plan.words)
            keyword = _per_modality(
                lambda kinds, k: self.store.keyword_search(
                    keyword_text, k=k, kinds=kinds, video_id=video_id
                ),
                wordy,
                pool,
            )
            for modality in wordy:
                rankings.append((modality, dense[modality], True))
                rankings.append((modality, keyword[modality], False))
        if "frame" in mods:
            rankings.append(("frame", self._frame_hits(query, video_id, pool), True))
        # Keyed by modality too: a frame hit and a caption hit name the same event node.
        nodes: dict[tuple[Modality, str], _NodeScore] = {}
        for modality, ranking, is_dense in rankings:
            weight = plan.weights[modality]
            for rank, hit in enumerate(ranking):
                node = nodes.get((modality, hit.id))
                if node is None:
                    node = nodes[modality, hit.id] = _NodeScore(hit=hit, modality=modality)
                node.score += weight / (RRF_K + rank + 1)
                if is_dense:
                    node.dense = hit.score
        events: dict[str, _EventHit] = {}
        for node in nodes.values():
            if node.modality == "frame":
                # A keyframe has no words to cover: its image-text similarity is the evidence.
                if node.dense < self.frame_min_score:
                    continue
            else:
                node.coverage = fuzzy_coverage(plan.words, node.hit.text)
                if node.coverage < MIN_COVERAGE and node.dense < self.min_dense:
                    continue  # no usable evidence: a near miss of the dense search
                phrase = bool(plan.phrase) and has_phrase(plan.phrase, node.hit.text)
                node.score *= (1 + COVERAGE_BOOST * node.coverage) * (1 + PHRASE_BOOST * phrase)
            event = self.store.event_of(node.hit.id)
            events.setdefault(event.id, _EventHit(event=event)).nodes.append(node)
        moments = [self._merge(group) for group in _adjacent_groups(events.values())]
        moments.sort(key=lambda m: (-m.score, m.video_id, m.span.start_ms))
        return moments

    def _frame_hits(self, query: str, video_id: str | None, pool: int) -> list[SearchHit]:
        """Events whose keyframes look like the query; [] (and no model call) without any."""
        if self.image_embedder is None or not self.store.has_frames(video_id):
            return []
        vector = self.image_embedder.embed_texts([query.strip()])[0]
        return self.store.frame_search(vector, k=pool, video_id=video_id)

    def _rerank(self, query: str, moments: list[Moment]) -> list[Moment]:
        """The top ``rerank_top_n`` re-ordered by the re-ranker; the rest keep their order."""
        assert self.reranker is not None
        head, tail = moments[: self.rerank_top_n], moments[self.rerank_top_n :]
        scores = self.reranker.score(query, [f"({m.modality}) {m.snippet}" for m in head])
        rescored = [
            m.model_copy(update={"rerank_score": s}) for m, s in zip(head, scores, strict=True)
        ]
        return reorder(rescored, scores) + tail

    @staticmethod
    def _merge(group: list[_EventHit]) -> Moment:
        best = max(group, key=lambda e: e.score)
        lead = best.lead()
        span: TimeSpan | None = None
        for ev in group:
            node = ev.lead()
            # A merged moment's modality is the best event's; other events add their own span.
            part = ev.event.span if node.modality in ("caption", "frame") else node.hit.span
            span = part if span is None else span.union(part)
        assert span is not None
        node_ids = [
            n.hit.id for n in sorted((n for ev in group for n in ev.nodes), key=lambda n: -n.score)
        ]
        return Moment(
            video_id=best.event.video_id,
            span=span,
            score=best.score,
            modality=lead.modality,
            snippet=_snippet(lead.hit.text),
            node_ids=list(dict.fromkeys(node_ids)),
        )


def _per_modality(
    search: Callable[[list[NodeKind], int], list[SearchHit]],
    mods: Sequence[Modality],
    pool: int,
    floor: float | None = None,
) -> dict[Modality, list[SearchHit]]:
    """Each modality's best ``pool`` hits, in as few store searches as will do.

    One search over all kinds costs a third of three (the store scores every row per call);
    its results, split by kind, are each kind's own ranking. A kind crowded out of the shared
    results (say captions, when short speech lines take every keyword rank) gets its own search,
    unless the shared results already end below ``floor``: what that search would add scores
    lower still, and could only count by its words, which keyword search finds.
    """
    if len(mods) == 1:
        return {mods[0]: search([_KIND[mods[0]]], pool)}
    shared = search([_KIND[m] for m in mods], pool * len(mods))
    split: dict[Modality, list[SearchHit]] = {m: [] for m in mods}
    for hit in shared:
        modality = _MODALITY[hit.kind]
        if modality in split and len(split[modality]) < pool:
            split[modality].append(hit)
    # More matched than came back, so a kind may be missing.
    if len(shared) >= pool * len(mods) and (floor is None or shared[-1].score >= floor):
        for modality in mods:
            if len(split[modality]) < pool // 3:
                split[modality] = search([_KIND[modality]], pool)
    return split


def _adjacent_groups(hits: Iterable[_EventHit]) -> list[list[_EventHit]]:
    """Hit events grouped into runs of adjacent or overlapping events of one video.

    Only events that hold the query's words join a run: a chain of merely similar neighbours
    (every caption of a long blue scene is "like" any blue query) would swallow the timeline.
    """
    ordered = sorted(hits, key=lambda e: (e.event.video_id, e.event.span.start_ms))
    groups: list[list[_EventHit]] = []
    for hit in ordered:
        if groups:
            last = groups[-1][-1]
            if (
                hit.covered
                and last.covered
                and last.event.video_id == hit.event.video_id
                and hit.event.span.start_ms - max(e.event.span.end_ms for e in groups[-1])
                <= MERGE_GAP_MS
            ):
                groups[-1].append(hit)
                continue
        groups.append([hit])
    return groups


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"

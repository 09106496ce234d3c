"""Online merge of adjacent events that describe the same thing, one pending event at a time.

    merger = EventMerger(max_ms=60_000, min_similarity=0.98, embed=embed_one)
    for record in merger.push(perceived):   # records safe to commit now (0, 1 or 2 of them)
        store.commit_event(record)
    for record in merger.flush(): store.commit_event(record)

The segmenter cuts a long static scene into max-length windows; each becomes an event saying the
same thing again. The merger holds the newest event back (unless a shot cut ended it) and folds
the next one into it when both are adjacent, their sum stays within ``max_ms``, the newcomer
adds no speech, shows the same on-screen texts and its description embeds close to the held
one's. Only the held event is
ever changed: committed events are never touched, and the merged event's id is again
``event_id(video id, span)``, so a resume after a crash never duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from graph_schema import (
    Edge,
    EdgeType,
    Event,
    EventRecord,
    OnScreenText,
    TimeSpan,
    event_id,
    normalize_name,
    text_id,
)

# Speech is the last clause of a description (avas.perception.describe); it is left out when
# comparing, since the newcomer must add none and the held event may carry some.
_SPEECH_CLAUSE = " Speech: “"

EmbedFn = Callable[[str], list[float]]


def visual_description(description: str) -> str:
    """The description without its speech clause: what was seen and shown."""
    return description.split(_SPEECH_CLAUSE, 1)[0]


def _cosine(a: list[float], b: list[float]) -> float:
    va, vb = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb) / norm if norm else 0.0


def _text_keys(record: EventRecord) -> frozenset[str]:
    return frozenset(normalize_name(t.text) for t in record.texts)


class EventMerger:
    """Holds at most one event back; ``push`` returns what may be committed now."""

    def __init__(self, *, max_ms: int, min_similarity: float, embed: EmbedFn) -> None:
        self.max_ms = max_ms
        self.min_similarity = min_similarity
        self._embed = embed
        self.pending: EventRecord | None = None
        self._pending_vec: list[float] | None = None  # its visual description's embedding
        self.merged = 0  # events folded into their predecessor so far

    def push(self, record: EventRecord, *, cut_after: bool = False) -> list[EventRecord]:
        """``cut_after``: the record's window ended at a shot cut, so nothing after it can join
        it and it is not held back (a cut-closed event commits as soon as it is perceived)."""
        held = self.pending
        ready: list[EventRecord] = []
        if held is not None and self._same(held, record):
            self.pending = merge_records(held, record)
            self.merged += 1
        else:
            ready = [held] if held is not None else []
            self.pending, self._pending_vec = record, None
        return ready + self.flush() if cut_after else ready

    def due(self, now_ms: int) -> list[EventRecord]:
        """The held event, once media time shows nothing can join it any more (bounds live lag)."""
        if self.pending is not None and now_ms - self.pending.event.span.start_ms >= self.max_ms:
            return self.flush()
        return []

    def flush(self) -> list[EventRecord]:
        held, self.pending, self._pending_vec = self.pending, None, None
        return [held] if held is not None else []

    def _same(self, held: EventRecord, new: EventRecord) -> bool:
        a, b = held.event, new.event
        if a.span.end_ms != b.span.start_ms or b.span.end_ms - a.span.start_ms > self.max_ms:
            return False
        if new.speech or _text_keys(held) != _text_keys(new):
            return False
        if self._pending_vec is None:
            self._pending_vec = self._vector(held)
        return _cosine(self._pending_vec, self._vector(new)) >= self.min_similarity

    def _vector(self, record: EventRecord) -> list[float]:
        visual = visual_description(record.event.description)
        stored = record.vectors.get(record.event.id)
        # The stored vector embeds the whole description; reuse it when that is all visual.
        return (
            stored
            if stored is not None and visual == record.event.description
            else (self._embed(visual))
        )


# Counts of things seen at once ("3 people visible") stay counts over the merged span: the
# maximum, not a duration-weighted mean that would turn 1 person into 0.5.
_PEAK_SIGNALS = frozenset({"people", "faces"})


def _weighted(a: Event, b: Event) -> dict[str, float]:
    wa, wb = a.span.end_ms - a.span.start_ms, b.span.end_ms - b.span.start_ms
    keys = list(dict.fromkeys([*a.signals, *b.signals]))
    total = max(1, wa + wb)
    return {
        k: max(a.signals.get(k, 0.0), b.signals.get(k, 0.0))
        if k in _PEAK_SIGNALS
        else round((a.signals.get(k, 0.0) * wa + b.signals.get(k, 0.0) * wb) / total, 3)
        for k in keys
    }


def merge_records(held: EventRecord, new: EventRecord) -> EventRecord:
    """One record for both spans: ``held``'s description, speech and predecessor link, texts
    stretched over both, ids recomputed from the merged span."""
    a, b = held.event, new.event
    video_id = a.video_id
    span = TimeSpan(start_ms=a.span.start_ms, end_ms=b.span.end_ms)
    eid = event_id(video_id, span)
    ids = {a.id: eid, b.id: eid}

    texts: dict[str, OnScreenText] = {}
    for t in [*held.texts, *new.texts]:
        key = normalize_name(t.text)
        first = texts.get(key)
        if first is None:
            texts[key] = t
            continue
        tspan = TimeSpan(
            start_ms=min(first.span.start_ms, t.span.start_ms),
            end_ms=max(first.span.end_ms, t.span.end_ms),
        )
        texts[key] = first.model_copy(
            update={
                "id": text_id(video_id, tspan, first.text),
                "span": tspan,
                "confidence": max(first.confidence, t.confidence),
            }
        )
    for old in [*held.texts, *new.texts]:
        ids[old.id] = texts[normalize_name(old.text)].id

    edges: dict[str, Edge] = {}
    for edge in [*held.edges, *new.edges]:
        if edge.type is EdgeType.NEXT and edge.src == a.id:  # new's link to held: now inside
            continue
        props = dict(edge.props)
        if isinstance(props.get("event_id"), str):
            props["event_id"] = ids.get(str(props["event_id"]), str(props["event_id"]))
        moved = Edge(
            src=ids.get(edge.src, edge.src),
            dst=ids.get(edge.dst, edge.dst),
            type=edge.type,
            props=props,
        )
        key = json.dumps([moved.src, moved.dst, moved.type.value, sorted(props.items())])
        edges.setdefault(key, moved)

    vectors: dict[str, list[float]] = {}
    for node, vec in [*held.vectors.items(), *new.vectors.items()]:
        if node == b.id:  # the merged event keeps the held description, and its vector
            continue
        vectors.setdefault(ids.get(node, node), vec)

    entities = {e.id: e for e in [*held.entities, *new.entities]}
    event = a.model_copy(
        update={
            "id": eid,
            "span": span,
            "keyframes_ms": sorted({*a.keyframes_ms, *b.keyframes_ms}),
            "observers": list(dict.fromkeys([*a.observers, *b.observers])),
            "signals": _weighted(a, b),
        }
    )
    return held.model_copy(
        update={
            "event": event,
            "speech": [*held.speech, *new.speech],
            "texts": sorted(texts.values(), key=lambda t: (t.span.start_ms, t.text)),
            "entities": list(entities.values()),
            "edges": list(edges.values()),
            "vectors": vectors,
            "frame_vectors": {**held.frame_vectors, **new.frame_vectors},
            "merges": [*held.merges, *new.merges],
        }
    )

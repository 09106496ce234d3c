"""Keyframe vectors in the store contract: their own space, durable, replaced, deleted with videos.

    .venv/bin/pytest tests/contract/test_store_frames.py -q

Frame vectors are 4-dim here and text vectors 8-dim (test_store_contract.DIM): the two spaces
never meet, as with a real image model (CLIP: 512) beside the text embedder (384).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from test_store_contract import (
    EVERYTHING,
    OTHER,
    VIDEO,
    ids,
    make_record,
    make_video,
    query,
)

from avas.graph.base import EventGraphStore
from graph_schema import EventRecord, NodeKind

RED = [1.0, 0.0, 0.0, 0.0]
GREEN = [0.0, 1.0, 0.0, 0.0]
BLUE = [0.0, 0.0, 1.0, 0.0]


def _with_frames(record: EventRecord, *frames: Sequence[float]) -> EventRecord:
    """The record with one keyframe vector per frame, at times spread over the event."""
    span = record.event.span
    step = span.duration_ms // (len(frames) + 1)
    vectors = {span.start_ms + (i + 1) * step: list(f) for i, f in enumerate(frames)}
    return record.model_copy(update={"frame_vectors": vectors, "frame_model": "test/clip"})


def _mix(a: Sequence[float], b: Sequence[float], share_b: float) -> list[float]:
    v = (1 - share_b) * np.asarray(a) + share_b * np.asarray(b)
    return [float(x) for x in v / np.linalg.norm(v)]


def _commit_three(store: EventGraphStore, video_id: str = VIDEO) -> list[EventRecord]:
    """Red, green and blue-ish events (the last one mostly blue, a little red)."""
    store.upsert_video(make_video(video_id))
    records = [
        _with_frames(make_record(0, 10_000, video_id=video_id), RED, _mix(RED, GREEN, 0.2)),
        _with_frames(make_record(10_000, 20_000, video_id=video_id), GREEN),
        _with_frames(make_record(20_000, 30_000, video_id=video_id), _mix(BLUE, RED, 0.3)),
    ]
    for rec in records:
        store.commit_event(rec)
    return records


def test_frame_search_ranks_events_by_their_best_frame(store: EventGraphStore) -> None:
    red, green, blue = _commit_three(store)
    hits = store.frame_search(query(RED), k=EVERYTHING)
    # One hit per event, even where two frames match; the event itself is what comes back.
    assert ids(hits) == [red.event.id, blue.event.id, green.event.id]
    assert all(h.kind is NodeKind.EVENT for h in hits)
    assert hits[0].span == red.event.span
    assert hits[0].text == red.event.description
    assert abs(hits[0].score - 1.0) < 1e-3  # cosine of the best frame
    assert abs(hits[2].score) < 1e-3
    assert ids(store.frame_search(query(BLUE), k=1)) == [blue.event.id]
    assert store.frame_search(query(RED), k=0) == []


def test_frames_live_apart_from_text_vectors(store: EventGraphStore) -> None:
    red, _, _ = _commit_three(store)
    # The text index knows nothing of 4-dim frames; frame search nothing of 8-dim texts.
    text_hits = store.vector_search(query(red.vectors[red.event.id]), k=EVERYTHING)
    assert red.event.id in ids(text_hits)
    assert store.frame_search(query(red.vectors[red.event.id]), k=EVERYTHING) == []
    assert store.stats().nodes.get(NodeKind.EVENT.value) == 3


def test_frame_search_filters_by_video(store: EventGraphStore) -> None:
    mine = _commit_three(store)
    theirs = _commit_three(store, video_id=OTHER)
    assert store.has_frames() and store.has_frames(VIDEO) and store.has_frames(OTHER)
    hits = store.frame_search(query(GREEN), k=EVERYTHING, video_id=OTHER)
    assert [h.video_id for h in hits] == [OTHER] * 3
    assert hits[0].id == theirs[1].event.id
    both = store.frame_search(query(GREEN), k=2)
    assert set(ids(both)) == {mine[1].event.id, theirs[1].event.id}


def test_no_frames_means_no_frame_hits(store: EventGraphStore) -> None:
    store.upsert_video(make_video())
    store.commit_event(make_record(0, 10_000))
    assert not store.has_frames()
    assert store.frame_search(query(RED), k=5) == []


def test_recommit_replaces_an_events_frames(store: EventGraphStore) -> None:
    red, _, blue = _commit_three(store)
    store.commit_event(_with_frames(red, BLUE))
    assert ids(store.frame_search(query(BLUE), k=1)) == [red.event.id]
    by_red = {h.id: h.score for h in store.frame_search(query(RED), k=EVERYTHING)}
    assert max(by_red, key=lambda e: by_red[e]) == blue.event.id  # the old red frames are gone
    assert abs(by_red[red.event.id]) < 1e-3
    store.commit_event(red.model_copy(update={"frame_vectors": {}}))  # no image model this time
    assert red.event.id not in ids(store.frame_search(query(BLUE), k=EVERYTHING))


def test_frames_survive_reopening(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    red, green, blue = _commit_three(store)
    store.close()
    again = reopen()
    assert ids(again.frame_search(query(RED), k=EVERYTHING)) == [
        red.event.id,
        blue.event.id,
        green.event.id,
    ]
    assert again.has_frames(VIDEO)


def test_delete_video_deletes_its_frames(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    _commit_three(store)
    theirs = _commit_three(store, video_id=OTHER)
    store.delete_video(VIDEO)
    assert not store.has_frames(VIDEO)
    assert [h.video_id for h in store.frame_search(query(RED), k=EVERYTHING)] == [OTHER] * 3
    store.close()
    again = reopen()
    assert not again.has_frames(VIDEO)
    assert ids(again.frame_search(query(GREEN), k=1)) == [theirs[1].event.id]
    # A video ingested again under the same id starts without the old frames.
    again.upsert_video(make_video())
    again.commit_event(make_record(0, 10_000))
    assert again.frame_search(query(RED), k=EVERYTHING, video_id=VIDEO) == []

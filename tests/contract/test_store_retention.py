"""Retention in the store contract: old events go with everything hanging off them, summaries stay.

.venv/bin/pytest tests/contract/test_store_retention.py -q
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_store_contract import (
    EVERYTHING,
    OTHER,
    VIDEO,
    ids,
    make_record,
    make_video,
    nonzero,
    query,
    unit_vector,
)

from avas.errors import NotFoundError
from avas.graph.base import EventGraphStore
from graph_schema import (
    Edge,
    EdgeType,
    EntityKind,
    Event,
    NodeKind,
    Summary,
    TimeSpan,
    entity_id,
    summary_id,
)


def _commit_day(store: EventGraphStore, video_id: str = VIDEO) -> list[Event]:
    """Four 10 s events: two old ones (speech, text, a private and a shared entity), two new."""
    store.upsert_video(make_video(video_id))
    specs = [
        dict(speech=["the old budget talk"], texts=["OLD SIGN"], entities=["OLD SIGN", "GATE"]),
        dict(speech=["more old words"], texts=["OLD DOOR"], entities=["OLD DOOR"]),
        dict(speech=["the fresh news"], texts=["NEW SIGN"], entities=["NEW SIGN", "GATE"]),
        dict(texts=["NEW DOOR"], entities=["NEW DOOR"]),
    ]
    events: list[Event] = []
    for i, spec in enumerate(specs):
        rec = make_record(
            i * 10_000,
            (i + 1) * 10_000,
            video_id=video_id,
            previous=events[-1] if events else None,
            **spec,  # type: ignore[arg-type]
        )
        store.commit_event(rec)
        events.append(rec.event)
    return events


def _segment_summary(store: EventGraphStore, events: list[Event], end_ms: int) -> Summary:
    span = TimeSpan(start_ms=0, end_ms=end_ms)
    summary = Summary(
        id=summary_id(VIDEO, "segment", span),
        video_id=VIDEO,
        level="segment",
        span=span,
        text=f"segment up to {end_ms}: the old budget talk",
        model="test/summary",
    )
    store.upsert_summary(
        summary,
        parts=[e.id for e in events],
        vector=unit_vector(summary.id),
        model="test/embed",
    )
    return summary


def test_delete_events_before_removes_old_details_and_keeps_the_rest(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    events = _commit_day(store)
    summary = _segment_summary(store, events[:2], 20_000)
    # Another video's event at the same span, sharing one entity, must not be touched.
    store.upsert_video(make_video(OTHER))
    store.commit_event(
        make_record(0, 10_000, video_id=OTHER, texts=["OLD SIGN"], entities=["OLD SIGN"])
    )

    # 25 s: the third event (20-30 s) has not ended by then, so it stays.
    assert store.delete_events_before(VIDEO, 25_000) == 2

    for s in (store, reopen()):
        assert [e.id for e in s.events(VIDEO)] == [e.id for e in events[2:]]
        assert len(s.events(OTHER)) == 1
        assert not s.has_event(events[0].id)
        # Keyword and vector indexes forget the old nodes (speech, text and event)...
        assert s.keyword_search("old budget", k=EVERYTHING, video_id=VIDEO) == []
        assert s.keyword_search("OLD SIGN", k=EVERYTHING, video_id=OTHER) != []
        hits = s.vector_search(query(unit_vector(events[0].id)), k=EVERYTHING)
        assert events[0].id not in ids(hits)
        # ...but the summary that rolled them up stays, searchable.
        assert [x.id for x in s.summaries(VIDEO, level="segment")] == [summary.id]
        found = s.keyword_search("budget", k=EVERYTHING, kinds=[NodeKind.SUMMARY], video_id=VIDEO)
        assert ids(found) == [summary.id]
        # A private entity of an old event goes; one a kept event (or video) involves stays.
        old_sign = entity_id(EntityKind.TEXT, "OLD SIGN")
        with pytest.raises(NotFoundError):
            s.entity_events(entity_id(EntityKind.TEXT, "OLD DOOR"))
        assert {e.video_id for e in s.entity_events(old_sign)} == {OTHER}
        gate = s.entity_events(entity_id(EntityKind.TEXT, "GATE"))
        assert [e.id for e in gate if e.video_id == VIDEO] == [events[2].id]
        # The first kept event has no dangling NEXT to its deleted predecessor.
        assert s.neighbors(events[2].id, before=1, after=0) == []
        assert s.event_details(events[2].id).texts[0].text == "NEW SIGN"
        stats = nonzero(s.stats().nodes)
        assert stats[NodeKind.EVENT.value] == 2 + 1
        assert stats[NodeKind.SPEECH.value] == 1
        assert stats[NodeKind.SUMMARY.value] == 1


def test_delete_events_before_is_idempotent_and_checks_the_video(store: EventGraphStore) -> None:
    events = _commit_day(store)
    assert store.delete_events_before(VIDEO, 0) == 0
    assert store.delete_events_before(VIDEO, 20_000) == 2
    assert store.delete_events_before(VIDEO, 20_000) == 0
    assert len(store.events(VIDEO)) == 2
    with pytest.raises(NotFoundError, match="nope"):
        store.delete_events_before("nope", 10_000)
    # The timeline goes on after a prune: the next event links to the kept ones.
    rec = make_record(40_000, 50_000, previous=events[-1], texts=["LATER"])
    store.commit_event(rec)
    assert store.delete_events_before(VIDEO, 10**12) == 3
    assert store.events(VIDEO) == []
    assert store.get_video(VIDEO) is not None


def test_relations_seen_by_deleted_events_go(store: EventGraphStore) -> None:
    store.upsert_video(make_video())
    old = make_record(0, 10_000, entities=["TRUCK", "DOCK"])
    new = make_record(10_000, 20_000, entities=["TRUCK", "DOCK"], previous=old.event)
    truck, dock = (entity_id(EntityKind.TEXT, n) for n in ("TRUCK", "DOCK"))
    old.edges.append(
        Edge(
            src=truck,
            dst=dock,
            type=EdgeType.RELATES_TO,
            props={"predicate": "at", "event_id": old.event.id, "video_id": VIDEO},
        )
    )
    store.commit_event(old)
    store.commit_event(new)
    assert store.stats().edges.get(EdgeType.RELATES_TO.value, 0) == 1
    assert store.delete_events_before(VIDEO, 10_000) == 1
    # Both entities live on (the new event involves them), the old event's relation does not.
    assert store.stats().edges.get(EdgeType.RELATES_TO.value, 0) == 0
    assert [e.id for e in store.entity_events(truck)] == [new.event.id]


def test_delete_summaries(store: EventGraphStore, reopen: Callable[[], EventGraphStore]) -> None:
    events = _commit_day(store)
    partial = _segment_summary(store, events[:1], 10_000)
    full = _segment_summary(store, events[:2], 20_000)
    assert store.delete_summaries(OTHER, [partial.id]) == 0  # not that video's
    assert store.delete_summaries(VIDEO, [partial.id, "no-such-summary"]) == 1
    for s in (store, reopen()):
        assert [x.id for x in s.summaries(VIDEO)] == [full.id]
        found = s.keyword_search("budget", k=EVERYTHING, kinds=[NodeKind.SUMMARY])
        assert ids(found) == [full.id]
        assert partial.id not in ids(s.vector_search(query(unit_vector(partial.id)), k=9))
        assert len(s.events(VIDEO)) == 4

"""One store, many processes: a store opened twice on the same durable state (as `avas serve`
and `avas ingest` do, one each) sees the other's commits, replacements and removals.

    .venv/bin/pytest tests/contract/test_store_shared.py -q

The embedded store notices other connections' commits on its next read (at most every 0.5 s),
so each check polls with a generous deadline instead of asserting on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from test_store_contract import EVERYTHING, VIDEO, ids, make_record, make_video, query, unit_vector

from avas.errors import NotFoundError
from avas.graph.base import EventGraphStore
from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import EntityMerge, NodeKind

T = TypeVar("T")
DEADLINE_S = 10.0  # generous: the embedded store looks every 0.5 s


def eventually(probe: Callable[[], T], ok: Callable[[T], bool]) -> T:
    """The probe's value once ``ok`` holds (the last value, failing, past the deadline)."""
    end = time.monotonic() + DEADLINE_S
    while True:
        value = probe()
        if ok(value) or time.monotonic() > end:
            return value
        time.sleep(0.1)


def test_a_second_store_sees_new_events_with_their_content(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    reader = reopen()
    assert reader.videos() == [] or VIDEO not in {v.id for v in reader.videos()}
    store.upsert_video(make_video())
    first = make_record(0, 5_000, "a forklift at the dock", speech=["the truck is late"])
    store.commit_event(first)
    second = make_record(5_000, 9_000, previous=first.event, texts=["GATE 7"], entities=["GATE 7"])
    store.commit_event(second)

    events = eventually(lambda: reader.events(VIDEO), lambda es: len(es) == 2)
    assert [e.id for e in events] == [first.event.id, second.event.id]
    details = reader.event_details(first.event.id)
    assert [s.text for s in details.speech] == ["the truck is late"]
    assert [t.text for t in reader.event_details(second.event.id).texts] == ["GATE 7"]
    assert reader.neighbors(first.event.id, after=1) == [second.event]
    hits = reader.keyword_search("truck", k=EVERYTHING)
    assert first.speech[0].id in ids(hits)
    dense = reader.vector_search(query(unit_vector(second.event.id)), k=1)
    assert ids(dense) == [second.event.id]
    entity = second.entities[0]
    assert reader.entity(entity.id) == entity
    assert [e.id for e in reader.entity_events(entity.id)] == [second.event.id]


def test_a_second_store_sees_replacements_and_merges(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    store.upsert_video(make_video())
    old = make_record(0, 5_000, speech=["forklift arrives"], texts=["OLD SIGN"], entities=["OLD"])
    store.commit_event(old)
    reader = reopen()
    assert [s.text for s in reader.event_details(old.event.id).speech] == ["forklift arrives"]
    reader.stats()  # parse and cache what it holds: a replacement must not be served stale

    new = make_record(0, 5_000, "replaced", speech=["crane leaves"], entities=["NEW", "OLDER"])
    store.commit_event(new)

    details = eventually(
        lambda: reader.event_details(new.event.id), lambda d: d.event.description == "replaced"
    )
    assert [s.text for s in details.speech] == ["crane leaves"]
    assert details.texts == []
    assert sorted(e.name for e in details.entities) == ["NEW", "OLDER"]
    assert reader.keyword_search("forklift", k=EVERYTHING) == []
    assert reader.entity(old.entities[0].id) is None  # orphaned by the replacement

    alias, canonical = (e.id for e in new.entities)
    store.merge_entities(
        EntityMerge(
            alias_id=alias,
            canonical_id=canonical,
            video_id=VIDEO,
            event_id=new.event.id,
            score=0.9,
            model="test/link",
        )
    )
    assert eventually(lambda: reader.aliases_of(canonical), bool) == [alias]
    store.unmerge_entity(alias)
    assert eventually(lambda: reader.aliases_of(canonical), lambda a: not a) == []


def test_a_removal_by_another_store_is_not_found(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    store.upsert_video(make_video())
    record = make_record(0, 5_000, speech=["gone soon"])
    store.commit_event(record)
    reader = reopen()
    assert reader.get_video(VIDEO) is not None

    store.delete_video(VIDEO)

    assert eventually(lambda: reader.get_video(VIDEO), lambda v: v is None) is None
    assert reader.videos() == []
    assert reader.events(VIDEO) == []
    with pytest.raises(NotFoundError):
        reader.event_details(record.event.id)
    assert reader.keyword_search("gone soon", k=EVERYTHING) == []
    assert reader.vector_search(query(unit_vector(record.event.id)), k=EVERYTHING) == []
    assert reader.stats().nodes.get(NodeKind.EVENT.value, 0) == 0


def test_a_row_removed_before_the_next_look_is_not_found(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    """Between two looks the in-memory graph still lists a node another process deleted:
    reading it must say "not found" (the API's 404), not fail on the missing row (a 500)."""
    if not isinstance(store, NetworkxEventStore):
        pytest.skip("only the embedded store mirrors the durable record in memory")
    store.upsert_video(make_video())
    record = make_record(0, 5_000, speech=["soon deleted"])
    store.commit_event(record)
    # A store that looks for other commits only every hour: its mirror stays stale here.
    stale = NetworkxEventStore(store.path, sync_interval_ms=3_600_000)
    try:
        store.delete_video(VIDEO)
        with pytest.raises(NotFoundError):
            stale.event_details(record.event.id)
        with pytest.raises(NotFoundError):
            stale.neighbors(record.event.id)
    finally:
        stale.close()

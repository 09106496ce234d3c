"""Entities in the store contract: lookup, name-vector candidates, merges recorded and undone.

.venv/bin/pytest tests/contract/test_store_entities.py -q

Name vectors are the deterministic fake vectors of test_store_contract (data, not a model's
output); an alias's vector is made near its canonical's so candidate order is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from test_store_contract import OTHER, VIDEO, make_record, make_video, query, unit_vector

from avas.errors import InputError, NotFoundError
from avas.graph.base import EventGraphStore
from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import (
    MERGED_INTO,
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    EntityMerge,
    Event,
    EventRecord,
    entity_id,
)

BRIDGE, BRIDGE_OCR, DOCK = "HARBOR BRIDGE", "HARB0R BRIDGE", "LOADING DOCK B"
B_ID, B_OCR_ID, DOCK_ID = (entity_id(EntityKind.TEXT, n) for n in (BRIDGE, BRIDGE_OCR, DOCK))


def near(key: str, noise: str) -> list[float]:
    """A unit vector close to ``unit_vector(key)`` (cosine about 0.98)."""
    vec = np.asarray(unit_vector(key)) + 0.2 * np.asarray(unit_vector(noise))
    return [float(x) for x in vec / np.linalg.norm(vec)]


def event_with(
    start_s: int,
    names: Sequence[str],
    *,
    video_id: str = VIDEO,
    vectors: dict[str, list[float]] | None = None,
    merges: Sequence[EntityMerge] = (),
) -> EventRecord:
    """A 10 s event involving text entities ``names``, each with its name vector."""
    rec = make_record(start_s * 1000, (start_s + 10) * 1000, video_id=video_id, entities=names)
    named = {entity_id(EntityKind.TEXT, n): unit_vector(n) for n in names} | (vectors or {})
    return rec.model_copy(update={"vectors": rec.vectors | named, "merges": list(merges)})


def ocr_merge(event: Event) -> EntityMerge:
    return EntityMerge(
        alias_id=B_OCR_ID,
        canonical_id=B_ID,
        score=0.98,
        event_id=event.id,
        video_id=event.video_id,
        model="test/linker",
    )


def event_ids(events: Sequence[Event]) -> list[str]:
    return [e.id for e in events]


def consistent(store: EventGraphStore) -> None:
    if isinstance(store, NetworkxEventStore):
        assert store.consistency_problems() == []


@pytest.fixture
def bridge(store: EventGraphStore) -> tuple[list[Event], EntityMerge]:
    """Three events: the bridge, its OCR variant (merged into it on commit), the bridge again."""
    store.upsert_video(make_video())
    first = event_with(0, [BRIDGE, DOCK])
    store.commit_event(first)
    second = event_with(10, [BRIDGE_OCR], vectors={B_OCR_ID: near(BRIDGE, "ocr")})
    merge = ocr_merge(second.event)
    store.commit_event(second.model_copy(update={"merges": [merge]}))
    third = event_with(20, [BRIDGE])
    store.commit_event(third)
    return [first.event, second.event, third.event], merge


def test_entity_lookup(store: EventGraphStore, bridge: tuple[list[Event], EntityMerge]) -> None:
    found = store.entity(B_ID)
    assert found == Entity(id=B_ID, kind=EntityKind.TEXT, name=BRIDGE, model="test/ocr")
    assert store.entity(entity_id(EntityKind.TEXT, "NEVER SHOWN")) is None
    assert store.entity(bridge[0][0].id) is None  # an event is no entity


def test_candidates_are_canonical_entities_of_the_kind_nearest_first(
    store: EventGraphStore, bridge: tuple[list[Event], EntityMerge]
) -> None:
    del bridge  # the fixture commits the graph searched here
    person = Entity(
        id=entity_id(EntityKind.PERSON, BRIDGE), kind=EntityKind.PERSON, name=BRIDGE, model="t"
    )
    rec = make_record(30_000, 40_000)
    rec = rec.model_copy(
        update={
            "entities": [person],
            "edges": [*rec.edges, Edge(src=rec.event.id, dst=person.id, type=EdgeType.INVOLVES)],
            "vectors": rec.vectors | {person.id: unit_vector(BRIDGE)},
        }
    )
    store.commit_event(rec)

    hits = store.entity_candidates(EntityKind.TEXT, query(unit_vector(BRIDGE)), k=5)
    # The alias (merged into the bridge) is no candidate, and a person named alike is no text.
    assert [h.entity.id for h in hits] == [B_ID, DOCK_ID]
    assert hits[0].score == pytest.approx(1.0, abs=1e-3)
    assert hits[0].score > hits[1].score
    people = store.entity_candidates(EntityKind.PERSON, query(unit_vector(BRIDGE)), k=5)
    assert [h.entity.id for h in people] == [person.id]
    assert store.entity_candidates(EntityKind.OBJECT, query(unit_vector(BRIDGE)), k=5) == []
    assert len(store.entity_candidates(EntityKind.TEXT, query(unit_vector(DOCK)), k=1)) == 1


def test_merge_joins_events_and_unmerge_separates_them(
    store: EventGraphStore,
    reopen: Callable[[], EventGraphStore],
    bridge: tuple[list[Event], EntityMerge],
) -> None:
    events, merge = bridge
    assert event_ids(store.entity_events(B_ID)) == event_ids(events)
    assert event_ids(store.entity_events(B_OCR_ID)) == [events[1].id]
    assert store.merges() == [merge]
    assert store.merges(video_id=VIDEO) == [merge]
    assert store.merges(video_id=OTHER) == []
    assert store.stats().edges.get(MERGED_INTO) == 1
    consistent(store)

    store.close()
    again = reopen()
    assert again.merges() == [merge]
    assert event_ids(again.entity_events(B_ID)) == event_ids(events)

    assert again.unmerge_entity(B_OCR_ID) == merge
    assert event_ids(again.entity_events(B_ID)) == [events[0].id, events[2].id]
    assert event_ids(again.entity_events(B_OCR_ID)) == [events[1].id]
    assert again.merges() == []
    assert not again.stats().edges.get(MERGED_INTO)
    # Separate again: the alias is a candidate of its own once more.
    hits = again.entity_candidates(EntityKind.TEXT, query(unit_vector(BRIDGE)), k=5)
    assert [h.entity.id for h in hits][:2] == [B_ID, B_OCR_ID]
    with pytest.raises(NotFoundError, match="not merged"):
        again.unmerge_entity(B_OCR_ID)

    again.close()
    third = reopen()
    assert third.merges() == []
    assert event_ids(third.entity_events(B_ID)) == [events[0].id, events[2].id]
    third.merge_entities(merge)  # merging by hand (no commit) works the same
    assert event_ids(third.entity_events(B_ID)) == event_ids(events)
    consistent(third)


def test_bad_merges_are_refused_and_change_nothing(
    store: EventGraphStore, bridge: tuple[list[Event], EntityMerge]
) -> None:
    _, merge = bridge
    with pytest.raises(InputError, match="itself"):
        store.merge_entities(merge.model_copy(update={"alias_id": B_ID}))
    with pytest.raises(NotFoundError, match="NOWHERE"):
        store.merge_entities(merge.model_copy(update={"canonical_id": "ent/text/NOWHERE"}))
    with pytest.raises(InputError, match="alias itself"):  # into an alias: link to its canonical
        store.merge_entities(
            merge.model_copy(update={"alias_id": DOCK_ID, "canonical_id": B_OCR_ID})
        )
    with pytest.raises(InputError, match="merged into it"):  # the canonical cannot become an alias
        store.merge_entities(merge.model_copy(update={"alias_id": B_ID, "canonical_id": DOCK_ID}))
    assert store.merges() == [merge]

    # A record whose merge is refused is not committed at all: one transaction.
    late = event_with(40, ["EXIT GATE 7"])
    bad = EntityMerge(
        alias_id=entity_id(EntityKind.TEXT, "EXIT GATE 7"),
        canonical_id="ent/text/NOWHERE",
        score=0.9,
        event_id=late.event.id,
        video_id=VIDEO,
        model="test/linker",
    )
    with pytest.raises(NotFoundError):
        store.commit_event(late.model_copy(update={"merges": [bad]}))
    assert not store.has_event(late.event.id)
    assert store.entity(bad.alias_id) is None
    assert store.merges() == [merge]
    consistent(store)


def test_an_entity_that_goes_takes_its_merges(store: EventGraphStore) -> None:
    for video_id in (VIDEO, OTHER):
        store.upsert_video(make_video(video_id))
    first = event_with(0, [BRIDGE, "GATE"])
    store.commit_event(first)
    variant = event_with(
        0, [BRIDGE_OCR, "GATE"], video_id=OTHER, vectors={B_OCR_ID: near(BRIDGE, "ocr")}
    )
    merge = ocr_merge(variant.event)
    store.commit_event(variant.model_copy(update={"merges": [merge]}))
    assert len(store.entity_events(B_ID)) == 2

    store.delete_video(OTHER)  # the alias was only there: it goes, and its merge with it
    assert store.entity(B_OCR_ID) is None
    assert store.merges() == []
    assert event_ids(store.entity_events(B_ID)) == [first.event.id]
    # An entity still involved elsewhere keeps its name vector.
    gate = store.entity_candidates(EntityKind.TEXT, query(unit_vector("GATE")), k=1)
    assert [h.entity.id for h in gate] == [entity_id(EntityKind.TEXT, "GATE")]
    consistent(store)

    store.upsert_video(make_video(OTHER))
    store.commit_event(variant.model_copy(update={"merges": [merge]}))
    store.delete_video(VIDEO)  # now the canonical goes: the alias stands alone
    assert store.merges() == []
    assert event_ids(store.entity_events(B_OCR_ID)) == [variant.event.id]
    consistent(store)

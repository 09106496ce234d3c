"""Entity lookup by name and entity relations: part of the EventGraphStore contract.

Entities and RELATES_TO edges are built the way the pipeline builds them from a caption
(person/object entities, a relation between two things the same event involves).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from test_store_contract import OTHER, VIDEO, make_record, make_video

from avas.errors import NotFoundError
from avas.graph.base import EventGraphStore
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    EventRecord,
    TimeSpan,
    entity_id,
)


def _entity(kind: EntityKind, name: str) -> Entity:
    return Entity(id=entity_id(kind, name), kind=kind, name=name, model="test/vlm")


def _with_relations(
    rec: EventRecord, things: Sequence[Entity], relations: Sequence[tuple[str, str, str]]
) -> EventRecord:
    """The record plus caption entities (INVOLVES) and (subject, predicate, object) relations."""
    names = {t.name: t.id for t in things}
    edges = [
        Edge(src=rec.event.id, dst=t.id, type=EdgeType.INVOLVES, props={"role": "seen"})
        for t in things
    ]
    edges += [
        Edge(
            src=names[s],
            dst=names[o],
            type=EdgeType.RELATES_TO,
            props={"predicate": p, "event_id": rec.event.id, "video_id": rec.event.video_id},
        )
        for s, p, o in relations
    ]
    return rec.model_copy(
        update={"entities": [*rec.entities, *things], "edges": [*rec.edges, *edges]}
    )


WORKER = _entity(EntityKind.PERSON, "worker in orange vest")
FORKLIFT = _entity(EntityKind.OBJECT, "red forklift")
PALLET = _entity(EntityKind.OBJECT, "pallet")
TRUCK = _entity(EntityKind.OBJECT, "delivery truck")


@pytest.fixture
def yard(store: EventGraphStore) -> dict[str, EventRecord]:
    """A worker drives a forklift, then loads a pallet; in another video a truck carries it."""
    store.upsert_video(make_video())
    store.upsert_video(make_video(OTHER))
    first = _with_relations(
        make_record(0, 10_000, "a worker drives a forklift", entities=["LOADING DOCK B"]),
        [WORKER, FORKLIFT],
        [("worker in orange vest", "drives", "red forklift")],
    )
    second = _with_relations(
        make_record(10_000, 20_000, "the forklift lifts a pallet", previous=first.event),
        [WORKER, FORKLIFT, PALLET],
        [
            ("red forklift", "lifts", "pallet"),
            ("worker in orange vest", "watches", "pallet"),
        ],
    )
    other = _with_relations(
        make_record(5_000, 9_000, "a truck leaves", video_id=OTHER),
        [TRUCK, PALLET, WORKER],
        [
            ("delivery truck", "carries", "pallet"),
            ("pallet", "blocks", "worker in orange vest"),
        ],
    )
    for rec in (first, second, other):
        store.commit_event(rec)
    return {"first": first, "second": second, "other": other}


def test_find_entities_by_name(store: EventGraphStore, yard: dict[str, EventRecord]) -> None:
    # The exact normalised name wins over a longer name containing it.
    assert [e.id for e in store.find_entities("Pallet")] == [PALLET.id]
    # Case, spaces and punctuation do not matter; OCR's lost spaces neither.
    assert store.find_entities("RED-FORKLIFT")[0] == FORKLIFT
    assert store.find_entities("loadingdockb")[0].name == "LOADING DOCK B"
    # A name containing the query ranks by that; then the share of query words in the name.
    assert [e.id for e in store.find_entities("forklift")] == [FORKLIFT.id]
    # Half of the words each: equal scores, then by name.
    found = store.find_entities("the worker with the forklift")
    assert [e.id for e in found] == [FORKLIFT.id, WORKER.id]
    assert [e.name for e in store.find_entities("worker forklift truck", k=2)] == [
        "delivery truck",
        "red forklift",
    ]
    assert store.find_entities("volcano") == []
    assert store.find_entities("") == []
    assert store.find_entities("pallet", k=0) == []


def test_find_entities_ranks_by_score_then_name(
    store: EventGraphStore, yard: dict[str, EventRecord]
) -> None:
    # "orange forklift": each of two names holds one of its two words -> equal scores, by name.
    assert [e.name for e in store.find_entities("orange forklift")] == [
        "red forklift",
        "worker in orange vest",
    ]
    # "forklift red vest": two of three words in one name beat one of three in another.
    assert [e.name for e in store.find_entities("forklift red vest")] == [
        "red forklift",
        "worker in orange vest",
    ]


def test_relations_of_an_entity(store: EventGraphStore, yard: dict[str, EventRecord]) -> None:
    rels = store.relations(PALLET.id)
    # Both directions, each with its event and span, by video then time.
    assert [(r.subject.name, r.predicate, r.object.name, r.video_id) for r in rels] == [
        ("delivery truck", "carries", "pallet", OTHER),
        ("pallet", "blocks", "worker in orange vest", OTHER),
        ("red forklift", "lifts", "pallet", VIDEO),
        ("worker in orange vest", "watches", "pallet", VIDEO),
    ]
    assert rels[2].event_id == yard["second"].event.id
    assert rels[2].span == TimeSpan(start_ms=10_000, end_ms=20_000)
    assert rels[0].span == yard["other"].event.span

    worker = store.relations(WORKER.id)
    assert [(r.predicate, r.object.name, r.span.start_ms if r.span else None) for r in worker] == [
        ("blocks", "worker in orange vest", 5_000),
        ("drives", "red forklift", 0),
        ("watches", "pallet", 10_000),
    ]
    assert worker[1].subject == WORKER and worker[1].object == FORKLIFT
    # An entity that relates to nothing has no relations; an unknown one is an error.
    assert store.relations(entity_id(EntityKind.TEXT, "LOADING DOCK B")) == []
    with pytest.raises(NotFoundError):
        store.relations("ent/object/volcano")


def test_relations_survive_reopening_and_go_with_their_video(
    store: EventGraphStore,
    reopen: Callable[[], EventGraphStore],
    yard: dict[str, EventRecord],
) -> None:
    before = store.relations(PALLET.id)
    store.close()
    again = reopen()
    assert again.relations(PALLET.id) == before
    assert again.find_entities("delivery truck")[0] == TRUCK
    again.delete_video(OTHER)
    # The truck was only in the deleted video: gone, and its relation with it; the pallet and
    # the worker stay (the first video involves them) but not what they did in the deleted one.
    assert again.find_entities("delivery truck") == []
    assert [r.predicate for r in again.relations(PALLET.id)] == ["lifts", "watches"]
    assert [r.predicate for r in again.relations(WORKER.id)] == ["drives", "watches"]

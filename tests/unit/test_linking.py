"""Online entity linking: the name check, and EntityLinker with the packaged embedder and the
real embedded store.

.venv/bin/pytest tests/unit/test_linking.py -q
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from avas.graph.networkx_store import NetworkxEventStore
from avas.knowledge.linking import EntityLinker, link_text, name_tokens, same_name
from avas.perception.base import Embedder
from avas.service import Service
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    Event,
    EventRecord,
    TimeSpan,
    Video,
    entity_id,
    event_id,
)

VIDEO = "cam"

# Misreadings of one name (OCR slips, spacing, case, spelling): these link.
SAME = [
    ("HARBOR BRIDGE", "HARB0R BRIDGE"),
    ("HARBOR BRIDGE", "HARBOUR BRIDGE"),
    ("HARBOR BRIDGE", "HARBOR BRIDQE"),
    ("HARBOR BRIDGE", "HARBORBRIDGE"),
    ("LOADING DOCK B", "LOADINGDOCK B"),
    ("LOADING DOCK B", "L0ADING D0CK B"),
    ("BUDGET REVIEW 2026", "BUDGET REVIEVV 2026"),
    ("NIGHT SHIFT 3", "NIGHT SHlFT 3"),
    ("INTRUDER", "lNTRUDER"),
    ("Golden Gate Bridge", "GOLDEN GATE BRIDGE"),
]
# Different names, however alike (embeddings score these 0.70-0.96): these stay apart.
DIFFERENT = [
    ("LOADING DOCK B", "LOADING DOCK C"),
    ("LOADINGDOCK B", "LOADING DOCK C"),
    ("EXIT GATE 7", "EXIT GATE 9"),
    ("EXIT GATE 7", "EXIT GATE 1"),
    ("BUDGET REVIEW 2026", "BUDGET REVIEW 2025"),
    ("ROOM 101", "ROOM 102"),
    ("DOCK 8", "DOCK B"),
    ("NORTH ENTRANCE", "SOUTH ENTRANCE"),
    ("HARBOR BRIDGE", "HARBOR TUNNEL"),
    ("HARBOR BRIDGE", "HARBOR BRIDGE CLOSED"),
    ("NIGHT SHIFT 3", "NIGHT SHIFT"),
    ("LOADING DOCK B", "LOADING DOCK"),
    ("Maria Lopez", "Mario Lopez"),
    ("GATE OPEN", "GATE CLOSED"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_misreadings_are_one_name(a: str, b: str) -> None:
    assert same_name(a, b) and same_name(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert not same_name(a, b) and not same_name(b, a)


def test_ocr_confusions_are_undone_only_inside_words() -> None:
    assert name_tokens("HARB0R BRIDGE") == ["harbor", "bridge"]
    assert name_tokens("lNTRUDER") == ["intruder"]
    # Codes and numbers keep their digits: "0" alone, "B12" and "2026" are not misread letters.
    assert name_tokens("GATE 0, B12 / 2026") == ["gate", "0", "b12", "2026"]
    assert link_text("L0ADING-DOCK  B") == "loading dock b"


# -- the linker with the real embedder and store ------------------------------------------------


@pytest.fixture(scope="module")
def embedder(service: Service) -> Embedder:
    return service.embedder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[NetworkxEventStore]:
    s = NetworkxEventStore(tmp_path / "store.sqlite")
    s.upsert_video(
        Video(
            id=VIDEO, path="/cam.mp4", duration_ms=0, width=640, height=360, fps=1, has_audio=False
        )
    )
    yield s
    s.close()


def record(start_s: int, names: Sequence[str], kind: EntityKind = EntityKind.TEXT) -> EventRecord:
    """A 5 s event involving entities named ``names`` (as the pipeline builds them)."""
    span = TimeSpan(start_ms=start_s * 1000, end_ms=(start_s + 5) * 1000)
    eid = event_id(VIDEO, span)
    entities = [Entity(id=entity_id(kind, n), kind=kind, name=n, model="test/ocr") for n in names]
    return EventRecord(
        event=Event(id=eid, video_id=VIDEO, span=span, description=" ".join(names)),
        entities=entities,
        edges=[Edge(src=VIDEO, dst=eid, type=EdgeType.HAS_EVENT)]
        + [
            Edge(src=eid, dst=e.id, type=EdgeType.INVOLVES, props={"role": "text"})
            for e in entities
        ],
    )


def ingest(linker: EntityLinker, store: NetworkxEventStore, *events: Sequence[str]) -> list[str]:
    """Links and commits one event per name list; returns the event ids."""
    ids = []
    for i, names in enumerate(events):
        linked = linker.link(record(i * 5, names))
        store.commit_event(linked)
        ids.append(linked.event.id)
    return ids


def text(name: str) -> str:
    return entity_id(EntityKind.TEXT, name)


def test_variants_become_aliases_and_different_names_stay_apart(
    store: NetworkxEventStore, embedder: Embedder
) -> None:
    linker = EntityLinker(store, embedder, min_similarity=0.5)
    events = ingest(
        linker,
        store,
        ["HARBOR BRIDGE", "LOADING DOCK B"],
        ["HARB0R BRIDGE", "LOADING DOCK C"],
        ["HARBOUR BRIDGE", "LOADINGDOCK B"],  # spacing only: the same id, no merge needed
        ["HARBOR BRIDGE"],
    )
    merges = {m.alias_id: m for m in store.merges()}
    assert set(merges) == {text("HARB0R BRIDGE"), text("HARBOUR BRIDGE")}
    assert {m.canonical_id for m in merges.values()} == {text("HARBOR BRIDGE")}
    zero = merges[text("HARB0R BRIDGE")]
    assert zero.score == pytest.approx(1.0, abs=1e-3)  # folded names embed identically
    assert zero.event_id == events[1] and zero.video_id == VIDEO
    assert zero.model == f"avas/entity-linker+{embedder.model_id}"
    assert 0.5 <= merges[text("HARBOUR BRIDGE")].score < 1.0

    bridge = store.entity_events(text("HARBOR BRIDGE"))
    assert [e.id for e in bridge] == events  # four events, three spellings, one entity
    assert [e.id for e in store.entity_events(text("LOADING DOCK B"))] == [events[0], events[2]]
    assert [e.id for e in store.entity_events(text("LOADING DOCK C"))] == [events[1]]

    store.unmerge_entity(text("HARB0R BRIDGE"))
    assert len(store.entity_events(text("HARBOR BRIDGE"))) == 3


def test_names_link_within_one_event_and_only_within_a_kind(
    store: NetworkxEventStore, embedder: Embedder
) -> None:
    linker = EntityLinker(store, embedder, min_similarity=0.5)
    ingest(linker, store, ["EXIT GATE 7", "EXlT GATE 7"])
    assert [(m.alias_id, m.canonical_id) for m in store.merges()] == [
        (text("EXlT GATE 7"), text("EXIT GATE 7"))
    ]
    heard = linker.link(record(20, ["Exit Gate 7"], kind=EntityKind.NAME))
    assert heard.merges == []  # a name heard is not linked to a text seen
    assert set(heard.vectors) == {entity_id(EntityKind.NAME, "Exit Gate 7")}


def test_linking_off_or_a_high_threshold_makes_no_merges(
    store: NetworkxEventStore, embedder: Embedder
) -> None:
    ingest(
        EntityLinker(store, embedder, enabled=False), store, ["HARBOR BRIDGE"], ["HARB0R BRIDGE"]
    )
    assert store.merges() == []
    strict = EntityLinker(store, embedder, min_similarity=0.99)
    assert strict.link(record(10, ["HARBOUR BRIDGE"])).merges == []  # cosine ~0.92
    assert len(EntityLinker(store, embedder).link(record(10, ["HARBOUR BRIDGE"])).merges) == 1


def test_a_stored_name_is_neither_embedded_again_nor_merged(
    store: NetworkxEventStore, embedder: Embedder
) -> None:
    linker = EntityLinker(store, embedder)
    ingest(linker, store, ["HARBOR BRIDGE"])
    again = linker.link(record(10, ["HARBOR BRIDGE", "HARB0R BRIDGE"]))
    assert set(again.vectors) == {text("HARB0R BRIDGE")}
    assert [m.alias_id for m in again.merges] == [text("HARB0R BRIDGE")]

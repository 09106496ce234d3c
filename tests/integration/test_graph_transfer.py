"""Export a real ingested graph and import it into an empty store: same events, same answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from avas.config import Settings
from avas.errors import InputError
from avas.graph.networkx_store import NetworkxEventStore
from avas.knowledge.transfer import export_graphml, export_jsonl, import_jsonl
from avas.pipeline import IngestReport
from avas.service import Service
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    EntityMerge,
    Event,
    EventRecord,
    TimeSpan,
    Video,
    entity_id,
    event_id,
    involves_role,
)


def test_jsonl_round_trip(service: Service, ingested: IngestReport, tmp_path: Path) -> None:
    dump = tmp_path / "graph.jsonl"
    assert export_jsonl(service.store, dump) == ingested.events
    other = NetworkxEventStore(tmp_path / "other.sqlite")
    try:
        assert import_jsonl(other, service.embedder, dump) == ingested.events
        assert other.stats() == service.store.stats()
        assert [e.id for e in other.events("short")] == [
            e.id for e in service.store.events("short")
        ]
        hits = other.keyword_search("harbor", k=3, video_id="short")
        assert hits and "HARBOR" in hits[0].text.upper()
    finally:
        other.close()


def test_graphml_is_valid_xml(service: Service, ingested: IngestReport, tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    nodes = export_graphml(service.store, path)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("graphml") and nodes > ingested.events


def test_bad_import_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"video": {"id": "x"}}\n')
    service = Service(Settings(home=tmp_path / "home"))
    try:
        with pytest.raises(InputError, match=r"bad\.jsonl:1"):
            import_jsonl(service.store, service.embedder, bad)
        assert service.store.videos() == []
    finally:
        service.close()


def _linked_record(
    video: str, start_ms: int, names: list[str], merge_of: str | None
) -> EventRecord:
    span = TimeSpan(start_ms=start_ms, end_ms=start_ms + 5_000)
    eid = event_id(video, span)
    kinds = {n: EntityKind.NAME if n.istitle() else EntityKind.OBJECT for n in names}
    entities = [Entity(id=entity_id(k, n), kind=k, name=n, model="vlm") for n, k in kinds.items()]
    edges = [Edge(src=video, dst=eid, type=EdgeType.HAS_EVENT)]
    edges += [
        Edge(src=eid, dst=e.id, type=EdgeType.INVOLVES, props={"role": involves_role(e.kind)})
        for e in entities
    ]
    if len(entities) == 2:
        edges.append(
            Edge(
                src=entities[0].id,
                dst=entities[1].id,
                type=EdgeType.RELATES_TO,
                props={"predicate": "drives", "event_id": eid, "video_id": video},
            )
        )
    merges = (
        [
            EntityMerge(
                alias_id=entities[0].id,
                canonical_id=merge_of,
                score=0.9,
                event_id=eid,
                video_id=video,
                model="test-linker",
            )
        ]
        if merge_of
        else []
    )
    event = Event(id=eid, video_id=video, span=span, description=" ".join(names))
    return EventRecord(event=event, entities=entities, edges=edges, merges=merges)


def test_jsonl_carries_relations_merges_and_roles(service: Service, tmp_path: Path) -> None:
    """Relations between entities, recorded merges and INVOLVES roles survive a round trip."""
    source = NetworkxEventStore(tmp_path / "source.sqlite")
    other = NetworkxEventStore(tmp_path / "other.sqlite")
    try:
        source.upsert_video(
            Video(
                id="dock",
                path="/dock.mp4",
                duration_ms=20_000,
                width=64,
                height=64,
                fps=1,
                has_audio=False,
            )
        )
        first = _linked_record("dock", 0, ["Peter Smith", "forklift"], None)
        source.commit_event(first)
        canonical = first.entities[0].id
        source.commit_event(_linked_record("dock", 5_000, ["Peter Smyth"], canonical))
        dump = tmp_path / "graph.jsonl"
        export_jsonl(source, dump)
        assert import_jsonl(other, service.embedder, dump) == 2
        # (Import also links events in time and summarises them: NEXT and PART_OF edges.)
        kept = ("INVOLVES", "RELATES_TO", "MERGED_INTO")
        assert (
            [other.stats().edges.get(k) for k in kept]
            == [source.stats().edges.get(k) for k in kept]
            == [3, 1, 1]
        )
        assert [
            (r.subject.name, r.predicate, r.object.name) for r in other.relations(canonical)
        ] == [("Peter Smith", "drives", "forklift")]
        [merge] = other.merges("dock")
        assert (merge.alias_id, merge.canonical_id) == (
            entity_id(EntityKind.NAME, "Peter Smyth"),
            canonical,
        )
        # The alias's event counts for the canonical entity, as in the source store.
        assert len(other.entity_events(canonical)) == 2
    finally:
        source.close()
        other.close()

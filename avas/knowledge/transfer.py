"""Move a graph between stores and tools: JSON Lines (lossless for import) and GraphML (export).

    export_jsonl(store, Path("graph.jsonl"))
    import_jsonl(other_store, embedder, Path("graph.jsonl"))

JSONL holds one video per line with its events and their speech, texts and entities, the
relations between entities and the entity merges made while ingesting it. Vectors are not
exported: import recomputes text and entity-name vectors with the importing side's embedder, so
a graph can move to a store configured with another embedding model. Keyframe vectors need the
video's frames, so an imported graph has none until the video is ingested again with an image
embedder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
from pydantic import BaseModel, Field, ValidationError

from avas.errors import InputError
from avas.graph.base import EventDetails, EventGraphStore, Relation
from avas.knowledge.linking import EntityLinker
from avas.knowledge.summaries import SummaryBuilder
from avas.perception.base import Embedder
from graph_schema import (
    Edge,
    EdgeType,
    EntityMerge,
    Event,
    EventRecord,
    OnScreenText,
    SpeechSegment,
    Video,
    involves_role,
)


class VideoExport(BaseModel):
    video: Video
    events: list[EventDetails]
    relations: list[Relation] = Field(default_factory=list)
    merges: list[EntityMerge] = Field(default_factory=list)


def _records(item: VideoExport, embedder: Embedder) -> Iterator[EventRecord]:
    previous: Event | None = None
    for d in item.events:
        event = d.event
        edges = [Edge(src=event.video_id, dst=event.id, type=EdgeType.HAS_EVENT)]
        if previous is not None:
            gap = max(0, event.span.start_ms - previous.span.end_ms)
            edges.append(
                Edge(src=previous.id, dst=event.id, type=EdgeType.NEXT, props={"gap_ms": gap})
            )
        edges += [Edge(src=event.id, dst=s.id, type=EdgeType.HAS_SPEECH) for s in d.speech]
        edges += [Edge(src=event.id, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in d.texts]
        edges += [
            Edge(
                src=event.id,
                dst=e.id,
                type=EdgeType.INVOLVES,
                props={"role": involves_role(e.kind)},
            )
            for e in d.entities
        ]
        edges += [
            Edge(
                src=r.subject.id,
                dst=r.object.id,
                type=EdgeType.RELATES_TO,
                props={"predicate": r.predicate, "event_id": event.id, "video_id": r.video_id},
            )
            for r in item.relations
            if r.event_id == event.id
        ]
        bodies = {event.id: event.description} | {s.id: s.text for s in d.speech}
        bodies |= {t.id: t.text for t in d.texts}
        vectors = embedder.embed(bodies.values())
        yield EventRecord(
            event=event,
            speech=d.speech,
            texts=d.texts,
            entities=d.entities,
            edges=edges,
            vectors={k: v.tolist() for k, v in zip(bodies, vectors, strict=True)},
            embedding_model=embedder.model_id,
            merges=[m for m in item.merges if m.event_id == event.id],
        )
        previous = event


def export_jsonl(store: EventGraphStore, path: Path) -> int:
    """Writes every video; returns the number of events written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for video in store.videos():
            details = [store.event_details(e.id) for e in store.events(video.id)]
            export = VideoExport(
                video=video,
                events=details,
                relations=_relations(store, video.id, details),
                merges=store.merges(video.id),
            )
            out.write(export.model_dump_json() + "\n")
            count += len(details)
    return count


def _relations(
    store: EventGraphStore, video_id: str, details: list[EventDetails]
) -> list[Relation]:
    """The video's RELATES_TO edges, each once (a relation is found from both its entities)."""
    found: dict[tuple[str, str, str, str], Relation] = {}
    for entity_id_ in dict.fromkeys(e.id for d in details for e in d.entities):
        for r in store.relations(entity_id_):
            if r.video_id == video_id:
                found.setdefault((r.subject.id, r.predicate, r.object.id, r.event_id), r)
    return list(found.values())


def import_jsonl(
    store: EventGraphStore, embedder: Embedder, path: Path, *, segment_ms: int = 600_000
) -> int:
    """Reads an export; every line is validated before anything is written. Returns events.

    Summaries are rebuilt from the imported events, as ingest builds them.
    """
    if not path.is_file():
        raise InputError(f"no such export file: {path}")
    exports: list[VideoExport] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                exports.append(VideoExport.model_validate_json(line))
            except ValidationError as exc:
                raise InputError(f"{path}:{n} is not an AVAS graph export line: {exc}") from exc
    count = 0
    for item in exports:
        store.upsert_video(item.video.model_copy(update={"status": "ingesting"}))
        summaries = SummaryBuilder(store, embedder, video_id=item.video.id, segment_ms=segment_ms)
        # Entity-name vectors, so later ingests can link to imported entities; the merges are
        # the exported ones, not linked anew.
        names = EntityLinker(store, embedder, enabled=False)
        for record in _records(item, embedder):
            store.commit_event(names.link(record))
            summaries.note(record.event)
            count += 1
        summaries.finish()
        store.upsert_video(item.video)
    return count


def export_graphml(store: EventGraphStore, path: Path) -> int:
    """GraphML for graph tools (Gephi, yEd, networkx): nodes and edges with flat attributes."""
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for video in store.videos():
        graph.add_node(video.id, kind="video", label=video.path, duration_ms=video.duration_ms)
        previous: str | None = None
        for event in store.events(video.id):
            d = store.event_details(event.id)
            graph.add_node(
                event.id,
                kind="event",
                label=event.description,
                start_ms=event.span.start_ms,
                end_ms=event.span.end_ms,
                observers=json.dumps(event.observers),
            )
            graph.add_edge(video.id, event.id, key="HAS_EVENT", type="HAS_EVENT")
            if previous is not None:
                graph.add_edge(previous, event.id, key="NEXT", type="NEXT")
            previous = event.id
            observed: list[tuple[str, str, SpeechSegment | OnScreenText]]
            observed = [("speech", "HAS_SPEECH", s) for s in d.speech]
            observed += [("text", "SHOWS_TEXT", t) for t in d.texts]
            for kind, etype, node in observed:
                graph.add_node(
                    node.id,
                    kind=kind,
                    label=node.text,
                    start_ms=node.span.start_ms,
                    end_ms=node.span.end_ms,
                    model=node.model,
                )
                graph.add_edge(event.id, node.id, key=etype, type=etype)
            for e in d.entities:
                graph.add_node(e.id, kind="entity", label=e.name, entity_kind=e.kind.value)
                graph.add_edge(event.id, e.id, key="INVOLVES", type="INVOLVES")
    nx.write_graphml(graph, path)
    return int(graph.number_of_nodes())

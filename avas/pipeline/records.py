"""From an event's observation to the graph records committed for it, in one transaction.

Ids are deterministic (video id + span, and the text for on-screen text), so assembling the same
event twice gives the same nodes: a resumed or re-run ingest never duplicates.
"""

from __future__ import annotations

from avas.perception.base import Embedder
from avas.perception.event import EventObservation
from avas.perception.names import MODEL as NAMES_MODEL
from avas.perception.names import speech_names
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    Event,
    EventRecord,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    entity_id,
    event_id,
    involves_role,
    normalize_name,
    speech_id,
    text_id,
)


def assemble_record(
    video_id: str,
    span: TimeSpan,
    seen: EventObservation,
    *,
    previous: Event | None,
    embedder: Embedder,
    partial: bool = False,
    speech_names_on: bool = True,
) -> EventRecord:
    """The event node, its speech and text children, the entities they involve, the edges
    (HAS_EVENT, NEXT from ``previous``, HAS_SPEECH, SHOWS_TEXT, INVOLVES, RELATES_TO) and the
    embeddings of every text body."""
    eid = event_id(video_id, span)
    speech = [
        SpeechSegment(
            id=speech_id(video_id, p.span),
            video_id=video_id,
            span=p.span,
            text=p.text,
            model=seen.speech_model,
            confidence=p.confidence,
        )
        for p in seen.speech
    ]
    texts = [
        OnScreenText(
            id=text_id(video_id, t.span, t.text),
            video_id=video_id,
            span=t.span,
            text=t.text,
            model=seen.text_model,
            confidence=t.confidence,
        )
        for t in seen.texts
    ]
    event = Event(
        id=eid,
        video_id=video_id,
        span=span,
        description=seen.description,
        keyframes_ms=[seen.keyframe_ms],
        observers=seen.observers,
        signals=seen.signals,
        presence=seen.presence,
        partial=partial,
    )
    entities = {
        entity_id(EntityKind.TEXT, t.text): Entity(
            id=entity_id(EntityKind.TEXT, t.text), kind=EntityKind.TEXT, name=t.text, model=t.model
        )
        for t in texts
    }
    if speech_names_on:
        for name in (n for s in speech for n in speech_names(s.text)):
            key = entity_id(EntityKind.NAME, name)
            entity = Entity(id=key, kind=EntityKind.NAME, name=name, model=NAMES_MODEL)
            entities.setdefault(key, entity)
    if seen.caption is not None:
        for ce in seen.caption.entities:
            kind = EntityKind.PERSON if ce.type.lower() == "person" else EntityKind.OBJECT
            key = entity_id(kind, ce.name)
            entity = Entity(id=key, kind=kind, name=ce.name, model=seen.caption_model)
            entities.setdefault(key, entity)
    edges = [Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT)]
    if previous is not None:
        gap = max(0, span.start_ms - previous.span.end_ms)
        edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": gap}))
    edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in speech]
    edges += [Edge(src=eid, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in texts]
    edges += [
        Edge(src=eid, dst=ent.id, type=EdgeType.INVOLVES, props={"role": involves_role(ent.kind)})
        for ent in entities.values()
    ]
    if seen.caption is not None:
        names = {normalize_name(e.name): e.id for e in entities.values()}
        for rel in seen.caption.relations:
            src = names.get(normalize_name(rel.subject))
            dst = names.get(normalize_name(rel.object))
            if src and dst:  # relations between things the caption also listed
                props = {"predicate": rel.predicate, "event_id": eid, "video_id": video_id}
                edges.append(Edge(src=src, dst=dst, type=EdgeType.RELATES_TO, props=props))
    bodies = (
        {eid: seen.description} | {s.id: s.text for s in speech} | {t.id: t.text for t in texts}
    )
    vectors = embedder.embed(bodies.values())
    return EventRecord(
        event=event,
        speech=speech,
        texts=texts,
        entities=list(entities.values()),
        edges=edges,
        vectors={k: v.tolist() for k, v in zip(bodies, vectors, strict=True)},
        embedding_model=embedder.model_id,
        frame_vectors=seen.frame_vectors,
        frame_model=seen.frame_model,
    )

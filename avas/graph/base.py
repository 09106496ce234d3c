"""The EventGraphStore seam: every store (embedded networkx, Neo4j) passes one contract suite.

store.commit_event(record)                     # atomic, idempotent
store.keyword_search("loading dock", k=5)      # -> [SearchHit(...)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from avas.text import content_words
from graph_schema import (
    Entity,
    EntityKind,
    EntityMerge,
    Event,
    EventRecord,
    GraphStats,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    Summary,
    TimeSpan,
    Video,
    normalize_name,
)

SEARCHABLE: tuple[NodeKind, ...] = (NodeKind.EVENT, NodeKind.SPEECH, NodeKind.TEXT)


class SearchHit(BaseModel):
    id: str
    kind: NodeKind
    video_id: str
    span: TimeSpan
    text: str
    score: float = Field(description="higher is better; scale depends on the search")


class EventDetails(BaseModel):
    event: Event
    speech: list[SpeechSegment]
    texts: list[OnScreenText]
    entities: list[Entity]


class Relation(BaseModel):
    """A RELATES_TO edge: ``subject`` ``predicate`` ``object``, seen in the event ``event_id``."""

    subject: Entity
    predicate: str
    object: Entity
    event_id: str
    video_id: str
    span: TimeSpan | None = Field(None, description="the event's span (None if it is gone)")


def relation_order(r: Relation) -> tuple[str, int, str, str, str]:
    """The order every store returns relations in: by video, then time, then names."""
    start = r.span.start_ms if r.span else -1
    return (r.video_id, start, r.subject.name, r.predicate, r.object.name)


def entity_query(name: str) -> tuple[str, list[str]]:
    """A name to look entities up by: its normalised form and its words (3+ characters)."""
    words = [w for w in content_words(name) if len(w) >= 3]
    return normalize_name(name), [normalize_name(w) for w in words]


def entity_score(entity_name: str, key: str, words: Sequence[str]) -> float:
    """How well an entity's name matches a query (0: not at all): the exact normalised name 2,
    a name containing the query 1.5, else the share of the query's words the name contains.
    neo4j's find_entities.cypher computes the same score."""
    name_key = normalize_name(entity_name)
    if name_key == key:
        return 2.0
    if key and key in name_key:
        return 1.5
    if not words:
        return 0.0
    return sum(1 for w in words if w in name_key) / len(words)


class EntityHit(BaseModel):
    """An entity whose name's embedding is near a query vector (``entity_candidates``)."""

    entity: Entity
    score: float = Field(description="cosine similarity, higher is better")


def details_of(event: Event, children: Iterable[BaseModel]) -> EventDetails:
    """An event's details from its child nodes, in the order every store returns them."""
    speech = [c for c in children if isinstance(c, SpeechSegment)]
    texts = [c for c in children if isinstance(c, OnScreenText)]
    entities = [c for c in children if isinstance(c, Entity)]
    return EventDetails(
        event=event,
        speech=sorted(speech, key=lambda s: s.span.start_ms),
        texts=sorted(texts, key=lambda t: (t.span.start_ms, t.text)),
        entities=sorted(entities, key=lambda e: e.name),
    )


class EventGraphStore(Protocol):
    def upsert_video(self, video: Video) -> None: ...

    def commit_event(self, record: EventRecord) -> None:
        """Write an event with all its results in one transaction; re-committing replaces it."""
        ...

    def get_video(self, video_id: str) -> Video | None: ...

    def videos(self) -> list[Video]: ...

    def has_event(self, event_id: str) -> bool: ...

    def events(self, video_id: str) -> list[Event]:
        """All events of a video in time order."""
        ...

    def events_in_span(self, video_id: str, span: TimeSpan) -> list[Event]: ...

    def neighbors(self, event_id: str, *, before: int = 0, after: int = 1) -> list[Event]:
        """Up to ``before`` events preceding and ``after`` following, in time order."""
        ...

    def event_details(self, event_id: str) -> EventDetails: ...

    def event_of(self, node_id: str) -> Event:
        """The event a speech or text node belongs to (an event is its own)."""
        ...

    def entity_events(self, entity_id: str) -> list[Event]:
        """Events involving the entity, or any alias merged into it, by video then time."""
        ...

    def entity(self, entity_id: str) -> Entity | None: ...

    def entity_candidates(
        self, kind: EntityKind, vector: npt.NDArray[np.float32], *, k: int
    ) -> list[EntityHit]:
        """Canonical entities (not aliases) of ``kind`` whose name vectors (``EventRecord.vectors``
        keyed by entity id) are nearest ``vector``, best first."""
        ...

    def merge_entities(self, merge: EntityMerge) -> None:
        """Record ``merge.alias_id`` as an alias of ``merge.canonical_id`` (also done atomically
        by ``commit_event`` for ``EventRecord.merges``). InputError for a merge into itself, into
        an alias, or of an entity that has aliases; NotFoundError for an unknown entity."""
        ...

    def unmerge_entity(self, alias_id: str) -> EntityMerge:
        """Undo a merge: the alias is a separate entity again. NotFoundError if not merged."""
        ...

    def merges(self, video_id: str | None = None) -> list[EntityMerge]:
        """Recorded merges (made while ingesting ``video_id``), oldest first."""
        ...

    def find_entities(self, name: str, *, k: int = 10) -> list[Entity]:
        """Entities matching ``name`` (``entity_score`` > 0), best first, then by name and id."""
        ...

    def relations(self, entity_id: str) -> list[Relation]:
        """RELATES_TO edges from or to the entity, in ``relation_order``; NotFoundError when no
        such entity is stored."""
        ...

    def node_hit(self, node_id: str) -> SearchHit:
        """A speech, text or event node in the shape search returns (score 0)."""
        ...

    def vector_search(
        self,
        vector: npt.NDArray[np.float32],
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]: ...

    def keyword_search(
        self,
        query: str,
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]: ...

    def frame_search(
        self, vector: npt.NDArray[np.float32], *, k: int, video_id: str | None = None
    ) -> list[SearchHit]:
        """Events whose keyframe vectors (``EventRecord.frame_vectors``, the image model's space)
        are nearest ``vector``: one hit per event (kind event, its best frame's cosine), best
        first. Frames of another dimension than ``vector`` are not compared."""
        ...

    def has_frames(self, video_id: str | None = None) -> bool:
        """Whether any event (of ``video_id``) carries keyframe vectors: a cheap check that lets
        search skip the image model when there is nothing to compare with."""
        ...

    def upsert_summary(
        self, summary: Summary, *, parts: Sequence[str], vector: Sequence[float], model: str
    ) -> None:
        """Write a segment or video summary with PART_OF edges from ``parts`` (event or segment
        ids) to it, replacing an earlier version of the same id."""
        ...

    def summaries(self, video_id: str, *, level: str | None = None) -> list[Summary]:
        """Summaries of a video in time order (``level``: "segment" or "video")."""
        ...

    def stats(self) -> GraphStats: ...

    def delete_video(self, video_id: str) -> None: ...

    def delete_events_before(self, video_id: str, before_ms: int) -> int:
        """Delete the video's events that end by ``before_ms`` with their speech, text, vectors,
        keyword rows and edges, and the entities no event involves any more; summaries and the
        video stay (retention rolls events into summaries first). Returns the events deleted."""
        ...

    def delete_summaries(self, video_id: str, summary_ids: Sequence[str]) -> int:
        """Delete these summaries of the video (unknown ids are skipped); returns how many."""
        ...

    def close(self) -> None: ...

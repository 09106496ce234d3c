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

from graph_schema import (
    Entity,
    Event,
    EventRecord,
    GraphStats,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    Summary,
    TimeSpan,
    Video,
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

    def entity_events(self, entity_id: str) -> list[Event]: ...

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

    def close(self) -> None: ...

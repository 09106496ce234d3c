"""Nodes and edges of the Event Knowledge Graph.

    span = TimeSpan(start_ms=12_000, end_ms=20_000)
    event = Event(id=event_id("talk", span), video_id="talk", span=span, description="...")

Times are integer milliseconds everywhere; formatting happens at the edges (``fmt_span``).
Ids are deterministic (video id + span), so re-ingesting never duplicates a node.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TimeSpan(BaseModel):
    """A half-open interval [start_ms, end_ms) of media time."""

    model_config = ConfigDict(frozen=True)

    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> TimeSpan:
        if self.end_ms < self.start_ms:
            raise ValueError(f"span ends ({self.end_ms} ms) before it starts ({self.start_ms} ms)")
        return self

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def overlaps(self, other: TimeSpan) -> bool:
        return self.start_ms < other.end_ms and other.start_ms < self.end_ms

    def overlap_ms(self, other: TimeSpan) -> int:
        return max(0, min(self.end_ms, other.end_ms) - max(self.start_ms, other.start_ms))

    def iou(self, other: TimeSpan) -> float:
        union = max(self.end_ms, other.end_ms) - min(self.start_ms, other.start_ms)
        return self.overlap_ms(other) / union if union > 0 else 0.0

    def union(self, other: TimeSpan) -> TimeSpan:
        return TimeSpan(
            start_ms=min(self.start_ms, other.start_ms), end_ms=max(self.end_ms, other.end_ms)
        )


def fmt_ms(ms: int) -> str:
    """``83_000`` -> ``01:23``; hours appear only when needed (``1:02:03``)."""
    seconds = ms // 1000
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def fmt_span(span: TimeSpan) -> str:
    """``[01:12–01:20]``: the citation form shown to users."""
    return f"[{fmt_ms(span.start_ms)}–{fmt_ms(span.end_ms)}]"


def normalize_name(name: str) -> str:
    """Case-, space- and punctuation-insensitive key for linking names (OCR drops spaces)."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def _span_key(span: TimeSpan) -> str:
    return f"{span.start_ms}-{span.end_ms}"


def event_id(video_id: str, span: TimeSpan) -> str:
    return f"{video_id}/ev/{_span_key(span)}"


def speech_id(video_id: str, span: TimeSpan) -> str:
    return f"{video_id}/sp/{_span_key(span)}"


def text_id(video_id: str, span: TimeSpan, text: str) -> str:
    digest = hashlib.sha1(normalize_name(text).encode()).hexdigest()[:8]
    return f"{video_id}/tx/{_span_key(span)}/{digest}"


def summary_id(video_id: str, level: str, span: TimeSpan) -> str:
    return f"{video_id}/sum/{level}/{_span_key(span)}"


def entity_id(kind: EntityKind, name: str) -> str:
    return f"ent/{kind.value}/{normalize_name(name)}"


class NodeKind(StrEnum):
    VIDEO = "video"
    EVENT = "event"
    SPEECH = "speech"
    TEXT = "text"
    ENTITY = "entity"
    SUMMARY = "summary"


class EdgeType(StrEnum):
    HAS_EVENT = "HAS_EVENT"  # Video -> Event
    NEXT = "NEXT"  # Event -> the following Event, with gap_ms
    HAS_SPEECH = "HAS_SPEECH"  # Event -> SpeechSegment
    SHOWS_TEXT = "SHOWS_TEXT"  # Event -> OnScreenText
    INVOLVES = "INVOLVES"  # Event -> Entity, with a role
    RELATES_TO = "RELATES_TO"  # Entity -> Entity, with a predicate and the event where it holds
    PART_OF = "PART_OF"  # Event -> segment Summary -> video Summary


class EntityKind(StrEnum):
    TEXT = "text"  # a name or phrase seen on screen
    PERSON = "person"
    OBJECT = "object"
    NAME = "name"  # a proper name heard in speech (people, places, organisations alike)


def _now() -> datetime:
    return datetime.now(UTC)


class Video(BaseModel):
    id: str
    path: str
    duration_ms: int = Field(ge=0)
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    fps: float = Field(ge=0)
    has_audio: bool
    is_live: bool = False
    # "stopped": a live stream that ended (dropped for good, or stopped by the user)
    status: Literal["ingesting", "complete", "stopped"] = "ingesting"
    ingested_at: datetime = Field(default_factory=_now)
    gaps: list[TimeSpan] = Field(
        default_factory=list, description="media time lost while a live source was disconnected"
    )
    language: str | None = Field(
        None, description="the language most of its speech was recognised in, e.g. 'en'"
    )


class SpeechSegment(BaseModel):
    id: str
    video_id: str
    span: TimeSpan
    text: str
    model: str
    confidence: float = Field(ge=0.0, le=1.0)


class OnScreenText(BaseModel):
    id: str
    video_id: str
    span: TimeSpan
    text: str
    model: str
    confidence: float = Field(ge=0.0, le=1.0)


class Event(BaseModel):
    id: str
    video_id: str
    span: TimeSpan
    description: str
    keyframes_ms: list[int] = Field(default_factory=list)
    observers: list[str] = Field(
        default_factory=list, description="model ids of every observer that ran on this event"
    )
    signals: dict[str, float] = Field(
        default_factory=dict,
        description="measured levels, e.g. motion (0-255) and foreground (share of frames "
        "with something in the foreground)",
    )
    presence: list[TimeSpan] = Field(
        default_factory=list,
        description="stretches of the event with something in the foreground (the presence "
        "detector, frame by frame): visits inside one event, finer than its span",
    )
    partial: bool = Field(
        False,
        description="cut short by a live stream that dropped or was stopped: the event holds "
        "what was received, not a whole shot or window",
    )


class Entity(BaseModel):
    id: str
    kind: EntityKind
    name: str
    model: str


# Stores keep an EntityMerge as an alias -[MERGED_INTO]-> canonical edge (counted in stats under
# this name); it is no EdgeType because records carry merges in EventRecord.merges, not as edges.
MERGED_INTO = "MERGED_INTO"


def involves_role(kind: EntityKind) -> str:
    """The INVOLVES edge's role for an entity of ``kind``: how the event came to involve it."""
    return {EntityKind.TEXT: "text", EntityKind.NAME: "mentioned"}.get(kind, "seen")


class EntityMerge(BaseModel):
    """An observed entity linked to an existing one by similar (not identical) names.

    The alias keeps its own node and INVOLVES edges, so undoing the merge loses nothing.
    """

    alias_id: str
    canonical_id: str
    score: float = Field(description="cosine similarity of the two names' embeddings")
    event_id: str = Field(description="the event whose commit made the link")
    video_id: str
    model: str = Field(description="the linker and the embedding model that decided")
    merged_at: datetime = Field(default_factory=_now)


class Summary(BaseModel):
    """What a stretch of video (a segment, or the whole video) holds, in a few lines."""

    id: str
    video_id: str
    level: Literal["segment", "video"]
    span: TimeSpan
    text: str
    model: str


# The model each node kind is stored as: both stores validate a node's JSON back through it.
NODE_MODELS: dict[NodeKind, type[BaseModel]] = {
    NodeKind.VIDEO: Video,
    NodeKind.EVENT: Event,
    NodeKind.SPEECH: SpeechSegment,
    NodeKind.TEXT: OnScreenText,
    NodeKind.ENTITY: Entity,
    NodeKind.SUMMARY: Summary,
}


class Edge(BaseModel):
    src: str
    dst: str
    type: EdgeType
    props: dict[str, str | int | float] = Field(default_factory=dict)


class EventRecord(BaseModel):
    """Everything perception produced for one event: committed to a store in one transaction."""

    event: Event
    speech: list[SpeechSegment] = Field(default_factory=list)
    texts: list[OnScreenText] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    # node id -> embedding of that node's text (event description, speech, on-screen text)
    vectors: dict[str, list[float]] = Field(default_factory=dict)
    embedding_model: str = ""
    # keyframe time (ms) -> image embedding of that frame: a vector space of its own (the image
    # model's, e.g. CLIP), searched with that model's text vectors; empty when none is configured
    frame_vectors: dict[int, list[float]] = Field(default_factory=dict)
    frame_model: str = ""
    # entities of this record linked to stored ones by similar names (graph.linking)
    merges: list[EntityMerge] = Field(default_factory=list)


class GraphStats(BaseModel):
    videos: int
    nodes: dict[str, int]
    edges: dict[str, int]
    observers: dict[str, int] = Field(
        default_factory=dict, description="events each observer model ran on"
    )

"""The API's own response types, and the one place they are mapped from internal types.

An internal model (Answer, IngestReport, Progress, Moment, a monitor's stream status or alert,
...) can change without changing the API: a field it adds stays out of the responses, and one it
drops or renames fails here, in the mapping, rather than on the wire.
``answer_out(answer)``, ``report_out(report)``, ``stream_out(stream)``, ``alert_out(alert)``, ...
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from agents.state import Answer
from avas.graph.base import EventDetails
from avas.monitor.alerts import Alert
from avas.monitor.state import MonitoredStream
from avas.pipeline import IngestReport, Progress
from avas.retrieval.moments import Moment, VideoHit
from graph_schema import EntityKind, GraphStats, NodeKind, Video


class SpanOut(BaseModel):
    """A half-open interval [start_ms, end_ms) of media time."""

    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> SpanOut:
        if self.end_ms < self.start_ms:  # refused at the door (422), as the store would refuse it
            raise ValueError(f"span ends ({self.end_ms} ms) before it starts ({self.start_ms} ms)")
        return self


class CitationOut(BaseModel):
    video_id: str
    span: SpanOut
    kind: NodeKind = Field(description="what the cited node is: speech, text, event, ...")
    text: str
    node_id: str


class AnswerOut(BaseModel):
    question: str
    text: str
    found: bool = Field(description="false: the videos do not show it (the text says so)")
    citations: list[CitationOut] = Field(default_factory=list)
    policy: str
    models: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)


class GapOut(BaseModel):
    """Media time lost while a live source was disconnected."""

    start_ms: int
    end_ms: int
    reason: str


class ProgressOut(BaseModel):
    video_id: str
    media_ms: int
    total_ms: int | None
    events: int
    elapsed_s: float


class IngestReportOut(BaseModel):
    video_id: str
    duration_ms: int | None
    media_ms: int = Field(description="media time processed by this run")
    events: int
    events_skipped: int
    events_merged: int = Field(0, description="events folded into the one before them")
    speech_segments: int
    texts: int
    frames_sampled: int
    frames_ocr: int
    seconds: float
    resumed_from_ms: int = 0
    stopped: str | None = Field(None, description="why the input ended early, if it did")
    gaps: list[GapOut] = Field(default_factory=list)


class MomentOut(BaseModel):
    video_id: str
    span: SpanOut
    score: float = Field(description="fused score; higher is better, comparable within one query")
    modality: Literal["speech", "text", "caption", "frame"] = Field(
        description="which kind of evidence matched best"
    )
    snippet: str = Field(description="the best-matching text: speech, on-screen text or caption")
    node_ids: list[str] = Field(description="every matched node, best first")
    rerank_score: float | None = Field(
        None, description="the re-ranker's relevance, when one re-ordered the top results"
    )


class VideoHitOut(BaseModel):
    video_id: str
    score: float = Field(description="best moment's score plus a share of the others'")
    moments: int = Field(description="matching moments in this video")
    best: MomentOut


class GraphStatsOut(BaseModel):
    videos: int
    nodes: dict[str, int]
    edges: dict[str, int]
    observers: dict[str, int] = Field(description="events each observer model ran on")


class VideoOut(BaseModel):
    id: str
    duration_ms: int
    width: int
    height: int
    fps: float
    has_audio: bool
    is_live: bool
    status: Literal["ingesting", "complete", "stopped"]
    ingested_at: datetime
    events: int
    file_name: str = Field(description="the media file's name (the full path stays on the server)")
    media_url: str


class EntityOut(BaseModel):
    id: str
    kind: EntityKind
    name: str


class TimelineEvent(BaseModel):
    id: str
    video_id: str
    span: SpanOut
    description: str
    speech: list[str]
    texts: list[str]
    entities: list[EntityOut]


StreamState = Literal["connecting", "running", "reconnecting", "finished", "stopped"]


class StreamOut(BaseModel):
    """A monitored stream as its monitor last reported it."""

    name: str
    uri: str
    video_id: str
    state: StreamState
    connected: bool
    last_media_ms: int | None = Field(description="end of the last committed event")
    lag_s: float | None = Field(description="last event: from its last frame's arrival to commit")
    events: int
    events_per_min: float = Field(description="commits per wall-clock minute, last 5 minutes")
    alerts: int
    reconnects: int
    restarts: int = Field(description="times the ingest itself was reopened")
    dropped_frames: int
    last_error: str | None
    gaps: list[GapOut] = Field(description="media time lost to disconnections, stored timeline")
    pruned_events: int = Field(description="events rolled into summaries by retention")
    monitor_pid: int
    updated_at: datetime = Field(description="when its monitor last wrote this status")
    stale: bool = Field(
        description="the monitor stopped rewriting its status (it crashed or hangs): the rest "
        "is its last word"
    )


MatchKind = Literal["text", "speech", "keyword", "signal", "similarity", "verifier"]


class MatchOut(BaseModel):
    """One reason a rule fired."""

    kind: MatchKind
    value: str = Field(description="what matched: the on-screen text, the words, the node id")
    condition: str | None = Field(description="the rule's entry that matched it")
    score: float | None


class AlertOut(BaseModel):
    rule_id: str
    rule_description: str
    stream: str
    uri: str
    video_id: str
    event_id: str
    span: SpanOut = Field(description="the event's media time in the stream's stored timeline")
    keyframe_ms: int | None
    matched: list[MatchOut]
    thumbnail: str | None = Field(
        description="JPEG of the event's keyframe, a name under the alerts folder, if kept"
    )
    created_at: datetime
    latency_s: float | None = Field(
        description="from the arrival of the event's last frame to this alert"
    )


# ---------- the mapping: internal -> API, and an answer sent back as history -> internal ----------


def answer_out(answer: Answer) -> AnswerOut:
    return AnswerOut.model_validate(answer.model_dump())


def answer_in(answer: AnswerOut) -> Answer:
    """An earlier answer a client sends back as history, as the agent reads it."""
    return Answer.model_validate(answer.model_dump())


def progress_out(progress: Progress) -> ProgressOut:
    return ProgressOut.model_validate(progress.model_dump())


def report_out(report: IngestReport) -> IngestReportOut:
    return IngestReportOut.model_validate(report.model_dump())


def moment_out(moment: Moment) -> MomentOut:
    return MomentOut.model_validate(moment.model_dump())


def video_hit_out(hit: VideoHit) -> VideoHitOut:
    return VideoHitOut.model_validate(hit.model_dump())


def stats_out(stats: GraphStats) -> GraphStatsOut:
    return GraphStatsOut.model_validate(stats.model_dump())


def video_out(video: Video, *, events: int, file_name: str, media_url: str) -> VideoOut:
    return VideoOut(
        **video.model_dump(
            include=set(VideoOut.model_fields) - {"events", "file_name", "media_url"}
        ),
        events=events,
        file_name=file_name,
        media_url=media_url,
    )


def timeline_event_out(details: EventDetails) -> TimelineEvent:
    event = details.event
    return TimelineEvent(
        id=event.id,
        video_id=event.video_id,
        span=SpanOut.model_validate(event.span.model_dump()),
        description=event.description,
        speech=[s.text for s in details.speech],
        texts=[t.text for t in details.texts],
        entities=[EntityOut(id=e.id, kind=e.kind, name=e.name) for e in details.entities],
    )


def stream_out(stream: MonitoredStream) -> StreamOut:
    return StreamOut.model_validate(stream.model_dump())


def alert_out(alert: Alert, *, thumbnail: str | None) -> AlertOut:
    """``thumbnail``: the name the client may see (never the server path the alert holds)."""
    return AlertOut.model_validate({**alert.model_dump(), "thumbnail": thumbnail})

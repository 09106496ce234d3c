"""The API's own response types, and the one place they are mapped from internal types.

An internal model (Answer, IngestReport, Progress, Moment, ...) can change without changing the
API: a field it adds stays out of the responses, and one it drops or renames fails here, in the
mapping, rather than on the wire. ``answer_out(answer)``, ``report_out(report)``, ...
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from agents.state import Answer
from avas.pipeline import IngestReport, Progress
from avas.retrieval.moments import Moment, VideoHit
from graph_schema import GraphStats, NodeKind


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

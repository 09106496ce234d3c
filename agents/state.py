"""What flows through the agent graph, and what comes out of it.

answer.text, [fmt_span(c.span) for c in answer.citations]
"""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import BaseModel, Field

from avas.retrieval.hybrid import Evidence
from graph_schema import NodeKind, TimeSpan, fmt_span

Intent = Literal[
    "what", "when", "after", "before", "count", "summary", "relations", "people", "first"
]
# "observed": speech or on-screen text, not the events' descriptions (a question about what was
# said, searched more widely, must not be answered by a description of the picture).
Modality = Literal["speech", "text", "observed", "any"]

NOT_FOUND = "Not found in the video."


class TimeWindow(BaseModel):
    """A time constraint from the question; ``from_end`` counts back from the video's end."""

    start_ms: int = 0
    end_ms: int | None = None
    from_end: bool = False

    def resolve(self, duration_ms: int) -> TimeSpan:
        if self.from_end:
            return TimeSpan(start_ms=max(0, duration_ms - self.start_ms), end_ms=duration_ms)
        end = duration_ms if self.end_ms is None else min(self.end_ms, max(duration_ms, 1))
        return TimeSpan(start_ms=min(self.start_ms, end), end_ms=end)


class QuestionAnalysis(BaseModel):
    intent: Intent
    modality: Modality
    anchor: str | None = Field(None, description="the thing an order/count question is about")
    anchor_node: str | None = Field(None, description="a node the anchor is known to be")
    keywords: list[str] = Field(default_factory=list)
    window: TimeWindow | None = None
    focus: list[str] = Field(
        default_factory=list,
        description="words that must be supported for a hit to count: what the question is "
        "about, the thing whose attribute it asks, names",
    )
    names: list[str] = Field(
        default_factory=list, description="names in the question: matched as spelled or misheard"
    )
    attribute: str | None = Field(None, description="'colour', 'brand', ...: asked of `focus`")
    sides: list[str] = Field(
        default_factory=list, description="the two things a which-came-first question compares"
    )
    people: Literal["when", "first", "count", "any"] | None = Field(
        None, description="what a question about people asks"
    )
    faces: bool = False


class Citation(BaseModel):
    video_id: str
    span: TimeSpan
    kind: NodeKind
    text: str
    node_id: str

    @property
    def label(self) -> str:
        return fmt_span(self.span)


class Answer(BaseModel):
    question: str
    text: str
    found: bool
    citations: list[Citation] = Field(default_factory=list)
    policy: str
    models: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)

    def render(self) -> str:
        """The answer as a user reads it: text, then each cited span with what it shows."""
        lines = [self.text]
        for c in self.citations:
            lines.append(f"  {fmt_span(c.span)} {c.video_id} ({c.kind.value}): {c.text[:120]}")
        return "\n".join(lines)


class AgentState(TypedDict, total=False):
    question: str
    video_id: str | None
    history: list[Answer]
    analysis: QuestionAnalysis
    evidence: list[Evidence]
    sides: list[Evidence | None]
    broadened: bool
    looked: bool
    answer: Answer
    steps: list[str]

"""Segment and video summaries, kept up to date as events arrive (extractive offline, or an LLM).

    builder = SummaryBuilder(store, embedder, video_id="talk", segment_ms=600_000)
    builder.note(event)   # after each commit; closes a segment once an event passes its end
    builder.finish()      # the last segment and the whole-video summary

Offline, a summary lists what was shown and said, in order, without inventing anything: global
questions ("what is this video about", "summarise the second hour") get a target in the graph.
With ``AVAS_SUMMARY__SUMMARISER=openai`` a chat model writes them from the same material.
"""

from __future__ import annotations

from typing import Literal

from avas.config import SummarySettings
from avas.errors import DependencyError
from avas.graph.base import EventGraphStore
from avas.knowledge.summary_base import (
    MATERIAL_ITEMS,
    Summariser,
    SummaryMaterial,
    distinct_items,
)
from avas.perception.base import Embedder
from graph_schema import (
    Event,
    Summary,
    TimeSpan,
    fmt_span,
    summary_id,
)

MODEL = "avas/extractive-summary"
MAX_TEXTS = 8
MAX_SENTENCES = 6


def gather(
    store: EventGraphStore,
    events: list[Event],
    span: TimeSpan,
    *,
    level: Literal["segment", "video"] = "segment",
    parts: list[str] | None = None,
) -> SummaryMaterial:
    texts: list[str] = []
    speech: list[str] = []
    for event in events:
        details = store.event_details(event.id)
        texts += [t.text for t in details.texts]
        speech += [s.text for s in details.speech]
    return SummaryMaterial(
        video_id=events[0].video_id if events else "",
        level=level,
        span=span,
        events=len(events),
        shown=distinct_items(texts, MATERIAL_ITEMS),
        said=distinct_items(speech, MATERIAL_ITEMS),
        parts=parts or [],
    )


class ExtractiveSummariser:
    """The offline default: lists what was shown and said, inventing nothing."""

    model_id = MODEL

    def summarise(self, material: SummaryMaterial) -> str:
        return render_extractive(material)


def make_summariser(settings: SummarySettings) -> Summariser:
    if settings.summariser == "extractive":
        return ExtractiveSummariser()
    if not settings.llm.url:
        raise DependencyError(
            "AVAS_SUMMARY__SUMMARISER=openai needs AVAS_SUMMARY__URL "
            "(an OpenAI-compatible server, e.g. http://localhost:8001/v1)"
        )
    from avas.knowledge.summaries_openai import OpenAIChatSummariser

    return OpenAIChatSummariser.from_settings(settings)


def extractive_summary(store: EventGraphStore, events: list[Event], span: TimeSpan) -> str:
    return render_extractive(gather(store, events, span))


def render_extractive(material: SummaryMaterial) -> str:
    span = material.span
    parts = [f"{fmt_span(span)}: {material.events} events."]
    shown = distinct_items(material.shown, MAX_TEXTS)
    said = distinct_items(material.said, MAX_SENTENCES)
    if shown:
        parts.append("On screen: " + "; ".join(f"“{t}”" for t in shown) + ".")
    if said:
        parts.append("Said: " + " ".join(f"“{s}”" for s in said))
    if not shown and not said:
        parts.append("Nothing was read or heard.")
    return " ".join(parts)


class SummaryBuilder:
    def __init__(
        self,
        store: EventGraphStore,
        embedder: Embedder,
        *,
        video_id: str,
        segment_ms: int,
        summariser: Summariser | None = None,
    ) -> None:
        self.summariser: Summariser = summariser or ExtractiveSummariser()
        self.store = store
        self.embedder = embedder
        self.video_id = video_id
        self.segment_ms = segment_ms
        self._open_segment: int | None = None

    def _segment_span(self, index: int, end_ms: int | None = None) -> TimeSpan:
        start = index * self.segment_ms
        return TimeSpan(start_ms=start, end_ms=end_ms or start + self.segment_ms)

    def _write(self, span: TimeSpan, level: str, parts: list[str], text: str) -> None:
        summary = Summary(
            id=summary_id(self.video_id, level, span),
            video_id=self.video_id,
            level="video" if level == "video" else "segment",
            span=span,
            text=text,
            model=self.summariser.model_id,
        )
        vector = self.embedder.embed([text])[0].tolist()
        self.store.upsert_summary(summary, parts=parts, vector=vector, model=self.embedder.model_id)

    def _summarise_segment(self, index: int, end_ms: int | None = None) -> None:
        span = self._segment_span(index, end_ms)
        # Events belong to the segment their start falls in.
        events = [
            e
            for e in self.store.events_in_span(self.video_id, span)
            if span.start_ms <= e.span.start_ms < span.end_ms
        ]
        if events:
            material = gather(self.store, events, span, level="segment")
            text = self.summariser.summarise(material)
            self._write(span, "segment", [e.id for e in events], text)

    def summarise_segment(self, index: int) -> None:
        """(Re)write segment ``index``'s summary over its whole span from the events stored now:
        retention rolls a segment up this way before deleting its events."""
        self._summarise_segment(index)

    def note(self, event: Event) -> None:
        index = event.span.start_ms // self.segment_ms
        if self._open_segment is not None and index > self._open_segment:
            for closed in range(self._open_segment, index):
                self._summarise_segment(closed)
        self._open_segment = index

    def finish(self) -> None:
        events = self.store.events(self.video_id)
        if not events:
            return
        end_ms = events[-1].span.end_ms
        last = events[-1].span.start_ms // self.segment_ms
        self._summarise_segment(last, end_ms=max(end_ms, last * self.segment_ms + 1))
        span = TimeSpan(start_ms=0, end_ms=end_ms)
        segments = self.store.summaries(self.video_id, level="segment")
        material = gather(self.store, events, span, level="video", parts=[s.text for s in segments])
        self._write(span, "video", [s.id for s in segments], self.summariser.summarise(material))

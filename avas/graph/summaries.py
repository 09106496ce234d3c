"""Segment and video summaries, kept up to date as events arrive (extractive offline).

    builder = SummaryBuilder(store, embedder, video_id="talk", segment_ms=600_000)
    builder.note(event)   # after each commit; closes a segment once an event passes its end
    builder.finish()      # the last segment and the whole-video summary

Offline, a summary lists what was shown and said, in order, without inventing anything: global
questions ("what is this video about", "summarise the second hour") get a target in the graph.
"""

from __future__ import annotations

from avas.graph.base import EventGraphStore
from avas.perception.base import Embedder
from graph_schema import (
    Event,
    Summary,
    TimeSpan,
    fmt_span,
    normalize_name,
    summary_id,
)

MODEL = "avas/extractive-summary"
MAX_TEXTS = 8
MAX_SENTENCES = 6


def _distinct(items: list[str], limit: int) -> list[str]:
    """Distinct items, spread evenly over the list when there are more than ``limit``."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = normalize_name(item)
        if key and key not in seen:
            seen.add(key)
            kept.append(item if len(item) <= 160 else item[:157] + "…")
    if len(kept) > limit:
        kept = [kept[round(i * (len(kept) - 1) / (limit - 1))] for i in range(limit)]
    return kept


def extractive_summary(store: EventGraphStore, events: list[Event], span: TimeSpan) -> str:
    texts: list[str] = []
    speech: list[str] = []
    for event in events:
        details = store.event_details(event.id)
        texts += [t.text for t in details.texts]
        speech += [s.text for s in details.speech]
    parts = [f"{fmt_span(span)}: {len(events)} events."]
    shown = _distinct(texts, MAX_TEXTS)
    said = _distinct(speech, MAX_SENTENCES)
    if shown:
        parts.append("On screen: " + "; ".join(f"“{t}”" for t in shown) + ".")
    if said:
        parts.append("Said: " + " ".join(f"“{s}”" for s in said))
    if not shown and not said:
        parts.append("Nothing was read or heard.")
    return " ".join(parts)


class SummaryBuilder:
    def __init__(
        self, store: EventGraphStore, embedder: Embedder, *, video_id: str, segment_ms: int
    ) -> None:
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
            model=MODEL,
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
            text = extractive_summary(self.store, events, span)
            self._write(span, "segment", [e.id for e in events], text)

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
        text = extractive_summary(self.store, events, span)
        self._write(span, "video", [s.id for s in segments], text)

"""Retention: keep detailed events for a window, roll older ones into segment summaries.

    report = prune_video(store, embedder, "cam1", keep_ms=6 * 3_600_000, segment_ms=600_000)
    report.events_deleted, report.segments_summarised

A stream's timeline is cut at a segment boundary at least ``keep_ms`` behind its newest event
(and never within the newest two segments):
every segment before the cut has (or is given) its whole-segment summary, then its events go with
their speech, text, vectors and orphaned entities. Summaries stay, so "what happened in the
second hour" still has an answer after the details are gone; the store then grows by one short
summary per segment instead of by every event.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from avas.errors import InputError, NotFoundError
from avas.graph.base import EventGraphStore
from avas.knowledge.summaries import Summariser, SummaryBuilder
from avas.perception.base import Embedder
from graph_schema import TimeSpan, summary_id


class RetentionReport(BaseModel):
    video_id: str
    before_ms: int = Field(description="events ending by this media time were deleted")
    events_deleted: int = 0
    segments_summarised: int = Field(0, description="segment summaries written by this run")
    summaries_deleted: int = Field(
        0, description="superseded summaries: partial segments and older whole-video ones"
    )


_UNITS_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")


def parse_duration_ms(text: str) -> int:
    """``"6h"``, ``"90m"``, ``"1h30m"``, ``"45s"``, ``"2d"`` -> milliseconds."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InputError(f"bad duration {text!r}: use e.g. 6h, 90m, 1h30m, 45s or 2d")
    return round(sum(float(n) * _UNITS_MS[u] for n, u in parts))


def cutoff_ms(newest_end_ms: int, *, keep_ms: int, segment_ms: int) -> int:
    """The segment boundary at or before ``newest_end_ms - keep_ms`` (never negative)."""
    return max(0, (newest_end_ms - keep_ms) // segment_ms * segment_ms)


def prune_video(
    store: EventGraphStore,
    embedder: Embedder,
    video_id: str,
    *,
    keep_ms: int,
    segment_ms: int,
    summariser: Summariser | None = None,
) -> RetentionReport:
    """Roll a video's segments older than ``keep_ms`` (behind its newest event) into summaries
    and delete their events. Safe beside a running ingest of the same video: the ingest only
    writes at the live edge, and the cut never reaches its open segment. ``summariser``: the one
    the ingest uses (default: extractive)."""
    if keep_ms < 0 or segment_ms <= 0:
        raise ValueError("keep_ms must be >= 0 and segment_ms > 0")
    if store.get_video(video_id) is None:
        raise NotFoundError(f"no video {video_id!r} in the store")
    events = store.events(video_id)
    if not events:
        return RetentionReport(video_id=video_id, before_ms=0)
    newest = events[-1]
    before_ms = cutoff_ms(newest.span.end_ms, keep_ms=keep_ms, segment_ms=segment_ms)
    # A running ingest closes (summarises) the segment before the newest event's right after
    # that event's commit: stay one more segment behind, so that write never races this one.
    before_ms = min(before_ms, max(0, (newest.span.start_ms // segment_ms - 1) * segment_ms))
    report = RetentionReport(video_id=video_id, before_ms=before_ms)
    old = [e for e in events if e.span.end_ms <= before_ms]
    if not old:
        return report

    segments = store.summaries(video_id, level="segment")
    have = {s.id for s in segments}
    builder = SummaryBuilder(
        store, embedder, video_id=video_id, segment_ms=segment_ms, summariser=summariser
    )
    superseded: list[str] = []
    for index in sorted({e.span.start_ms // segment_ms for e in old}):
        span = TimeSpan(start_ms=index * segment_ms, end_ms=(index + 1) * segment_ms)
        whole = summary_id(video_id, "segment", span)
        # A whole-segment summary is written once its segment closed with every event in it
        # (by the ingest, or by an earlier prune): rewriting it now would see fewer events.
        if whole not in have:
            builder.summarise_segment(index)
            report.segments_summarised += 1
        # An ingest that stopped mid-segment summarised the part it had seen; the whole one
        # supersedes those.
        superseded += [s.id for s in segments if s.span.start_ms == span.start_ms and s.id != whole]
    # Each ingest run that ended wrote a whole-video summary up to its end: keep the newest.
    videos = store.summaries(video_id, level="video")
    superseded += [s.id for s in sorted(videos, key=lambda s: s.span.end_ms)[:-1]]
    if superseded:
        report.summaries_deleted = store.delete_summaries(video_id, superseded)
    report.events_deleted = store.delete_events_before(video_id, before_ms)
    return report

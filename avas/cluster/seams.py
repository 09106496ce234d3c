"""Stitch the event records of consecutive chunks into one timeline.

    records = stitch_records([chunk0_records, chunk1_records, ...])
    tiling_problems([r.event for r in records], duration_ms=...)   # [] when they tile the video

Chunks perceived on planned windows (``plan``) meet exactly at their seams; chunks read with an
overlap repeat events there. Either way the result has each event once (the earlier chunk's copy
up to the first event start both share, the later chunk's from there on), and every event's NEXT
edge comes from the event before it, across seams too, as one pass would link them.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from graph_schema import Edge, EdgeType, Event, EventRecord, fmt_ms


def stitch_records(parts: Sequence[Sequence[EventRecord]]) -> list[EventRecord]:
    """The records of consecutive chunks (each in time order) as one list without repeats."""
    out: list[EventRecord] = []
    for part in parts:
        records = sorted(part, key=lambda r: r.event.span.start_ms)
        if not out:
            out = list(records)
            continue
        starts = {r.event.span.start_ms for r in out}
        shared = next((i for i, r in enumerate(records) if r.event.span.start_ms in starts), None)
        if shared is not None:  # the later chunk is the true one from a shared start on
            cut = records[shared].event.span.start_ms
            out = [r for r in out if r.event.span.start_ms < cut] + list(records[shared:])
        else:  # no overlap: keep the later chunk's events that begin after the earlier's end
            end = out[-1].event.span.end_ms
            out += [r for r in records if r.event.span.start_ms >= end]
    return link_in_order(out)


def link_in_order(records: Sequence[EventRecord]) -> list[EventRecord]:
    """Each record's NEXT edge from its predecessor in the list (none for the first)."""
    linked: list[EventRecord] = []
    previous: Event | None = None
    for record in records:
        linked.append(with_previous(record, previous))
        previous = record.event
    return linked


def with_previous(record: EventRecord, previous: Event | None) -> EventRecord:
    """``record`` whose one NEXT edge comes from ``previous`` (as ``IngestPipeline`` links)."""
    eid = record.event.id
    edges = [e for e in record.edges if not (e.type == EdgeType.NEXT and e.dst == eid)]
    if previous is not None:
        gap = max(0, record.event.span.start_ms - previous.span.end_ms)
        edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": gap}))
    if edges == record.edges:
        return record
    return record.model_copy(update={"edges": edges})


def tiling_problems(
    events: Sequence[Event], *, duration_ms: int | None = None, tolerance_ms: int = 1000
) -> list[str]:
    """Gaps and overlaps over ``tolerance_ms`` between consecutive events, and an uncovered
    start or end of the video: what a chunked ingest must not leave at its seams."""
    problems: list[str] = []
    ordered = sorted(events, key=lambda e: e.span.start_ms)
    if ordered and ordered[0].span.start_ms > tolerance_ms:
        problems.append(f"nothing before {fmt_ms(ordered[0].span.start_ms)}")
    for a, b in pairwise(ordered):
        step = b.span.start_ms - a.span.end_ms
        if step > tolerance_ms:
            problems.append(f"gap {fmt_ms(a.span.end_ms)}–{fmt_ms(b.span.start_ms)}")
        elif -step > tolerance_ms:
            problems.append(f"{a.id} overlaps {b.id} by {-step} ms")
    if ordered and duration_ms is not None and duration_ms - ordered[-1].span.end_ms > tolerance_ms:
        problems.append(f"nothing after {fmt_ms(ordered[-1].span.end_ms)}")
    return problems

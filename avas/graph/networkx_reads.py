"""The embedded store's reads: videos, events on their timelines, summaries, statistics."""

from __future__ import annotations

import bisect
from collections import Counter

from avas.errors import NotFoundError
from avas.graph.base import EventDetails, details_of
from avas.graph.networkx_sync import SyncedStore
from graph_schema import MERGED_INTO, Event, GraphStats, NodeKind, Summary, TimeSpan, Video


class StoreReads(SyncedStore):
    def videos(self) -> list[Video]:
        with self._reading():
            found = [
                self._video(n)
                for n, d in self._graph.nodes(data=True)
                if d["kind"] is NodeKind.VIDEO
            ]
        return sorted(found, key=lambda v: v.ingested_at)

    def _video(self, node_id: str) -> Video:
        model = self._model(node_id)
        assert isinstance(model, Video)
        return model

    def has_event(self, event_id: str) -> bool:
        with self._reading():
            return event_id in self._graph and isinstance(self._model(event_id), Event)

    def events(self, video_id: str) -> list[Event]:
        with self._reading():
            return [self._event(eid) for _, eid in self._timeline.get(video_id, [])]

    def events_in_span(self, video_id: str, span: TimeSpan) -> list[Event]:
        with self._reading():
            line = self._timeline.get(video_id, [])
            # Events are contiguous and non-overlapping: start one before the span's start.
            lo = max(0, bisect.bisect_right(line, (span.start_ms, "\uffff")) - 1)
            hi = bisect.bisect_right(line, (span.end_ms, "\uffff"))
            found = [self._event(eid) for _, eid in line[lo:hi]]
        if span.duration_ms == 0:  # an instant: the event showing that moment
            return [e for e in found if e.span.start_ms <= span.start_ms < e.span.end_ms]
        return [e for e in found if e.span.overlaps(span)]

    def neighbors(self, event_id: str, *, before: int = 0, after: int = 1) -> list[Event]:
        with self._reading():
            event = self._event(event_id)
            line = self._timeline.get(event.video_id, [])
            pos = bisect.bisect_left(line, (event.span.start_ms, event_id))
            chosen = line[max(0, pos - before) : pos] + line[pos + 1 : pos + 1 + after]
            return [self._event(eid) for _, eid in chosen]

    def event_details(self, event_id: str) -> EventDetails:
        with self._reading():
            event = self._event(event_id)
            children = [self._model(dst) for _, dst in self._graph.out_edges(event_id)]
        return details_of(event, children)

    def event_of(self, node_id: str) -> Event:
        with self._reading():
            model = self._model(node_id)
            if isinstance(model, Event):
                return model
            for src, _ in self._graph.in_edges(node_id):
                parent = self._model(src)
                if isinstance(parent, Event):
                    return parent
        raise NotFoundError(f"{node_id!r} belongs to no event")

    def summaries(self, video_id: str, *, level: str | None = None) -> list[Summary]:
        with self._reading():
            found = [
                model
                for n, d in self._graph.nodes(data=True)
                if d["kind"] is NodeKind.SUMMARY and d["video_id"] == video_id
                for model in [self._model(n)]
                if isinstance(model, Summary) and (level is None or model.level == level)
            ]
        return sorted(found, key=lambda s: (s.level != "video", s.span.start_ms))

    def stats(self) -> GraphStats:
        with self._reading():
            nodes = Counter(str(d["kind"].value) for _, d in self._graph.nodes(data=True))
            edges = Counter(str(key) for _, _, key in self._graph.edges(keys=True))
            if self._merges:  # merges are a table of their own, counted as the edges they are
                edges[MERGED_INTO] = len(self._merges)
            observers: Counter[str] = Counter()
            for n, d in self._graph.nodes(data=True):
                if d["kind"] is NodeKind.EVENT:
                    event = self._model(n)
                    assert isinstance(event, Event)
                    observers.update(event.observers)
        return GraphStats(
            videos=nodes.get(NodeKind.VIDEO.value, 0),
            nodes=dict(sorted(nodes.items())),
            edges=dict(sorted(edges.items())),
            observers=dict(sorted(observers.items())),
        )

    def consistency_problems(self) -> list[str]:
        """Cross-checks of the durable record; empty when the store is sound."""
        problems = []
        with self._lock:
            (integrity,) = self._db.execute("PRAGMA integrity_check").fetchone()
            if integrity != "ok":
                problems.append(f"sqlite integrity: {integrity}")
            for src, dst in self._db.execute(
                "SELECT src, dst FROM edges WHERE src NOT IN (SELECT id FROM nodes) "
                "OR dst NOT IN (SELECT id FROM nodes)"
            ):
                problems.append(f"dangling edge {src} -> {dst}")
            for (node_id,) in self._db.execute(
                "SELECT id FROM vectors WHERE id NOT IN (SELECT id FROM nodes)"
            ):
                problems.append(f"vector without node {node_id}")
            for (alias,) in self._db.execute(
                "SELECT alias_id FROM merges WHERE alias_id NOT IN (SELECT id FROM nodes) "
                "OR canonical_id NOT IN (SELECT id FROM nodes)"
            ):
                problems.append(f"merge of a missing entity {alias}")
            for (event_id_,) in self._db.execute(
                "SELECT DISTINCT event_id FROM frame_vectors "
                "WHERE event_id NOT IN (SELECT id FROM nodes)"
            ):
                problems.append(f"frame vectors without event {event_id_}")
        return problems

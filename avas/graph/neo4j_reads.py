"""The Neo4j store's reads: videos, events on their timelines, summaries, statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from avas.errors import NotFoundError
from avas.graph.base import EventDetails, details_of
from avas.graph.neo4j_rows import parse_event, parse_node
from graph_schema import Event, GraphStats, NodeKind, Summary, TimeSpan, Video

if TYPE_CHECKING:
    from neo4j import ManagedTransaction
from avas.graph.neo4j_core import Neo4jCore


class Neo4jReads(Neo4jCore):
    def videos(self) -> list[Video]:
        found = [Video.model_validate_json(r["data"]) for r in self._read("videos")]
        return sorted(found, key=lambda v: v.ingested_at)

    def has_event(self, event_id: str) -> bool:
        rows = self._read("has_event", id=event_id)
        return bool(rows and rows[0]["found"])

    def _event(self, event_id: str) -> Event:
        rows = self._read("get_event", id=event_id)
        if not rows:
            raise NotFoundError(f"no event {event_id!r} in the store")
        return parse_event(rows[0]["data"])

    def events(self, video_id: str) -> list[Event]:
        return [parse_event(r["data"]) for r in self._read("events", video_id=video_id)]

    def events_in_span(self, video_id: str, span: TimeSpan) -> list[Event]:
        # An instant is the one millisecond at its start (half-open spans, as the embedded store).
        upper_ms = span.end_ms if span.duration_ms > 0 else span.start_ms + 1
        rows = self._read(
            "events_in_span", video_id=video_id, start_ms=span.start_ms, upper_ms=upper_ms
        )
        return [parse_event(r["data"]) for r in rows]

    def neighbors(self, event_id: str, *, before: int = 0, after: int = 1) -> list[Event]:
        q = self._queries

        def work(tx: ManagedTransaction) -> list[Event] | None:
            if tx.run(q["get_event"], {"id": event_id}).single() is None:
                return None
            earlier = tx.run(q["events_before"], {"id": event_id, "limit": max(0, before)})
            earlier_events = [parse_event(r["data"]) for r in earlier]
            later = tx.run(q["events_after"], {"id": event_id, "limit": max(0, after)})
            return earlier_events[::-1] + [parse_event(r["data"]) for r in later]

        found = self._run(work)
        if found is None:
            raise NotFoundError(f"no event {event_id!r} in the store")
        return found

    def event_details(self, event_id: str) -> EventDetails:
        event = self._event(event_id)
        rows = self._read("event_children", id=event_id)
        return details_of(event, [parse_node(row["kind"], row["data"]) for row in rows])

    def event_of(self, node_id: str) -> Event:
        rows = self._read("event_of", node_id=node_id)
        if not rows:
            raise NotFoundError(f"{node_id!r} belongs to no event in the store")
        events = sorted(
            ((r["rank"], parse_event(r["data"])) for r in rows),
            key=lambda item: (item[0], item[1].video_id, item[1].span.start_ms),
        )
        return events[0][1]

    def summaries(self, video_id: str, *, level: str | None = None) -> list[Summary]:
        rows = self._read("summaries", video_id=video_id, level=level)
        return [Summary.model_validate_json(r["data"]) for r in rows]

    def stats(self) -> GraphStats:
        (counts,) = self._read("stats_nodes")
        nodes = {kind: int(n) for kind, n in counts.items() if n}
        edges = {r["type"]: int(r["n"]) for r in self._read("stats_edges") if r["n"]}
        observers = {r["observer"]: int(r["n"]) for r in self._read("stats_observers")}
        return GraphStats(
            videos=nodes.get(NodeKind.VIDEO.value, 0),
            nodes=dict(sorted(nodes.items())),
            edges=dict(sorted(edges.items())),
            observers=dict(sorted(observers.items())),
        )

"""The Neo4j store's writes: videos, event records, summaries, and deletions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from avas.errors import NotFoundError
from avas.graph.neo4j_rows import EDGE_PARAMS, check_edges, node_props
from graph_schema import EventRecord, NodeKind, Summary, Video

if TYPE_CHECKING:
    from neo4j import ManagedTransaction
from avas.graph.neo4j_core import Neo4jCore
from avas.graph.neo4j_entities import write_merge


def commit_params(record: EventRecord) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """commit_event.cypher's parameters for one record, and its edge rows by parameter name
    (the caller checks each against the edges the query reports merged)."""
    event = record.event

    def rows(kind: NodeKind, models: Sequence[BaseModel]) -> list[dict[str, Any]]:
        return [
            {
                "id": getattr(m, "id"),  # noqa: B009
                "props": node_props(kind, m),
                "embedding": record.vectors.get(getattr(m, "id")),  # noqa: B009
            }
            for m in models
        ]

    edge_rows: dict[str, list[dict[str, Any]]] = {name: [] for name in EDGE_PARAMS.values()}
    for edge in record.edges:
        edge_rows[EDGE_PARAMS[edge.type]].append(
            {"src": edge.src, "dst": edge.dst, "props": dict(edge.props)}
        )
    keep_ids = [event.id] + [s.id for s in record.speech] + [t.id for t in record.texts]
    keep_ids += [e.id for e in record.entities]
    params: dict[str, Any] = {
        "video_id": event.video_id,
        "event_id": event.id,
        "keep_ids": keep_ids,
        "keyframes": [
            {
                "id": f"{event.id}/kf/{ts_ms}",
                "event_id": event.id,
                "video_id": event.video_id,
                "ts_ms": ts_ms,
                "model": record.frame_model,
                "embedding": [float(x) for x in vec],
            }
            for ts_ms, vec in sorted(record.frame_vectors.items())
        ],
        "events": rows(NodeKind.EVENT, [event]),
        "speech": rows(NodeKind.SPEECH, record.speech),
        "texts": rows(NodeKind.TEXT, record.texts),
        "entities": rows(NodeKind.ENTITY, record.entities),
        **edge_rows,
    }
    return params, edge_rows


class Neo4jWrites(Neo4jCore):
    def upsert_video(self, video: Video) -> None:
        query = self._queries["upsert_video"]
        props = node_props(NodeKind.VIDEO, video)

        def work(tx: ManagedTransaction) -> None:
            tx.run(query, {"id": video.id, "props": props}).consume()

        self._run(work, write=True)

    def upsert_summary(
        self, summary: Summary, *, parts: Sequence[str], vector: Sequence[float], model: str
    ) -> None:
        if self.get_video(summary.video_id) is None:
            raise NotFoundError(f"unknown video {summary.video_id!r}: upsert the video first")
        query = self._queries["upsert_summary"]
        params = {
            "video_id": summary.video_id,
            "id": summary.id,
            "props": node_props(NodeKind.SUMMARY, summary) | {"embedding_model": model},
            "embedding": list(vector),
            "parts": list(parts),
        }
        self._run(lambda tx: tx.run(query, params).consume(), write=True)

    def commit_event(self, record: EventRecord) -> None:
        event = record.event
        q = self._queries
        params, edge_rows = commit_params(record)
        new_entities = {e.id for e in record.entities}

        def work(tx: ManagedTransaction) -> None:
            # One round trip writes the whole record; merges and orphans (rare) add one each.
            row = tx.run(q["commit_event"], params).single()
            if row is None or not row["video_found"]:
                raise NotFoundError(f"unknown video {event.video_id!r}: upsert the video first")
            for etype, name in EDGE_PARAMS.items():
                check_edges(etype, edge_rows[name], row["merged"][name])
            for merge in record.merges:
                write_merge(tx, self._queries, merge)
            # An entity this event no longer involves, and no other event does, goes too.
            if gone := sorted(set(row["old_entities"]) - new_entities):
                tx.run(q["delete_entities_if_orphaned"], {"ids": gone}).consume()

        self._run(work, write=True)

    def delete_video(self, video_id: str) -> None:
        if self.get_video(video_id) is None:
            raise NotFoundError(f"no video {video_id!r} in the store")
        # Relations, keyframes, then the nodes, each in batches; the video node goes last, so a
        # deletion cut short leaves it listed and deleting it again finishes the job.
        for name in ("delete_video_relations", "delete_video_keyframes", "delete_video_nodes"):
            self._delete_in_batches(name, video_id=video_id)
        self._delete_in_batches("delete_orphan_entities")
        query = self._queries["delete_video"]
        self._run(lambda tx: tx.run(query, {"video_id": video_id}).consume(), write=True)

    def delete_events_before(self, video_id: str, before_ms: int) -> int:
        if self.get_video(video_id) is None:
            raise NotFoundError(f"no video {video_id!r} in the store")
        deleted = self._delete_in_batches(
            "delete_events_before", video_id=video_id, before_ms=before_ms
        )
        self._delete_in_batches("delete_orphan_entities")
        return deleted

    def _delete_in_batches(self, name: str, **params: Any) -> int:
        """Run a bounded delete query (it takes $batch, returns ``deleted``) until a batch comes
        back short; each batch is its own transaction, so none grows with the data (Neo4j
        refuses a transaction over dbms.memory.transaction.total.max). Returns the total."""
        query = self._queries[name]
        batch = self.delete_batch

        def work(tx: ManagedTransaction) -> int:
            row = tx.run(query, {**params, "batch": batch}).single()
            return int(row["deleted"]) if row is not None else 0

        total = 0
        while True:
            deleted = self._run(work, write=True)
            total += deleted
            if deleted < batch:
                return total

    def delete_summaries(self, video_id: str, summary_ids: Sequence[str]) -> int:
        params = {"video_id": video_id, "ids": list(summary_ids)}

        def work(tx: ManagedTransaction) -> int:
            row = tx.run(self._queries["delete_summaries"], params).single()
            return int(row["deleted"]) if row is not None else 0

        return self._run(work, write=True)

"""The embedded store's writes: videos, event records, summaries, and deletions.

Each write is one SQLite transaction, then the same change mirrored in memory under the lock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from avas.errors import NotFoundError
from avas.graph.networkx_entities import write_merge
from avas.graph.networkx_rows import delete_orphans, index_text, node_row, unindex_text
from avas.graph.networkx_sync import SyncedStore
from graph_schema import EdgeType, EventRecord, NodeKind, Summary, Video


class StoreWrites(SyncedStore):
    def upsert_video(self, video: Video) -> None:
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                db.execute(
                    "INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                    node_row(NodeKind.VIDEO, video),
                )
            self._add_node(video.id, NodeKind.VIDEO, video)

    def commit_event(self, record: EventRecord) -> None:
        event = record.event
        if self.get_video(event.video_id) is None:
            raise NotFoundError(f"unknown video {event.video_id!r}: upsert the video first")
        nodes: list[tuple[NodeKind, BaseModel]] = [(NodeKind.EVENT, event)]
        nodes += [(NodeKind.SPEECH, s) for s in record.speech]
        nodes += [(NodeKind.TEXT, t) for t in record.texts]
        nodes += [(NodeKind.ENTITY, e) for e in record.entities]
        texts = {event.id: event.description}
        texts |= {s.id: s.text for s in record.speech}
        texts |= {t.id: t.text for t in record.texts}
        kinds = {getattr(m, "id"): k for k, m in nodes}  # noqa: B009
        for edge in record.edges:
            for end in (edge.src, edge.dst):
                if end not in kinds and end not in self._graph:
                    raise NotFoundError(
                        f"edge {edge.type.value} {edge.src} -> {edge.dst}: no node {end!r}"
                    )
        new_entities = {e.id for e in record.entities}
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                old_entities = {
                    row[0]
                    for row in db.execute(
                        "SELECT dst FROM edges WHERE src = ? AND type = ?",
                        (event.id, EdgeType.INVOLVES.value),
                    )
                }
                # Replacing an event replaces its children: drop what the last commit attached.
                old_children = [
                    row[0]
                    for row in db.execute(
                        "SELECT dst FROM edges WHERE src = ? AND type IN (?, ?)",
                        (event.id, EdgeType.HAS_SPEECH.value, EdgeType.SHOWS_TEXT.value),
                    )
                ]
                stale = [c for c in old_children if c not in kinds]
                for node_id in stale:
                    db.execute("DELETE FROM nodes WHERE id = ?", (node_id,))
                    db.execute("DELETE FROM vectors WHERE id = ?", (node_id,))
                    unindex_text(db, [node_id])
                    db.execute("DELETE FROM edges WHERE src = ? OR dst = ?", (node_id, node_id))
                db.execute("DELETE FROM edges WHERE src = ? AND type != ?", (event.id, "NEXT"))
                db.executemany(
                    "INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                    [node_row(k, m) for k, m in nodes],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)",
                    [
                        (e.src, e.dst, e.type.value, event.video_id, json.dumps(e.props))
                        for e in record.edges
                    ],
                )
                for node_id, body in texts.items():
                    index_text(db, node_id, event.video_id, kinds[node_id], body)
                # An entity this event no longer involves, and no other event does, goes too.
                orphans = delete_orphans(db, old_entities - new_entities)
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            node_id,
                            # An entity is shared across videos: its name vector belongs to none.
                            None if kinds[node_id] is NodeKind.ENTITY else event.video_id,
                            kinds[node_id].value,
                            record.embedding_model,
                            np.asarray(vec, dtype=np.float32).tobytes(),
                        )
                        for node_id, vec in record.vectors.items()
                    ],
                )
                # Re-committing an event replaces its keyframe vectors, like its other results.
                db.execute("DELETE FROM frame_vectors WHERE event_id = ?", (event.id,))
                db.executemany(
                    "INSERT INTO frame_vectors VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            event.id,
                            ts_ms,
                            event.video_id,
                            record.frame_model,
                            np.asarray(vec, dtype=np.float32).tobytes(),
                        )
                        for ts_ms, vec in sorted(record.frame_vectors.items())
                    ],
                )
                for merge in record.merges:
                    write_merge(db, merge)
            # The transaction is durable: mirror it in memory.
            self._remove_nodes(set(stale) | orphans)
            # (Guarded: networkx reads a node id it does not hold as an iterable of node ids, and a
            # one-letter video id is a node: out_edges("v/ev/...") would list the video's edges.)
            if event.id in self._graph:
                for _u, v, key in list(self._graph.out_edges(event.id, keys=True)):
                    if key != EdgeType.NEXT.value:
                        self._graph.remove_edge(event.id, v, key=key)
            for kind, model in nodes:
                self._add_node(getattr(model, "id"), kind, model)  # noqa: B009
            for e in record.edges:
                self._graph.add_edge(e.src, e.dst, key=e.type.value, **e.props)
            for node_id, vec in record.vectors.items():
                self._add_vector(
                    node_id, kinds[node_id], event.video_id, np.asarray(vec, dtype=np.float32)
                )
            if self._keywords is not None:
                for node_id, body in texts.items():
                    self._keywords.put(node_id, event.video_id, kinds[node_id], body)
            with self._lock:
                self._frames.put(
                    event.id,
                    event.video_id,
                    [
                        np.asarray(v, dtype=np.float32)
                        for _, v in sorted(record.frame_vectors.items())
                    ],
                )
                self._merges.update({m.alias_id: m for m in record.merges})

    def delete_video(self, video_id: str) -> None:
        if self.get_video(video_id) is None:
            raise NotFoundError(f"no video {video_id!r} in the store")
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                ids = {
                    row[0]
                    for row in db.execute("SELECT id FROM nodes WHERE video_id = ?", (video_id,))
                }
                db.execute("DELETE FROM nodes WHERE video_id = ?", (video_id,))
                db.execute("DELETE FROM edges WHERE video_id = ?", (video_id,))
                db.execute("DELETE FROM vectors WHERE video_id = ?", (video_id,))
                db.execute("DELETE FROM frame_vectors WHERE video_id = ?", (video_id,))
                unindex_text(db, ids)
                # Entities are shared across videos: drop only those no event involves any more.
                orphans = delete_orphans(db, None)
            self._remove_nodes(ids | orphans)
            # RELATES_TO edges of this video between entities that stay (other videos involve them)
            # lost their rows above: drop their mirrors too.
            stale_relations = [
                (u, v, key)
                for u, v, key, d in self._graph.edges(keys=True, data=True)
                if key == EdgeType.RELATES_TO.value and d.get("video_id") == video_id
            ]
            self._graph.remove_edges_from(stale_relations)
            self._timeline.pop(video_id, None)

    def delete_events_before(self, video_id: str, before_ms: int) -> int:
        if self.get_video(video_id) is None:
            raise NotFoundError(f"no video {video_id!r} in the store")
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                events = [
                    row[0]
                    for row in db.execute(
                        "SELECT id FROM nodes WHERE video_id = ? AND kind = ? AND start_ms < ? "
                        "AND end_ms <= ?",
                        (video_id, NodeKind.EVENT.value, before_ms, before_ms),
                    )
                ]
                doomed = set(events)
                involved: set[str] = set()
                for eid in events:
                    for dst, etype in db.execute(
                        "SELECT dst, type FROM edges WHERE src = ? AND type IN (?, ?, ?)",
                        (
                            eid,
                            EdgeType.HAS_SPEECH.value,
                            EdgeType.SHOWS_TEXT.value,
                            EdgeType.INVOLVES.value,
                        ),
                    ):
                        (involved if etype == EdgeType.INVOLVES.value else doomed).add(dst)
                # Relations between (shared) entities name the event that saw them.
                relations = [
                    (src, dst)
                    for src, dst, data in db.execute(
                        "SELECT src, dst, data FROM edges WHERE video_id = ? AND type = ?",
                        (video_id, EdgeType.RELATES_TO.value),
                    )
                    if json.loads(data).get("event_id") in doomed
                ]
                db.executemany(
                    "DELETE FROM edges WHERE src = ? AND dst = ? AND type = ?",
                    [(src, dst, EdgeType.RELATES_TO.value) for src, dst in relations],
                )
                rows = [(node_id,) for node_id in doomed]
                db.executemany("DELETE FROM nodes WHERE id = ?", rows)
                db.executemany("DELETE FROM vectors WHERE id = ?", rows)
                db.executemany("DELETE FROM frame_vectors WHERE event_id = ?", rows)
                db.executemany("DELETE FROM edges WHERE src = ?", rows)
                db.executemany("DELETE FROM edges WHERE dst = ?", rows)
                unindex_text(db, doomed)
                orphans = delete_orphans(db, involved)
            for src, dst in relations:
                if self._graph.has_edge(src, dst, key=EdgeType.RELATES_TO.value):
                    self._graph.remove_edge(src, dst, key=EdgeType.RELATES_TO.value)
            self._remove_nodes(doomed | orphans)
            self._reclaim_space()
            return len(events)

    def delete_summaries(self, video_id: str, summary_ids: Sequence[str]) -> int:
        with self._lock:
            found = {
                s
                for s in summary_ids
                if s in self._graph
                and self._graph.nodes[s]["kind"] is NodeKind.SUMMARY
                and self._graph.nodes[s]["video_id"] == video_id
            }
        if not found:
            return 0
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                rows = [(s,) for s in found]
                db.executemany("DELETE FROM nodes WHERE id = ?", rows)
                db.executemany("DELETE FROM vectors WHERE id = ?", rows)
                db.executemany(
                    "DELETE FROM edges WHERE src = ? OR dst = ?", [(s, s) for s in found]
                )
                unindex_text(db, found)
            self._remove_nodes(found)
            return len(found)

    def upsert_summary(
        self, summary: Summary, *, parts: Sequence[str], vector: Sequence[float], model: str
    ) -> None:
        if self.get_video(summary.video_id) is None:
            raise NotFoundError(f"unknown video {summary.video_id!r}: upsert the video first")
        missing = [p for p in parts if p not in self._graph]
        if missing:
            raise NotFoundError(f"summary {summary.id}: no node {missing[0]!r}")
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                db.execute(
                    "DELETE FROM edges WHERE dst = ? AND type = ?",
                    (summary.id, EdgeType.PART_OF.value),
                )
                db.execute(
                    "INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                    node_row(NodeKind.SUMMARY, summary),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)",
                    [
                        (p, summary.id, EdgeType.PART_OF.value, summary.video_id, "{}")
                        for p in parts
                    ],
                )
                index_text(db, summary.id, summary.video_id, NodeKind.SUMMARY, summary.text)
                db.execute(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)",
                    (
                        summary.id,
                        summary.video_id,
                        NodeKind.SUMMARY.value,
                        model,
                        np.asarray(vector, dtype=np.float32).tobytes(),
                    ),
                )
            if summary.id in self._graph:
                for u, _v, key in list(self._graph.in_edges(summary.id, keys=True)):
                    self._graph.remove_edge(u, summary.id, key=key)
            self._add_node(summary.id, NodeKind.SUMMARY, summary)
            if self._keywords is not None:
                self._keywords.put(summary.id, summary.video_id, NodeKind.SUMMARY, summary.text)
            for p in parts:
                self._graph.add_edge(p, summary.id, key=EdgeType.PART_OF.value)
            self._add_vector(
                summary.id, NodeKind.SUMMARY, summary.video_id, np.asarray(vector, dtype=np.float32)
            )

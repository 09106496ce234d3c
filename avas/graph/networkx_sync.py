"""The embedded store, kept current with other processes' commits (the `changes` log).

Every read enters through ``_reading()``, which mirrors what other connections committed since
the last look (rate-limited by SYNC_INTERVAL_MS).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import networkx as nx
import numpy as np

from avas.graph.frame_index import FrameIndex
from avas.graph.networkx_core import FULL_RELOAD_IDS, StoreCore
from avas.graph.networkx_rows import in_chunks
from avas.graph.vector_matrix import VectorMatrix
from graph_schema import EntityMerge, NodeKind, Video


class SyncedStore(StoreCore):
    @contextmanager
    def _reading(self) -> Iterator[None]:
        with self._lock:
            self._sync()
            yield

    def _sync(self) -> None:
        """Mirror what other connections committed since the last look (rate-limited)."""
        now = time.monotonic()
        if now - self._synced_at < self._sync_interval_s or self._db.in_transaction:
            return
        self._synced_at = now
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        if version == self._data_version:
            return
        self._data_version = version
        self._db.execute("BEGIN")
        try:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = 'changes_pruned_to'"
            ).fetchone()
            last = self._last_seq()
            if row is not None and int(row[0]) > self._seen_seq:
                self._reload_all()  # the log no longer reaches back to our position
            else:
                changed: dict[str, dict[str, None]] = {"n": {}, "e": {}, "m": {}}
                for key, tbl in self._db.execute(
                    "SELECT id, tbl FROM changes WHERE seq > ? AND seq <= ?",
                    (self._seen_seq, last),
                ):
                    changed[tbl][key] = None
                if sum(map(len, changed.values())) > FULL_RELOAD_IDS:
                    self._reload_all()
                else:
                    self._apply_changes(list(changed["n"]), list(changed["e"]), list(changed["m"]))
            self._seen_seq = last
        finally:
            self._db.execute("COMMIT")

    def _reload_all(self) -> None:
        self._graph = nx.MultiDiGraph()
        self._timeline = {}
        self._vectors = VectorMatrix()
        self._frames = FrameIndex()
        self._keywords = None
        self._merges = {}
        self._entity_vecs = {}
        self._load()

    def _apply_changes(self, ids: list[str], edge_keys: list[str], merge_ids: list[str]) -> None:
        """Reload the rows of these node ids (nodes, vectors, frames), edges and merges."""
        kinds = {k.value: k for k in NodeKind}
        rows: dict[str, tuple[NodeKind, str | None, int | None]] = {}
        vectors: dict[str, tuple[NodeKind, str | None, bytes]] = {}
        frames: dict[str, list[tuple[str | None, bytes]]] = {}
        for part in in_chunks(ids):
            marks = ", ".join("?" * len(part))
            for node_id, kind_value, video_id, start_ms in self._db.execute(
                f"SELECT id, kind, video_id, start_ms FROM nodes WHERE id IN ({marks})", part
            ):
                rows[node_id] = (kinds[kind_value], video_id, start_ms)
            for node_id, kind_value, video_id, blob in self._db.execute(
                f"SELECT id, kind, video_id, vec FROM vectors WHERE id IN ({marks})", part
            ):
                vectors[node_id] = (kinds[kind_value], video_id, blob)
            for event_id_, video_id, blob in self._db.execute(
                f"SELECT event_id, video_id, vec FROM frame_vectors WHERE event_id IN ({marks}) "
                "ORDER BY event_id, ts_ms",
                part,
            ):
                frames.setdefault(event_id_, []).append((video_id, blob))
        self._remove_nodes({i for i in ids if i not in rows and i in self._graph})
        for node_id, (kind, video_id, start_ms) in rows.items():
            if node_id in self._graph:  # changed: drop its timeline place and parsed model
                self._remove_from_timeline(node_id)
            self._add_node(node_id, kind, video_id=video_id, start_ms=start_ms)
        for edge_key in edge_keys:
            src, dst, etype = edge_key.split("\x1f")
            row = self._db.execute(
                "SELECT data FROM edges WHERE src = ? AND dst = ? AND type = ?", (src, dst, etype)
            ).fetchone()
            if self._graph.has_edge(src, dst, key=etype):
                self._graph.remove_edge(src, dst, key=etype)
            if row is not None and src in self._graph and dst in self._graph:
                props = json.loads(row[0]) if row[0] != "{}" else {}
                self._graph.add_edge(src, dst, key=etype, **props)
        self._vectors.remove([i for i in rows if i not in vectors])
        for node_id in [i for i in rows if i not in vectors and i in self._entity_vecs]:
            del self._entity_vecs[node_id]
        self._put_vectors(vectors)
        if self._keywords is not None:
            for part in in_chunks(list(rows)):
                self._keywords.remove(part)
                self._index_keywords(
                    "SELECT i.id, i.video_id, i.kind, i.body FROM text_rows t JOIN text_index i "
                    f"ON i.rowid = t.fts_rowid WHERE t.id IN ({', '.join('?' * len(part))})",
                    part,
                )
        for node_id, (kind, _, _) in rows.items():
            if kind is NodeKind.EVENT:
                found = frames.get(node_id, [])
                video = found[0][0] if found else None
                self._frames.put(node_id, video, [np.frombuffer(b, np.float32) for _, b in found])
        for part in in_chunks(merge_ids):
            marks = ", ".join("?" * len(part))
            present = {
                merge.alias_id: merge
                for (data,) in self._db.execute(
                    f"SELECT data FROM merges WHERE alias_id IN ({marks})", part
                )
                for merge in [EntityMerge.model_validate_json(data)]
            }
            for alias in part:
                if alias in present:
                    self._merges[alias] = present[alias]
                else:
                    self._merges.pop(alias, None)

    def _put_vectors(self, vectors: dict[str, tuple[NodeKind, str | None, bytes]]) -> None:
        for node_id, (kind, video_id, blob) in vectors.items():
            self._add_vector(node_id, kind, video_id, np.frombuffer(blob, np.float32))

    def get_video(self, video_id: str) -> Video | None:
        with self._reading():
            if video_id not in self._graph:
                return None
            model = self._model(video_id)
            return model if isinstance(model, Video) else None

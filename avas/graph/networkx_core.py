"""The embedded store's state: the SQLite connection, its transactions, and the in-memory
mirror of its rows (networkx graph, per-video timelines, vector rows, frames, merges).

The other networkx_* modules add the store's operations to this class (sync, writes, reads,
entities, search); NetworkxEventStore (networkx_store) puts them together.
"""

from __future__ import annotations

import bisect
import gc
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from avas.errors import NotFoundError, StoreError
from avas.graph.frame_index import FrameIndex
from avas.graph.keyword_index import KeywordIndex
from avas.graph.networkx_rows import check_version
from avas.graph.sqlite_schema import SCHEMA
from avas.graph.vector_matrix import VectorMatrix
from graph_schema import NODE_MODELS, EntityMerge, Event, NodeKind

# How often a read looks for other processes' commits (PRAGMA data_version: no table read).
SYNC_INTERVAL_MS = 500
# Past this many changed ids one full reload is cheaper than reloading them row by row.
FULL_RELOAD_IDS = 20_000
# The change log keeps this many rows: a reader further behind reloads everything, as it would
# past FULL_RELOAD_IDS anyway. More would only grow the file of a store that retention keeps
# bounded (a camera's rolling window).
CHANGES_KEPT = FULL_RELOAD_IDS


class StoreCore:
    def __init__(self, path: Path, *, sync_interval_ms: int = SYNC_INTERVAL_MS) -> None:
        self.path = path
        self._sync_interval_s = sync_interval_ms / 1000
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            # Only a new file takes this (before WAL and the first table): pruning can give
            # pages back to the file system (see _reclaim_space).
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(SCHEMA)
            check_version(self._db, path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the graph store at {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._timeline: dict[str, list[tuple[int, str]]] = {}  # video -> sorted (start_ms, event)
        self._vectors = VectorMatrix()  # the searchable (non-entity) vectors
        self._frames = FrameIndex()
        # Built from the text_index rows on the first keyword search, then kept up to date.
        self._keywords: KeywordIndex | None = None
        self._merges: dict[str, EntityMerge] = {}  # alias id -> its merge
        self._entity_vecs: dict[str, npt.NDArray[np.float32]] = {}  # entity id -> name vector
        self._synced_at = time.monotonic()
        with self._lock:
            self._db.execute("BEGIN")  # one snapshot: the rows and the log position agree
            try:
                self._seen_seq = self._last_seq()
                (self._data_version,) = self._db.execute("PRAGMA data_version").fetchone()
                self._load()
            finally:
                self._db.execute("COMMIT")
        self._writes = 0

    def _load(self) -> None:
        # The cyclic garbage collector rescans every live container each time enough new ones
        # pile up: building a million node, edge and vector entries it ran so often that it
        # took half the reload time at 100k events. Nothing built here is garbage, so it is
        # paused, and what was built is then frozen (moved out of the collector's generations)
        # so the next collection does not walk it all once more. Frozen objects are still freed
        # by reference counting when the store drops them.
        paused = gc.isenabled()
        gc.disable()
        try:
            self._load_rows()
        finally:
            gc.freeze()
            if paused:
                gc.enable()

    def _load_rows(self) -> None:
        # Node JSON is read and parsed on first use, not here: reopening a big store stays fast.
        # Rows go into networkx and the vector matrix in bulk, not one _add_node/_add_vector call
        # each: at 100k events that per-row bookkeeping was most of the reload time.
        kinds = {k.value: k for k in NodeKind}
        timeline: dict[str, list[tuple[int, str]]] = {}
        nodes: list[tuple[str, dict[str, Any]]] = []
        for node_id, kind_value, video_id, start_ms in self._db.execute(
            "SELECT id, kind, video_id, start_ms FROM nodes"
        ):
            kind = kinds[kind_value]
            attrs = {"kind": kind, "model": None, "video_id": video_id, "start_ms": start_ms}
            nodes.append((node_id, attrs))
            if kind is NodeKind.EVENT and video_id is not None and start_ms is not None:
                timeline.setdefault(video_id, []).append((start_ms, node_id))
        self._graph.add_nodes_from(nodes)
        self._timeline = {video: sorted(line) for video, line in timeline.items()}
        # (src, dst, key, attrs) tuples: MultiDiGraph takes them; the stubs know only 2 and 3.
        self._graph.add_edges_from(
            (src, dst, etype, json.loads(data) if data != "{}" else {})  # type: ignore[misc]
            for src, dst, etype, data in self._db.execute("SELECT src, dst, type, data FROM edges")
        )
        searchable: list[tuple[str, NodeKind, str | None, bytes]] = []
        for node_id, kind_value, video_id, blob in self._db.execute(
            "SELECT id, kind, video_id, vec FROM vectors"
        ):
            kind = kinds[kind_value]
            if kind is NodeKind.ENTITY:  # name vectors: only entity_candidates compares them
                self._entity_vecs[node_id] = np.frombuffer(blob, np.float32)
            else:
                searchable.append((node_id, kind, video_id, blob))
        self._vectors.load(searchable)
        for event_id_, video_id, blob in self._db.execute(
            "SELECT event_id, video_id, vec FROM frame_vectors ORDER BY event_id, ts_ms"
        ):
            self._frames.add(event_id_, video_id, np.frombuffer(blob, np.float32))
        for (data,) in self._db.execute("SELECT data FROM merges"):
            merge = EntityMerge.model_validate_json(data)
            self._merges[merge.alias_id] = merge

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _last_seq(self) -> int:
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # Callers hold the lock until their in-memory mirror is updated too (RLock: re-entrant),
        # so a reader thread never sees a commit half mirrored.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Nobody else wrote since our last sync: our own rows need no reload later.
                current = self._last_seq() == self._seen_seq
                yield self._db
                self._writes += 1
                if self._writes % 256 == 0:
                    self._prune_changes()
                if current:
                    self._seen_seq = self._last_seq()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _prune_changes(self) -> None:
        floor = self._last_seq() - CHANGES_KEPT
        if floor > 0:
            self._db.execute("DELETE FROM changes WHERE seq <= ?", (floor,))
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('changes_pruned_to', ?)",
                (str(floor),),
            )

    def _reclaim_space(self) -> None:
        """Give freed pages back to the file system, so a store pruned as it grows stays the size
        of what it keeps (stores made before auto_vacuum was set reuse freed pages instead)."""
        with self._lock:
            # (executescript steps the pragma to the end; execute() frees a single page)
            self._db.executescript("PRAGMA incremental_vacuum;")
            # The WAL keeps its high-water size otherwise; a busy reader only postpones this.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _remove_from_timeline(self, node_id: str) -> None:
        d = self._graph.nodes[node_id]
        if d["kind"] is NodeKind.EVENT:
            line = self._timeline.get(d["video_id"], [])
            item = (d["start_ms"], node_id)
            pos = bisect.bisect_left(line, item)
            if pos < len(line) and line[pos] == item:
                line.pop(pos)

    def _add_node(
        self,
        node_id: str,
        kind: NodeKind,
        model: BaseModel | None = None,
        *,
        video_id: str | None = None,
        start_ms: int | None = None,
    ) -> None:
        """Mirror a node: from its model (a write), or only its keys (a load: JSON read lazily)."""
        if model is not None:
            video_id = getattr(model, "video_id", None)
            span = getattr(model, "span", None)
            start_ms = span.start_ms if span is not None else None
        self._graph.add_node(node_id, kind=kind, model=model, video_id=video_id, start_ms=start_ms)
        if kind is NodeKind.EVENT and video_id is not None and start_ms is not None:
            line = self._timeline.setdefault(video_id, [])
            item = (start_ms, node_id)
            pos = bisect.bisect_left(line, item)
            if pos == len(line) or line[pos] != item:
                line.insert(pos, item)

    def _add_vector(
        self, node_id: str, kind: NodeKind, video_id: str | None, vec: npt.NDArray[np.float32]
    ) -> None:
        if kind is NodeKind.ENTITY:  # name vectors: only entity_candidates compares them
            self._entity_vecs[node_id] = vec
            return
        self._vectors.put(node_id, kind, video_id, vec)

    def _remove_nodes(self, node_ids: set[str]) -> None:
        for node_id in node_ids:
            if node_id in self._graph:
                self._remove_from_timeline(node_id)
            self._graph.remove_nodes_from([node_id])
        self._frames.remove(node_ids)
        if self._keywords is not None:
            self._keywords.remove(node_ids)
        for node_id in node_ids & self._entity_vecs.keys():
            del self._entity_vecs[node_id]
        if self._merges:  # (the SQL trigger entity_deleted does the same on disk)
            self._merges = {
                alias: m
                for alias, m in self._merges.items()
                if alias not in node_ids and m.canonical_id not in node_ids
            }
        self._vectors.remove(node_ids)

    def _model(self, node_id: str) -> BaseModel:
        if node_id not in self._graph:
            raise NotFoundError(f"no node {node_id!r} in the store")
        d = self._graph.nodes[node_id]
        if d["model"] is None:
            # Loaded from disk and not used since: read and parse it now.
            row = self._db.execute("SELECT data FROM nodes WHERE id = ?", (node_id,)).fetchone()
            if row is None:  # another process deleted it since our last sync
                raise NotFoundError(f"no node {node_id!r} in the store")
            d["model"] = NODE_MODELS[d["kind"]].model_validate_json(row[0])
        model: BaseModel = d["model"]
        return model

    def _event(self, event_id: str) -> Event:
        model = self._model(event_id)
        if not isinstance(model, Event):
            raise NotFoundError(f"{event_id!r} is not an event")
        return model

    def _index_keywords(self, sql: str, params: Sequence[str]) -> None:
        """Put the text_index rows that ``sql`` selects (id, video, kind, body) in the index."""
        assert self._keywords is not None
        for node_id, video_id, kind, body in self._db.execute(sql, params):
            self._keywords.put(node_id, video_id, NodeKind(kind), body)

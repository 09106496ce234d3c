"""The embedded store: SQLite (WAL) is the durable record, networkx the in-memory graph.

    store = NetworkxEventStore(Path("~/.local/share/avas/store.sqlite"))
    store.commit_event(record); store.events_in_span("talk", TimeSpan(start_ms=0, end_ms=60_000))

Why this split: SQLite gives crash-safe atomic commits (an event and all its results land
together or not at all) and an FTS5 keyword index; networkx gives cheap traversal; vectors live
in a contiguous numpy matrix for brute-force cosine search (exact, ~10 ms at 100k rows).
"""

from __future__ import annotations

import bisect
import gc
import json
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from avas.errors import InputError, NotFoundError, StoreError
from avas.graph.base import (
    SEARCHABLE,
    EntityHit,
    EventDetails,
    Relation,
    SearchHit,
    details_of,
    entity_query,
    entity_score,
    relation_order,
)
from avas.graph.frame_index import FrameIndex
from avas.graph.keyword_index import KeywordIndex
from avas.graph.sqlite_schema import SCHEMA, SCHEMA_VERSION
from avas.text import STOPWORDS
from graph_schema import (
    MERGED_INTO,
    EdgeType,
    Entity,
    EntityKind,
    EntityMerge,
    Event,
    EventRecord,
    GraphStats,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    Summary,
    TimeSpan,
    Video,
)

# How often a read looks for other processes' commits (PRAGMA data_version: no table read).
SYNC_INTERVAL_MS = 500
# Past this many changed ids one full reload is cheaper than reloading them row by row.
FULL_RELOAD_IDS = 20_000
# The change log keeps this many rows: a reader further behind reloads everything, as it would
# past FULL_RELOAD_IDS anyway. More would only grow the file of a store that retention keeps
# bounded (a camera's rolling window).
CHANGES_KEPT = FULL_RELOAD_IDS

_KIND_CODES = {kind: code for code, kind in enumerate(NodeKind)}

_MODELS: dict[NodeKind, type[BaseModel]] = {
    NodeKind.VIDEO: Video,
    NodeKind.EVENT: Event,
    NodeKind.SPEECH: SpeechSegment,
    NodeKind.TEXT: OnScreenText,
    NodeKind.ENTITY: Entity,
    NodeKind.SUMMARY: Summary,
}


def _search_terms(text: str) -> list[str]:
    """User text -> its content words (3+ characters, no stopwords), each matched as a substring
    (see keyword_index): words inside OCR text that lost its spaces, inflected forms."""
    words = [w for w in re.findall(r"[0-9a-z]+", text.lower()) if len(w) >= 3]
    return [w for w in dict.fromkeys(words) if w not in STOPWORDS]


def _delete_orphans(db: sqlite3.Connection, candidates: Iterable[str] | None) -> set[str]:
    """Delete the entities that no event involves any more, of ``candidates`` (None: of the
    whole store), with their edges (their merges and name vectors go by trigger); their ids.

    The one place an entity is deleted: entities are shared across events and videos, so a
    write that drops an INVOLVES edge asks here whether the entity is still anyone's."""
    if candidates is None:
        orphans = {
            row[0]
            for row in db.execute(
                "SELECT id FROM nodes WHERE kind = ? AND id NOT IN "
                "(SELECT dst FROM edges WHERE type = ?)",
                (NodeKind.ENTITY.value, EdgeType.INVOLVES.value),
            )
        }
    else:
        orphans = {
            ent
            for ent in candidates
            if db.execute(
                "SELECT 1 FROM edges WHERE dst = ? AND type = ? LIMIT 1",
                (ent, EdgeType.INVOLVES.value),
            ).fetchone()
            is None
        }
    db.executemany("DELETE FROM nodes WHERE id = ?", [(o,) for o in orphans])
    db.executemany("DELETE FROM edges WHERE src = ? OR dst = ?", [(o, o) for o in orphans])
    return orphans


def _unindex_text(db: sqlite3.Connection, node_ids: Iterable[str]) -> None:
    for node_id in node_ids:
        row = db.execute("SELECT fts_rowid FROM text_rows WHERE id = ?", (node_id,)).fetchone()
        if row is not None:
            db.execute("DELETE FROM text_index WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM text_rows WHERE id = ?", (node_id,))


def _chunks(ids: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


class NetworkxEventStore:
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
            self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the graph store at {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._timeline: dict[str, list[tuple[int, str]]] = {}  # video -> sorted (start_ms, event)
        self._vec_ids: list[str] = []
        self._vec_rows: list[npt.NDArray[np.float32]] = []
        self._vec_matrix: npt.NDArray[np.float32] | None = None
        # Per row of the matrix: kind code, video code, and the video codes (vector_search).
        self._vec_filters: (
            tuple[npt.NDArray[np.int8], npt.NDArray[np.int32], dict[str | None, int]] | None
        ) = None
        self._vec_meta: dict[str, tuple[NodeKind, str | None]] = {}
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

    # -- lifecycle -------------------------------------------------------------------------

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            return
        version = int(row[0])
        if version == 1:  # 1 -> 2: text_rows did not exist yet; fill it from the index
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO text_rows SELECT id, rowid FROM text_index")
            self._db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
            self._db.execute("COMMIT")
        elif version != SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema version {version}, this AVAS reads {SCHEMA_VERSION}"
            )

    @staticmethod
    def _index_text(
        db: sqlite3.Connection, node_id: str, video_id: str | None, kind: NodeKind, body: str
    ) -> None:
        """Replace a node's row in the keyword index (by rowid: no scan)."""
        _unindex_text(db, [node_id])
        cursor = db.execute(
            "INSERT INTO text_index VALUES (?, ?, ?, ?)", (node_id, video_id, kind.value, body)
        )
        db.execute("INSERT INTO text_rows VALUES (?, ?)", (node_id, cursor.lastrowid))

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
        blobs: list[bytes] = []
        others: list[tuple[str, NodeKind, str | None, bytes]] = []
        for node_id, kind_value, video_id, blob in self._db.execute(
            "SELECT id, kind, video_id, vec FROM vectors"
        ):
            kind = kinds[kind_value]
            if kind is NodeKind.ENTITY or (blobs and len(blob) != len(blobs[0])):
                others.append((node_id, kind, video_id, blob))
                continue
            self._vec_ids.append(node_id)
            self._vec_meta[node_id] = (kind, video_id)
            blobs.append(blob)
        if blobs:  # one matrix, read at once; the rows are views into it
            matrix = np.frombuffer(b"".join(blobs), np.float32).reshape(len(blobs), -1)
            self._vec_rows = list(matrix)
            self._vec_matrix = matrix
            self._vec_filters = None
        for node_id, kind, video_id, blob in others:  # entity names; vectors of another size
            self._add_vector(node_id, kind, video_id, np.frombuffer(blob, np.float32))
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

    # -- other processes' commits ----------------------------------------------------------

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
        self._vec_ids, self._vec_rows, self._vec_matrix, self._vec_meta = [], [], None, {}
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
        for part in _chunks(ids):
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
        stale = {i for i in rows if i not in vectors and i in self._vec_meta}
        if stale:
            keep = [i for i, nid in enumerate(self._vec_ids) if nid not in stale]
            self._vec_ids = [self._vec_ids[i] for i in keep]
            self._vec_rows = [self._vec_rows[i] for i in keep]
            for node_id in stale:
                del self._vec_meta[node_id]
            self._vec_matrix = None
        for node_id in [i for i in rows if i not in vectors and i in self._entity_vecs]:
            del self._entity_vecs[node_id]
        self._put_vectors(vectors)
        if self._keywords is not None:
            for part in _chunks(list(rows)):
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
        for part in _chunks(merge_ids):
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
        # One position map for the batch: list.index per replaced row is O(rows) each.
        where = (
            {nid: i for i, nid in enumerate(self._vec_ids)}
            if vectors.keys() & self._vec_meta.keys()
            else {}
        )
        for node_id, (kind, video_id, blob) in vectors.items():
            vec = np.frombuffer(blob, np.float32)
            if kind is NodeKind.ENTITY:
                self._entity_vecs[node_id] = vec
                continue
            if node_id in where:
                self._vec_rows[where[node_id]] = vec
            else:
                self._vec_ids.append(node_id)
                self._vec_rows.append(vec)
            self._vec_meta[node_id] = (kind, video_id)
            self._vec_matrix = None

    def _remove_from_timeline(self, node_id: str) -> None:
        d = self._graph.nodes[node_id]
        if d["kind"] is NodeKind.EVENT:
            line = self._timeline.get(d["video_id"], [])
            item = (d["start_ms"], node_id)
            pos = bisect.bisect_left(line, item)
            if pos < len(line) and line[pos] == item:
                line.pop(pos)

    # -- in-memory mirrors -----------------------------------------------------------------

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
        if node_id in self._vec_meta:
            self._vec_rows[self._vec_ids.index(node_id)] = vec
        else:
            self._vec_ids.append(node_id)
            self._vec_rows.append(vec)
        self._vec_meta[node_id] = (kind, video_id)
        self._vec_matrix = None

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
        if node_ids & self._vec_meta.keys():
            keep = [i for i, nid in enumerate(self._vec_ids) if nid not in node_ids]
            self._vec_ids = [self._vec_ids[i] for i in keep]
            self._vec_rows = [self._vec_rows[i] for i in keep]
            for node_id in node_ids:
                self._vec_meta.pop(node_id, None)
            self._vec_matrix = None

    def _model(self, node_id: str) -> BaseModel:
        if node_id not in self._graph:
            raise NotFoundError(f"no node {node_id!r} in the store")
        d = self._graph.nodes[node_id]
        if d["model"] is None:
            # Loaded from disk and not used since: read and parse it now.
            row = self._db.execute("SELECT data FROM nodes WHERE id = ?", (node_id,)).fetchone()
            if row is None:  # another process deleted it since our last sync
                raise NotFoundError(f"no node {node_id!r} in the store")
            d["model"] = _MODELS[d["kind"]].model_validate_json(row[0])
        model: BaseModel = d["model"]
        return model

    # -- writes ----------------------------------------------------------------------------

    @staticmethod
    def _node_row(kind: NodeKind, model: BaseModel) -> tuple[Any, ...]:
        span = getattr(model, "span", None)
        node_id: str = getattr(model, "id")  # noqa: B009 - every node model has an id
        # A video is filed under itself so deleting a video's rows takes its node too.
        video_id = node_id if isinstance(model, Video) else getattr(model, "video_id", None)
        return (
            node_id,
            kind.value,
            video_id,
            span.start_ms if span else None,
            span.end_ms if span else None,
            model.model_dump_json(),
        )

    def upsert_video(self, video: Video) -> None:
        with self._lock:  # the commit and its in-memory mirror, as one step
            with self._transaction() as db:
                db.execute(
                    "INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                    self._node_row(NodeKind.VIDEO, video),
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
                    _unindex_text(db, [node_id])
                    db.execute("DELETE FROM edges WHERE src = ? OR dst = ?", (node_id, node_id))
                db.execute("DELETE FROM edges WHERE src = ? AND type != ?", (event.id, "NEXT"))
                db.executemany(
                    "INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                    [self._node_row(k, m) for k, m in nodes],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)",
                    [
                        (e.src, e.dst, e.type.value, event.video_id, json.dumps(e.props))
                        for e in record.edges
                    ],
                )
                for node_id, body in texts.items():
                    self._index_text(db, node_id, event.video_id, kinds[node_id], body)
                # An entity this event no longer involves, and no other event does, goes too.
                orphans = _delete_orphans(db, old_entities - new_entities)
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
                    self._write_merge(db, merge)
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
                _unindex_text(db, ids)
                # Entities are shared across videos: drop only those no event involves any more.
                orphans = _delete_orphans(db, None)
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
                _unindex_text(db, doomed)
                orphans = _delete_orphans(db, involved)
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
                _unindex_text(db, found)
            self._remove_nodes(found)
            return len(found)

    def _reclaim_space(self) -> None:
        """Give freed pages back to the file system, so a store pruned as it grows stays the size
        of what it keeps (stores made before auto_vacuum was set reuse freed pages instead)."""
        with self._lock:
            # (executescript steps the pragma to the end; execute() frees a single page)
            self._db.executescript("PRAGMA incremental_vacuum;")
            # The WAL keeps its high-water size otherwise; a busy reader only postpones this.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reads -----------------------------------------------------------------------------

    def get_video(self, video_id: str) -> Video | None:
        with self._reading():
            if video_id not in self._graph:
                return None
            model = self._model(video_id)
            return model if isinstance(model, Video) else None

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

    def _event(self, event_id: str) -> Event:
        model = self._model(event_id)
        if not isinstance(model, Event):
            raise NotFoundError(f"{event_id!r} is not an event")
        return model

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

    def entity_events(self, entity_id: str) -> list[Event]:
        with self._reading():
            self._model(entity_id)
            members = [entity_id, *self.aliases_of(entity_id)]
            found = {
                src: self._event(src)
                for member in members
                for src, _, key in self._graph.in_edges(member, keys=True)
                if key == EdgeType.INVOLVES.value
            }.values()
        return sorted(found, key=lambda e: (e.video_id, e.span.start_ms))

    def find_entities(self, name: str, *, k: int = 10) -> list[Entity]:
        key, words = entity_query(name)
        with self._reading():
            entities = [
                self._model(n)
                for n, d in self._graph.nodes(data=True)
                if d["kind"] is NodeKind.ENTITY
            ]
        scored = [
            (score, e)
            for e in entities
            if isinstance(e, Entity) and (score := entity_score(e.name, key, words)) > 0
        ]
        scored.sort(key=lambda item: (-item[0], item[1].name, item[1].id))
        return [e for _, e in scored[: max(k, 0)]]

    def relations(self, entity_id: str) -> list[Relation]:
        with self._reading():
            if not isinstance(self._model(entity_id), Entity):
                raise NotFoundError(f"{entity_id!r} is not an entity")
            edges = [
                *self._graph.out_edges(entity_id, keys=True, data=True),
                *self._graph.in_edges(entity_id, keys=True, data=True),
            ]
            found = []
            for src, dst, key, data in dict.fromkeys(
                (s, d, k, json.dumps(p, sort_keys=True)) for s, d, k, p in edges
            ):
                if key != EdgeType.RELATES_TO.value:
                    continue
                props = json.loads(data)
                event_id = str(props.get("event_id", ""))
                event = self._model(event_id) if event_id in self._graph else None
                subject, obj = self._model(src), self._model(dst)
                assert isinstance(subject, Entity) and isinstance(obj, Entity)
                found.append(
                    Relation(
                        subject=subject,
                        predicate=str(props.get("predicate", "")),
                        object=obj,
                        event_id=event_id,
                        video_id=str(props.get("video_id", "")),
                        span=event.span if isinstance(event, Event) else None,
                    )
                )
        return sorted(found, key=relation_order)

    def aliases_of(self, entity_id: str) -> list[str]:
        with self._reading():
            return sorted(a for a, m in self._merges.items() if m.canonical_id == entity_id)

    def entity(self, entity_id: str) -> Entity | None:
        with self._reading():
            if entity_id not in self._graph:
                return None
            model = self._model(entity_id)
            return model if isinstance(model, Entity) else None

    def entity_candidates(
        self, kind: EntityKind, vector: npt.NDArray[np.float32], *, k: int
    ) -> list[EntityHit]:
        query = np.asarray(vector, dtype=np.float32).ravel()
        with self._reading():
            ids = [
                i
                for i, v in self._entity_vecs.items()
                if i not in self._merges and v.shape == query.shape
            ]
            if not ids or k <= 0:
                return []
            scores = np.vstack([self._entity_vecs[i] for i in ids]) @ query
            hits: list[EntityHit] = []
            for pos in np.argsort(-scores):
                entity = self.entity(ids[int(pos)])
                if entity is not None and entity.kind is kind:
                    hits.append(EntityHit(entity=entity, score=float(scores[int(pos)])))
                    if len(hits) >= k:
                        break
            return hits

    def _write_merge(self, db: sqlite3.Connection, merge: EntityMerge) -> None:
        """Check a merge against the durable record and write it (inside a transaction)."""
        alias, canonical = merge.alias_id, merge.canonical_id
        if alias == canonical:
            raise InputError(f"cannot merge entity {alias!r} into itself")
        for node_id in (alias, canonical):
            row = db.execute("SELECT kind FROM nodes WHERE id = ?", (node_id,)).fetchone()
            if row is None or row[0] != NodeKind.ENTITY.value:
                raise NotFoundError(f"merge {alias} -> {canonical}: no entity {node_id!r}")
        if db.execute("SELECT 1 FROM merges WHERE alias_id = ?", (canonical,)).fetchone():
            raise InputError(f"cannot merge into {canonical!r}: it is an alias itself")
        if db.execute("SELECT 1 FROM merges WHERE canonical_id = ?", (alias,)).fetchone():
            raise InputError(f"cannot merge {alias!r}: other entities are merged into it")
        db.execute(
            "INSERT OR REPLACE INTO merges VALUES (?, ?, ?, ?)",
            (alias, canonical, merge.video_id, merge.model_dump_json()),
        )

    def merge_entities(self, merge: EntityMerge) -> None:
        with self._transaction() as db:
            self._write_merge(db, merge)
        with self._lock:
            self._merges[merge.alias_id] = merge

    def unmerge_entity(self, alias_id: str) -> EntityMerge:
        with self._transaction() as db:
            merge = self._merges.get(alias_id)
            if merge is None:
                raise NotFoundError(f"entity {alias_id!r} is not merged into another")
            db.execute("DELETE FROM merges WHERE alias_id = ?", (alias_id,))
            del self._merges[alias_id]
        return merge

    def merges(self, video_id: str | None = None) -> list[EntityMerge]:
        with self._reading():
            found = [m for m in self._merges.values() if video_id in (None, m.video_id)]
        return sorted(found, key=lambda m: (m.merged_at, m.alias_id))

    def node_hit(self, node_id: str) -> SearchHit:
        with self._reading():
            return self._hit(node_id, 0.0)

    def _hit(self, node_id: str, score: float) -> SearchHit:
        model = self._model(node_id)
        kind: NodeKind = self._graph.nodes[node_id]["kind"]
        text = model.description if isinstance(model, Event) else getattr(model, "text", "")
        return SearchHit(
            id=node_id,
            kind=kind,
            video_id=getattr(model, "video_id"),  # noqa: B009
            span=getattr(model, "span"),  # noqa: B009
            text=text,
            score=score,
        )

    def vector_search(
        self,
        vector: npt.NDArray[np.float32],
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        with self._reading():
            if not self._vec_ids or k <= 0:
                return []
            if self._vec_matrix is None:
                self._vec_matrix = np.vstack(self._vec_rows)
                self._vec_filters = None
            if self._vec_filters is None:
                # Each row's kind and video as small ints: the filters become one mask.
                videos: dict[str | None, int] = {}
                metas = [self._vec_meta[node_id] for node_id in self._vec_ids]
                self._vec_filters = (
                    np.fromiter((_KIND_CODES[kind] for kind, _ in metas), np.int8, len(metas)),
                    np.fromiter(
                        (videos.setdefault(vid, len(videos)) for _, vid in metas),
                        np.int32,
                        len(metas),
                    ),
                    videos,
                )
            kind_codes, video_codes, videos = self._vec_filters
            scores = self._vec_matrix @ np.asarray(vector, dtype=np.float32)
            wanted = np.isin(kind_codes, [_KIND_CODES[NodeKind(kind)] for kind in kinds])
            if video_id is not None:
                wanted &= video_codes == videos.get(video_id, -1)
            found = np.flatnonzero(wanted)
            if len(found) > k:  # the k best without sorting every row
                found = found[np.argpartition(-scores[found], k - 1)[:k]]
            order = np.lexsort((found, -scores[found]))
            return [self._hit(self._vec_ids[int(i)], float(scores[int(i)])) for i in found[order]]

    def frame_search(
        self, vector: npt.NDArray[np.float32], *, k: int, video_id: str | None = None
    ) -> list[SearchHit]:
        with self._reading():
            found = self._frames.search(vector, k=k, video_id=video_id)
            return [self._hit(eid, score) for eid, score in found if eid in self._graph]

    def has_frames(self, video_id: str | None = None) -> bool:
        with self._reading():
            return self._frames.has_frames(video_id)

    def keyword_search(
        self,
        query: str,
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        terms = _search_terms(query)
        if not terms or k <= 0:
            return []
        with self._reading():
            if self._keywords is None:
                self._keywords = KeywordIndex()
                self._index_keywords("SELECT id, video_id, kind, body FROM text_index", ())
            found = self._keywords.search(terms, k=k, kinds=kinds, video_id=video_id)
            return [self._hit(node_id, score) for node_id, score in found if node_id in self._graph]

    def _index_keywords(self, sql: str, params: Sequence[str]) -> None:
        """Put the text_index rows that ``sql`` selects (id, video, kind, body) in the index."""
        assert self._keywords is not None
        for node_id, video_id, kind, body in self._db.execute(sql, params):
            self._keywords.put(node_id, video_id, NodeKind(kind), body)

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
                    self._node_row(NodeKind.SUMMARY, summary),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)",
                    [
                        (p, summary.id, EdgeType.PART_OF.value, summary.video_id, "{}")
                        for p in parts
                    ],
                )
                self._index_text(db, summary.id, summary.video_id, NodeKind.SUMMARY, summary.text)
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

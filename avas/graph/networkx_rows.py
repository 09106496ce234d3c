"""The embedded store's SQLite side: a file's schema version, and nodes as rows.

    db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)", node_row(kind, video))

Plain functions over a connection, called inside the store's transactions (networkx_core).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from avas.errors import StoreError
from avas.graph.sqlite_schema import SCHEMA_VERSION
from graph_schema import (
    EdgeType,
    NodeKind,
    Video,
)


def check_version(db: sqlite3.Connection, path: Path) -> None:
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        return
    version = int(row[0])
    if version == 1:  # 1 -> 2: text_rows did not exist yet; fill it from the index
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO text_rows SELECT id, rowid FROM text_index")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        db.execute("COMMIT")
    elif version != SCHEMA_VERSION:
        raise StoreError(
            f"store {path} has schema version {version}, this AVAS reads {SCHEMA_VERSION}"
        )


def node_row(kind: NodeKind, model: BaseModel) -> tuple[Any, ...]:
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


def delete_orphans(db: sqlite3.Connection, candidates: Iterable[str] | None) -> set[str]:
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


def index_text(
    db: sqlite3.Connection, node_id: str, video_id: str | None, kind: NodeKind, body: str
) -> None:
    """Replace a node's row in the keyword index (by rowid: no scan)."""
    unindex_text(db, [node_id])
    cursor = db.execute(
        "INSERT INTO text_index VALUES (?, ?, ?, ?)", (node_id, video_id, kind.value, body)
    )
    db.execute("INSERT INTO text_rows VALUES (?, ?)", (node_id, cursor.lastrowid))


def unindex_text(db: sqlite3.Connection, node_ids: Iterable[str]) -> None:
    for node_id in node_ids:
        row = db.execute("SELECT fts_rowid FROM text_rows WHERE id = ?", (node_id,)).fetchone()
        if row is not None:
            db.execute("DELETE FROM text_index WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM text_rows WHERE id = ?", (node_id,))


def in_chunks(ids: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``ids`` in slices small enough for one ``IN (?, ...)`` statement."""
    for i in range(0, len(ids), size):
        yield ids[i : i + size]

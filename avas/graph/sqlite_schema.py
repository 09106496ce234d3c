"""The embedded store's SQLite schema: the durable record that NetworkxEventStore mirrors.

    db.executescript(SCHEMA)  # idempotent: every statement is IF NOT EXISTS

Version 2 added text_rows; networkx_rows.check_version migrates a version-1 file.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    video_id TEXT,
    start_ms INTEGER,
    end_ms INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_by_video ON nodes (video_id, kind, start_ms);
CREATE TABLE IF NOT EXISTS edges (
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    type TEXT NOT NULL,
    video_id TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (src, dst, type)
);
CREATE INDEX IF NOT EXISTS edges_by_video ON edges (video_id);
CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (dst, type);
CREATE TABLE IF NOT EXISTS vectors (
    id TEXT PRIMARY KEY,
    video_id TEXT,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    vec BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS text_index USING fts5(
    id UNINDEXED, video_id UNINDEXED, kind UNINDEXED, body, tokenize = 'trigram'
);
-- FTS5 cannot index its UNINDEXED columns: this maps a node to its FTS row, so replacing one
-- node's text is a lookup, not a scan of the whole index.
CREATE TABLE IF NOT EXISTS text_rows (id TEXT PRIMARY KEY, fts_rowid INTEGER NOT NULL);
-- Entity merges (avas.knowledge.linking): the alias keeps its node and edges, so deleting the row
-- undoes a merge. Whatever deletes an entity node also drops its merges and name vector.
CREATE TABLE IF NOT EXISTS merges (
    alias_id TEXT PRIMARY KEY,
    canonical_id TEXT NOT NULL,
    video_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS merges_by_canonical ON merges (canonical_id);
CREATE TRIGGER IF NOT EXISTS entity_deleted AFTER DELETE ON nodes WHEN OLD.kind = 'entity'
BEGIN
    DELETE FROM merges WHERE alias_id = OLD.id OR canonical_id = OLD.id;
    DELETE FROM vectors WHERE id = OLD.id;
END;
-- Keyframe image embeddings (another model's space than `vectors`): a few per event.
CREATE TABLE IF NOT EXISTS frame_vectors (
    event_id TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    video_id TEXT,
    model TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (event_id, ts_ms)
);
CREATE INDEX IF NOT EXISTS frame_vectors_by_video ON frame_vectors (video_id);
-- A log of touched ids, written by triggers inside each write transaction, so another process
-- holding this store in memory reloads only those rows (see NetworkxEventStore._sync): 'n' a
-- node, its vector or its frame vectors (logged under the event), 'e' one edge (src, dst and
-- type joined by char(31)), 'm' a merge.
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, tbl TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS log_node_ins AFTER INSERT ON nodes
BEGIN INSERT INTO changes (id, tbl) VALUES (NEW.id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_node_upd AFTER UPDATE ON nodes
BEGIN INSERT INTO changes (id, tbl) VALUES (NEW.id, 'n'), (OLD.id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_node_del AFTER DELETE ON nodes
BEGIN INSERT INTO changes (id, tbl) VALUES (OLD.id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_edge_ins AFTER INSERT ON edges
BEGIN INSERT INTO changes (id, tbl)
    VALUES (NEW.src || char(31) || NEW.dst || char(31) || NEW.type, 'e'); END;
CREATE TRIGGER IF NOT EXISTS log_edge_upd AFTER UPDATE ON edges
BEGIN INSERT INTO changes (id, tbl)
    VALUES (NEW.src || char(31) || NEW.dst || char(31) || NEW.type, 'e'),
           (OLD.src || char(31) || OLD.dst || char(31) || OLD.type, 'e'); END;
CREATE TRIGGER IF NOT EXISTS log_edge_del AFTER DELETE ON edges
BEGIN INSERT INTO changes (id, tbl)
    VALUES (OLD.src || char(31) || OLD.dst || char(31) || OLD.type, 'e'); END;
CREATE TRIGGER IF NOT EXISTS log_vector_ins AFTER INSERT ON vectors
BEGIN INSERT INTO changes (id, tbl) VALUES (NEW.id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_vector_del AFTER DELETE ON vectors
BEGIN INSERT INTO changes (id, tbl) VALUES (OLD.id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_frame_ins AFTER INSERT ON frame_vectors
BEGIN INSERT INTO changes (id, tbl) VALUES (NEW.event_id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_frame_del AFTER DELETE ON frame_vectors
BEGIN INSERT INTO changes (id, tbl) VALUES (OLD.event_id, 'n'); END;
CREATE TRIGGER IF NOT EXISTS log_merge_ins AFTER INSERT ON merges
BEGIN INSERT INTO changes (id, tbl) VALUES (NEW.alias_id, 'm'); END;
CREATE TRIGGER IF NOT EXISTS log_merge_del AFTER DELETE ON merges
BEGIN INSERT INTO changes (id, tbl) VALUES (OLD.alias_id, 'm'); END;
"""

"""The embedded store's entities: lookups, relations, name-vector candidates, and merges."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import numpy.typing as npt

from avas.errors import InputError, NotFoundError
from avas.graph.base import EntityHit, Relation, entity_query, entity_score, relation_order
from avas.graph.networkx_sync import SyncedStore
from graph_schema import EdgeType, Entity, EntityKind, EntityMerge, Event, NodeKind


def write_merge(db: sqlite3.Connection, merge: EntityMerge) -> None:
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


class StoreEntities(SyncedStore):
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

    def merge_entities(self, merge: EntityMerge) -> None:
        with self._transaction() as db:
            write_merge(db, merge)
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

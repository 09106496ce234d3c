"""The Neo4j store's entities: lookups, relations, name-vector candidates, and merges."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from avas.errors import InputError, NotFoundError
from avas.graph.base import EntityHit, Relation, entity_query, relation_order
from avas.graph.neo4j_rows import parse_event
from graph_schema import Entity, EntityKind, EntityMerge, Event

if TYPE_CHECKING:
    from neo4j import ManagedTransaction
from avas.graph.neo4j_core import Neo4jCore


def write_merge(tx: ManagedTransaction, q: dict[str, str], merge: EntityMerge) -> None:
    alias, canonical = merge.alias_id, merge.canonical_id
    if alias == canonical:
        raise InputError(f"cannot merge entity {alias!r} into itself")
    check = tx.run(q["entity_merge_check"], {"alias_id": alias, "canonical_id": canonical}).single()
    assert check is not None  # OPTIONAL MATCH always yields a row
    for found, node_id in (
        (check["alias_found"], alias),
        (check["canonical_found"], canonical),
    ):
        if not found:
            raise NotFoundError(f"merge {alias} -> {canonical}: no entity {node_id!r}")
    if check["canonical_is_alias"]:
        raise InputError(f"cannot merge into {canonical!r}: it is an alias itself")
    if check["alias_has_aliases"]:
        raise InputError(f"cannot merge {alias!r}: other entities are merged into it")
    row = {
        "alias_id": alias,
        "canonical_id": canonical,
        "video_id": merge.video_id,
        "event_id": merge.event_id,
        "score": merge.score,
        "data": merge.model_dump_json(),
    }
    tx.run(q["record_entity_merges"], {"rows": [row]}).consume()


class Neo4jEntities(Neo4jCore):
    def entity_events(self, entity_id: str) -> list[Event]:
        rows = self._read("entity_events", id=entity_id)
        if not rows:
            raise NotFoundError(f"no entity {entity_id!r} in the store")
        return [parse_event(r["data"]) for r in rows if r["data"] is not None]

    def entity(self, entity_id: str) -> Entity | None:
        rows = self._read("get_entity", id=entity_id)
        return Entity.model_validate_json(rows[0]["data"]) if rows else None

    def entity_candidates(
        self, kind: EntityKind, vector: npt.NDArray[np.float32], *, k: int
    ) -> list[EntityHit]:
        if k <= 0:
            return []
        query = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        # The index knows nothing of kinds and aliases: a generous pool is filtered in Cypher.
        rows = self._read(
            "entity_candidates",
            candidates=max(100, k * 20),
            vector=query,
            kind=EntityKind(kind).value,
            k=k,
        )
        return [
            # Neo4j reports cosine similarity as (1 + cos) / 2: give back the cosine itself.
            EntityHit(
                entity=Entity.model_validate_json(r["data"]), score=2.0 * float(r["score"]) - 1.0
            )
            for r in rows
        ]

    def merge_entities(self, merge: EntityMerge) -> None:
        self._run(lambda tx: write_merge(tx, self._queries, merge), write=True)

    def unmerge_entity(self, alias_id: str) -> EntityMerge:
        query = self._queries["unmerge_entity"]

        def work(tx: ManagedTransaction) -> str | None:
            row = tx.run(query, {"alias_id": alias_id}).single()
            return None if row is None else str(row["data"])

        data = self._run(work, write=True)
        if data is None:
            raise NotFoundError(f"entity {alias_id!r} is not merged into another")
        return EntityMerge.model_validate_json(data)

    def merges(self, video_id: str | None = None) -> list[EntityMerge]:
        found = [
            EntityMerge.model_validate_json(r["data"])
            for r in self._read("entity_merges", video_id=video_id)
        ]
        return sorted(found, key=lambda m: (m.merged_at, m.alias_id))

    def aliases_of(self, entity_id: str) -> list[str]:
        """The entities merged into ``entity_id``, by id."""
        return [str(r["id"]) for r in self._read("aliases_of", id=entity_id)]

    def find_entities(self, name: str, *, k: int = 10) -> list[Entity]:
        key, words = entity_query(name)
        if k <= 0:
            return []
        rows = self._read("find_entities", key=key, words=words, k=k)
        return [Entity.model_validate_json(r["data"]) for r in rows]

    def relations(self, entity_id: str) -> list[Relation]:
        rows = self._read("relations", id=entity_id)
        if not rows:
            raise NotFoundError(f"no entity {entity_id!r} in the store")
        found = {
            (r["subject"], r["predicate"], r["object"], r["event_id"]): Relation(
                subject=Entity.model_validate_json(r["subject"]),
                predicate=r["predicate"],
                object=Entity.model_validate_json(r["object"]),
                event_id=r["event_id"] or "",
                video_id=r["video_id"] or "",
                span=parse_event(r["event"]).span if r["event"] else None,
            )
            for r in rows
            if r["predicate"] is not None
        }
        return sorted(found.values(), key=relation_order)

"""The server store: the event graph in Neo4j 5, with its full-text and vector indexes.

    store = Neo4jEventStore("bolt://localhost:7687", "neo4j", "secret")
    store.commit_event(record); store.keyword_search("loading dock", k=5)

Semantics follow ``NetworkxEventStore`` (the contract suite runs both). Every statement comes
from ``graph_schema/queries/*.cypher`` or the numbered migrations; user values travel only as
parameters, and labels and relationship types are fixed in those files. Each node keeps its
pydantic model as JSON in ``data`` (read back exactly) next to the properties that queries use.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from avas.errors import DependencyError, InputError, NotFoundError, StoreError
from avas.graph.base import (
    SEARCHABLE,
    EntityHit,
    EventDetails,
    Relation,
    SearchHit,
    details_of,
    entity_query,
    relation_order,
)
from avas.text import STOPWORDS
from graph_schema import (
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
from graph_schema.cypher import Migration, load_migrations, load_queries

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

T = TypeVar("T")

DEFAULT_VECTOR_DIMENSIONS = 384  # all-MiniLM-L6-v2, the packaged embedding model
INDEX_WAIT_S = 300
CONNECT_RETRY_MS = 10_000  # a server that is still starting gets this long to answer
MIGRATION_ATTEMPTS = 5

_MODELS: dict[NodeKind, type[BaseModel]] = {
    NodeKind.VIDEO: Video,
    NodeKind.EVENT: Event,
    NodeKind.SPEECH: SpeechSegment,
    NodeKind.TEXT: OnScreenText,
    NodeKind.ENTITY: Entity,
    NodeKind.SUMMARY: Summary,
}

# Each edge type's rows travel in their own parameter of commit_event.cypher (relationship types
# cannot be parameters, so the query has one subquery per type).
_EDGE_PARAMS: dict[EdgeType, str] = {etype: etype.value.lower() for etype in EdgeType}

# Lucene query syntax; `&&` and `||` are covered by escaping each `&` and `|`.
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


def escape_lucene(term: str) -> str:
    """Backslash-escape every character that Lucene's query parser treats as syntax."""
    return _LUCENE_SPECIAL.sub(r"\\\1", term)


def lucene_query(text: str) -> str | None:
    """User text -> a Lucene expression of escaped content words, or None if there are none.

    The same words as the embedded store's FTS query (3+ characters, no stopwords), any of
    them. Each word also matches inside a longer one, as the embedded store's trigram index
    does (``*bridge*`` finds OCR's "HARBORBRIDGE", ``*budget*`` finds "budgets"); the word itself
    scores higher, since Lucene gives a wildcard match a constant score.
    """
    words = [w for w in re.findall(r"[0-9a-z]+", text.lower()) if len(w) >= 3]
    terms = [escape_lucene(w) for w in dict.fromkeys(words) if w not in STOPWORDS]
    return " ".join(f"{t} *{t}*" for t in terms) or None


def _node_props(kind: NodeKind, model: BaseModel) -> dict[str, Any]:
    """The queried properties of a node, plus its model as JSON in ``data``."""
    props: dict[str, Any] = {
        "id": getattr(model, "id"),  # noqa: B009 - every node model has an id
        "node_kind": kind.value,
        "data": model.model_dump_json(),
    }
    span: TimeSpan | None = getattr(model, "span", None)
    if span is not None:
        props |= {"start_ms": span.start_ms, "end_ms": span.end_ms}
    if isinstance(model, Video):
        props |= {"path": model.path, "status": model.status}
    elif isinstance(model, Event):
        props |= {
            "video_id": model.video_id,
            "text": model.description,
            "observers": list(model.observers),
        }
    elif isinstance(model, SpeechSegment | OnScreenText):
        props |= {"video_id": model.video_id, "text": model.text}
    elif isinstance(model, Entity):
        props |= {"entity_kind": model.kind.value, "name": model.name}
    elif isinstance(model, Summary):
        props |= {"video_id": model.video_id, "text": model.text, "level": model.level}
    return props


def _parse(kind: NodeKind | str, data: str) -> BaseModel:
    return _MODELS[NodeKind(kind)].model_validate_json(data)


def _event(data: str) -> Event:
    return Event.model_validate_json(data)


def _hit(kind: str, data: str, score: float) -> SearchHit:
    model = _parse(kind, data)
    text = model.description if isinstance(model, Event) else getattr(model, "text", "")
    return SearchHit(
        id=getattr(model, "id"),  # noqa: B009
        kind=NodeKind(kind),
        video_id=getattr(model, "video_id"),  # noqa: B009
        span=getattr(model, "span"),  # noqa: B009
        text=text,
        score=score,
    )


def _check_edges(etype: EdgeType, batch: Sequence[dict[str, Any]], merged: Sequence[Any]) -> None:
    """The commit MATCHes both ends of an edge: a row it merged nothing for names a missing node,
    and raising here rolls the whole commit back (the embedded store refuses such a record too)."""
    done = {(src, dst) for src, dst in merged}
    for edge in batch:
        if (edge["src"], edge["dst"]) not in done:
            raise NotFoundError(
                f"edge {etype.value} {edge['src']} -> {edge['dst']}: "
                "a node at either end is not in the store"
            )


class Neo4jEventStore:
    """The event graph in a Neo4j 5 server. Constructing it does no I/O; ``connect()`` does.

    store = Neo4jEventStore(uri, user, password).connect()
    """

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        *,
        vector_dimensions: int = DEFAULT_VECTOR_DIMENSIONS,
        connect_retry_ms: int = CONNECT_RETRY_MS,
    ) -> None:
        self.uri = uri
        self.user = user
        self.database = database
        self.vector_dimensions = vector_dimensions
        self._password = password
        self._connect_retry_ms = connect_retry_ms
        self._driver: Driver | None = None
        self._loaded_queries: dict[str, str] = {}
        self._errors: tuple[type[BaseException], ...] = ()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def _queries(self) -> dict[str, str]:
        if not self._loaded_queries:
            raise StoreError(f"{self!r} is not connected: call connect() first")
        return self._loaded_queries

    def connect(self) -> Neo4jEventStore:
        """Open the driver, check the login, apply pending migrations; returns the store.

        A server that does not answer is retried for ``connect_retry_ms`` (it may be starting);
        an unreachable server or a refused login is a DependencyError naming the URI.
        """
        if self._driver is not None:
            return self
        try:
            import neo4j
            import neo4j.exceptions
        except ImportError as exc:
            raise DependencyError(
                "the Neo4j graph store needs the neo4j driver: pip install 'avas[neo4j]'"
            ) from exc
        self._loaded_queries = load_queries()
        migrations = load_migrations(vector_dimensions=self.vector_dimensions)
        self._errors = (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError)
        try:
            driver = neo4j.GraphDatabase.driver(
                self.uri,
                auth=(self.user, self._password),
                # The server warns of a relationship type no data has yet (MERGED_INTO before
                # the first merge) on every such query: noise in the log, not a fault.
                notifications_min_severity="OFF",
            )
        except (*self._errors, ValueError, ImportError) as exc:  # bad URI, or a scheme's extra
            raise StoreError(f"cannot open the Neo4j store at {self.uri}: {exc}") from exc
        try:
            self._await_server(driver, neo4j.exceptions)
            self._migrate(driver, migrations)
            self._check_vector_index(driver)
        except BaseException as exc:
            driver.close()
            if isinstance(exc, (*self._errors, OSError)):
                raise StoreError(f"cannot open the Neo4j store at {self.uri}: {exc}") from exc
            raise
        self._driver = driver
        return self

    def _await_server(self, driver: Driver, errors: Any) -> None:
        deadline = time.monotonic() + self._connect_retry_ms / 1000
        pause_s = 0.25
        while True:
            try:
                driver.verify_connectivity()
                return
            except errors.AuthError as exc:
                raise DependencyError(
                    f"the Neo4j server at {self.uri} refused the login of user {self.user!r}: "
                    "check AVAS_NEO4J__USER and AVAS_NEO4J__PASSWORD"
                ) from exc
            except (errors.ServiceUnavailable, errors.SessionExpired, OSError) as exc:
                if time.monotonic() + pause_s > deadline:
                    raise DependencyError(
                        f"no Neo4j server answers at {self.uri} ({type(exc).__name__}): start "
                        "one (scripts/neo4j-server start, or docker compose up -d neo4j) or fix "
                        "AVAS_NEO4J__URI"
                    ) from exc
                time.sleep(pause_s)
                pause_s = min(2 * pause_s, 2.0)

    def _migrate(self, driver: Driver, migrations: Sequence[Migration]) -> None:
        """Apply each numbered migration once, recorded as a ``:Migration {id}`` node.

        Schema commands run one per auto-commit transaction (Neo4j refuses to mix them with
        writes); IF [NOT] EXISTS makes a migration that died half-way safe to run again, and
        two processes migrating the same database at once retry on the loser's conflict.
        """
        q = self._queries
        for attempt in range(MIGRATION_ATTEMPTS):
            applied_any = False
            try:
                with driver.session(database=self.database) as session:
                    for migration in migrations:
                        record = session.run(q["migration_applied"], {"id": migration.id}).single()
                        if record is not None and record["applied"]:
                            continue
                        for statement in migration.statements:
                            session.run(statement).consume()
                        session.run(q["record_migration"], {"id": migration.id}).consume()
                        applied_any = True
                    if applied_any:  # a new index is queryable only once it is online
                        session.run(q["await_indexes"], {"timeout_s": INDEX_WAIT_S}).consume()
                return
            except self._errors:
                if attempt == MIGRATION_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.2, 1.0))  # apart, so two migrators do not collide again

    def _check_vector_index(self, driver: Driver) -> None:
        """The search index's dimension must be this store's: one made for other vectors (an
        earlier embedding model, or the contract suite's) would refuse every write."""
        with driver.session(database=self.database) as session:
            row = session.run(self._queries["vector_index_dimensions"]).single()
        found = None if row is None else row["dimensions"]
        if found is not None and int(found) != self.vector_dimensions:
            raise StoreError(
                f"the Neo4j database {self.database!r} at {self.uri} indexes {found}-dimensional "
                f"vectors, this store embeds {self.vector_dimensions}: use another database "
                "(or server) for this embedding model"
            )

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def _run(self, work: Callable[[ManagedTransaction], T], *, write: bool = False) -> T:
        """Run ``work`` in one managed transaction; driver errors become StoreError.

        The driver retries transient failures (a lost leader, a deadlock) itself.
        """
        if self._driver is None:
            raise StoreError(f"{self!r} is not connected: call connect() first")
        try:
            with self._driver.session(database=self.database) as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except self._errors as exc:
            raise StoreError(f"Neo4j store at {self.uri}: {exc}") from exc

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        query = self._queries[name]

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(query, params)]

        return self._run(work)

    # -- writes ----------------------------------------------------------------------------

    def upsert_video(self, video: Video) -> None:
        query = self._queries["upsert_video"]
        props = _node_props(NodeKind.VIDEO, video)

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
            "props": _node_props(NodeKind.SUMMARY, summary) | {"embedding_model": model},
            "embedding": list(vector),
            "parts": list(parts),
        }
        self._run(lambda tx: tx.run(query, params).consume(), write=True)

    def summaries(self, video_id: str, *, level: str | None = None) -> list[Summary]:
        rows = self._read("summaries", video_id=video_id, level=level)
        return [Summary.model_validate_json(r["data"]) for r in rows]

    def commit_event(self, record: EventRecord) -> None:
        event = record.event
        q = self._queries

        def rows(kind: NodeKind, models: Sequence[BaseModel]) -> list[dict[str, Any]]:
            return [
                {
                    "id": getattr(m, "id"),  # noqa: B009
                    "props": _node_props(kind, m),
                    "embedding": record.vectors.get(getattr(m, "id")),  # noqa: B009
                }
                for m in models
            ]

        edge_rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _EDGE_PARAMS.values()}
        for edge in record.edges:
            edge_rows[_EDGE_PARAMS[edge.type]].append(
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
        new_entities = {e.id for e in record.entities}

        def work(tx: ManagedTransaction) -> None:
            # One round trip writes the whole record; merges and orphans (rare) add one each.
            row = tx.run(q["commit_event"], params).single()
            if row is None or not row["video_found"]:
                raise NotFoundError(f"unknown video {event.video_id!r}: upsert the video first")
            for etype, name in _EDGE_PARAMS.items():
                _check_edges(etype, edge_rows[name], row["merged"][name])
            for merge in record.merges:
                self._write_merge(tx, merge)
            # An entity this event no longer involves, and no other event does, goes too.
            if gone := sorted(set(row["old_entities"]) - new_entities):
                tx.run(q["delete_entities_if_orphaned"], {"ids": gone}).consume()

        self._run(work, write=True)

    def delete_video(self, video_id: str) -> None:
        q = self._queries

        def work(tx: ManagedTransaction) -> None:
            if tx.run(q["get_video"], {"id": video_id}).single() is None:
                raise NotFoundError(f"no video {video_id!r} in the store")
            tx.run(q["delete_video"], {"video_id": video_id}).consume()
            tx.run(q["delete_video_keyframes"], {"video_id": video_id}).consume()
            tx.run(q["delete_orphan_entities"]).consume()

        self._run(work, write=True)

    def delete_events_before(self, video_id: str, before_ms: int) -> int:
        q = self._queries

        def work(tx: ManagedTransaction) -> int:
            if tx.run(q["get_video"], {"id": video_id}).single() is None:
                raise NotFoundError(f"no video {video_id!r} in the store")
            params = {"video_id": video_id, "before_ms": before_ms}
            row = tx.run(q["delete_events_before"], params).single()
            tx.run(q["delete_orphan_keyframes"], {"video_id": video_id}).consume()
            tx.run(q["delete_orphan_entities"]).consume()
            return int(row["deleted"]) if row is not None else 0

        return self._run(work, write=True)

    def delete_summaries(self, video_id: str, summary_ids: Sequence[str]) -> int:
        params = {"video_id": video_id, "ids": list(summary_ids)}

        def work(tx: ManagedTransaction) -> int:
            row = tx.run(self._queries["delete_summaries"], params).single()
            return int(row["deleted"]) if row is not None else 0

        return self._run(work, write=True)

    # -- reads -----------------------------------------------------------------------------

    def get_video(self, video_id: str) -> Video | None:
        rows = self._read("get_video", id=video_id)
        return Video.model_validate_json(rows[0]["data"]) if rows else None

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
        return _event(rows[0]["data"])

    def events(self, video_id: str) -> list[Event]:
        return [_event(r["data"]) for r in self._read("events", video_id=video_id)]

    def events_in_span(self, video_id: str, span: TimeSpan) -> list[Event]:
        # An instant is the one millisecond at its start (half-open spans, as the embedded store).
        upper_ms = span.end_ms if span.duration_ms > 0 else span.start_ms + 1
        rows = self._read(
            "events_in_span", video_id=video_id, start_ms=span.start_ms, upper_ms=upper_ms
        )
        return [_event(r["data"]) for r in rows]

    def neighbors(self, event_id: str, *, before: int = 0, after: int = 1) -> list[Event]:
        q = self._queries

        def work(tx: ManagedTransaction) -> list[Event] | None:
            if tx.run(q["get_event"], {"id": event_id}).single() is None:
                return None
            earlier = tx.run(q["events_before"], {"id": event_id, "limit": max(0, before)})
            earlier_events = [_event(r["data"]) for r in earlier]
            later = tx.run(q["events_after"], {"id": event_id, "limit": max(0, after)})
            return earlier_events[::-1] + [_event(r["data"]) for r in later]

        found = self._run(work)
        if found is None:
            raise NotFoundError(f"no event {event_id!r} in the store")
        return found

    def event_details(self, event_id: str) -> EventDetails:
        event = self._event(event_id)
        rows = self._read("event_children", id=event_id)
        return details_of(event, [_parse(row["kind"], row["data"]) for row in rows])

    def event_of(self, node_id: str) -> Event:
        rows = self._read("event_of", node_id=node_id)
        if not rows:
            raise NotFoundError(f"{node_id!r} belongs to no event in the store")
        events = sorted(
            ((r["rank"], _event(r["data"])) for r in rows),
            key=lambda item: (item[0], item[1].video_id, item[1].span.start_ms),
        )
        return events[0][1]

    def node_hit(self, node_id: str) -> SearchHit:
        rows = self._read("node_hit", node_id=node_id)
        if not rows:
            raise NotFoundError(f"no event, speech or text node {node_id!r} in the store")
        return _hit(rows[0]["kind"], rows[0]["data"], 0.0)

    def entity_events(self, entity_id: str) -> list[Event]:
        rows = self._read("entity_events", id=entity_id)
        if not rows:
            raise NotFoundError(f"no entity {entity_id!r} in the store")
        return [_event(r["data"]) for r in rows if r["data"] is not None]

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

    def _write_merge(self, tx: ManagedTransaction, merge: EntityMerge) -> None:
        alias, canonical = merge.alias_id, merge.canonical_id
        if alias == canonical:
            raise InputError(f"cannot merge entity {alias!r} into itself")
        check = tx.run(
            self._queries["entity_merge_check"], {"alias_id": alias, "canonical_id": canonical}
        ).single()
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
        tx.run(self._queries["record_entity_merges"], {"rows": [row]}).consume()

    def merge_entities(self, merge: EntityMerge) -> None:
        self._run(lambda tx: self._write_merge(tx, merge), write=True)

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
                span=_event(r["event"]).span if r["event"] else None,
            )
            for r in rows
            if r["predicate"] is not None
        }
        return sorted(found.values(), key=relation_order)

    def vector_search(
        self,
        vector: npt.NDArray[np.float32],
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        if k <= 0:
            return []
        query = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        # Neo4j reports cosine similarity as (1 + cos) / 2; give back the cosine itself, the
        # scale the embedded store uses.
        return self._filtered_search(
            "vector_search", k, kinds, video_id, lambda s: 2.0 * s - 1.0, vector=query
        )

    def _filtered_search(
        self,
        name: str,
        k: int,
        kinds: Sequence[NodeKind],
        video_id: str | None,
        score: Callable[[float], float],
        **params: Any,
    ) -> list[SearchHit]:
        """Ask an index for a pool of candidates, filtered in the query; widen the pool until k
        pass or the index has nothing more to give (approximate indexes know no filters)."""
        wanted = sorted({NodeKind(kind).value for kind in kinds})
        filtered = video_id is not None or set(wanted) != {kind.value for kind in SEARCHABLE}
        candidates = k * 10 if filtered else k
        while True:
            (row,) = self._read(
                name, candidates=candidates, kinds=wanted, video_id=video_id, k=k, **params
            )
            hits = [_hit(h["kind"], h["data"], score(float(h["score"]))) for h in row["hits"]]
            if len(hits) >= k or row["pool"] < candidates or candidates >= 100_000:
                return hits[:k]
            candidates *= 4

    def frame_search(
        self, vector: npt.NDArray[np.float32], *, k: int, video_id: str | None = None
    ) -> list[SearchHit]:
        if k <= 0:
            return []
        query = [float(x) for x in np.asarray(vector, dtype=np.float32).ravel()]
        # As vector_search: the index returns frames, several per event and of every video, so
        # widen the pool until k events pass the filter or the index has nothing more to give.
        candidates = k * 4 if video_id is None else k * 20
        while True:
            rows = self._read("frame_search", candidates=candidates, vector=query)
            best: dict[str, SearchHit] = {}
            for r in rows:
                if r["event_id"] in best or (video_id is not None and r["video_id"] != video_id):
                    continue
                # Neo4j reports cosine similarity as (1 + cos) / 2: give back the cosine.
                best[r["event_id"]] = _hit("event", r["data"], 2.0 * float(r["score"]) - 1.0)
            if len(best) >= k or len(rows) < candidates or candidates >= 100_000:
                return list(best.values())[:k]
            candidates *= 4

    def has_frames(self, video_id: str | None = None) -> bool:
        rows = self._read("has_keyframes", video_id=video_id)
        return bool(rows and rows[0]["found"])

    def keyword_search(
        self,
        query: str,
        *,
        k: int,
        kinds: Sequence[NodeKind] = SEARCHABLE,
        video_id: str | None = None,
    ) -> list[SearchHit]:
        expr = lucene_query(query)
        if expr is None or k <= 0:
            return []
        return self._filtered_search("keyword_search", k, kinds, video_id, float, query=expr)

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

    def __repr__(self) -> str:
        return f"Neo4jEventStore({self.uri!r}, database={self.database!r})"

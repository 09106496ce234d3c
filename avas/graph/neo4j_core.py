"""The Neo4j store's connection: the driver, migrations, and one managed transaction per call.

The other neo4j_* modules add the store's operations to this class (writes, reads, entities,
search); Neo4jEventStore (neo4j_store) puts them together.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from avas.errors import DependencyError, StoreError
from graph_schema import Video
from graph_schema.cypher import Migration, load_migrations, load_queries

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

T = TypeVar("T")

DEFAULT_VECTOR_DIMENSIONS = 384  # all-MiniLM-L6-v2, the packaged embedding model
INDEX_WAIT_S = 300
CONNECT_RETRY_MS = 10_000  # a server that is still starting gets this long to answer
MIGRATION_ATTEMPTS = 5
# Rows a bounded delete takes per transaction: a 52k-event video deleted in one transaction
# passed Neo4j's transaction memory limit (1.4 GiB at a 2 GiB heap); 2,000 events stay ~60 MB.
DELETE_BATCH = 2_000


class Neo4jCore:
    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        *,
        vector_dimensions: int = DEFAULT_VECTOR_DIMENSIONS,
        connect_retry_ms: int = CONNECT_RETRY_MS,
        delete_batch: int = DELETE_BATCH,
    ) -> None:
        if delete_batch < 1:
            raise ValueError(f"delete_batch must be at least 1, not {delete_batch}")
        self.uri = uri
        self.user = user
        self.database = database
        self.vector_dimensions = vector_dimensions
        self._password = password
        self._connect_retry_ms = connect_retry_ms
        self.delete_batch = delete_batch
        self._driver: Driver | None = None
        self._loaded_queries: dict[str, str] = {}
        self._errors: tuple[type[BaseException], ...] = ()

    @property
    def _queries(self) -> dict[str, str]:
        if not self._loaded_queries:
            raise StoreError(f"{self!r} is not connected: call connect() first")
        return self._loaded_queries

    def connect(self) -> Self:
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

    def __repr__(self) -> str:
        return f"Neo4jEventStore({self.uri!r}, database={self.database!r})"

    def get_video(self, video_id: str) -> Video | None:
        rows = self._read("get_video", id=video_id)
        return Video.model_validate_json(rows[0]["data"]) if rows else None

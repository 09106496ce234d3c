"""Store factories for the contract suite: every EventGraphStore backend runs the same tests.

    def test_x(store: EventGraphStore, reopen: Callable[[], EventGraphStore]) -> None:
        store.close(); again = reopen()  # the same durable store, opened anew

A new backend plugs in by adding one ``StoreFactory`` to ``_factories()``.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from neo4j_factory import neo4j_required, neo4j_target

from avas.errors import AvasError
from avas.graph.base import EventGraphStore
from avas.graph.networkx_store import NetworkxEventStore

VECTOR_DIM = 8  # the fake embeddings' size: DIM in test_store_contract.py


@dataclass(frozen=True)
class StoreFactory:
    """Opens a store whose durable state lives at (or is namespaced by) ``where``."""

    name: str
    open: Callable[[Path], EventGraphStore]
    # A server-backed store outlives the test: it is emptied before and after each test.
    shared_server: bool = False


def _open_networkx(where: Path) -> EventGraphStore:
    return NetworkxEventStore(where / "store.sqlite")


def _open_neo4j(where: Path) -> EventGraphStore:
    # One server for all tests: the fixtures below empty it around each test, so point
    # AVAS_NEO4J__URI / AVAS_NEO4J__DATABASE at a throwaway database, one whose vector index was
    # not created with other dimensions than the contract's fake vectors.
    from neo4j_factory import open_neo4j_store

    del where  # the state lives in the server
    return open_neo4j_store(vector_dimensions=VECTOR_DIM)


def _neo4j_unavailable() -> str | None:
    """Why the Neo4j store cannot run here, or None when it can."""
    if importlib.util.find_spec("neo4j") is None:
        return "the neo4j driver is not installed: pip install 'avas[neo4j]'"
    try:
        import avas.graph.neo4j_store  # noqa: F401
    except (ImportError, AvasError) as exc:
        return f"avas.graph.neo4j_store does not import: {exc}"
    return None


def _factories() -> list[Any]:
    params: list[Any] = [pytest.param(StoreFactory("networkx", _open_networkx), id="networkx")]
    # Neo4j joins the parametrisation only when a server is configured, so the default run
    # (no server) collects no Neo4j cases at all instead of a skip per contract test. When the
    # URI is set but the store cannot be imported, one visible skip reason per test says why;
    # in CI (AVAS_TEST_REQUIRE_NEO4J=1) either gap fails the run instead.
    if neo4j_required() and neo4j_target() is None:
        raise pytest.UsageError("AVAS_TEST_REQUIRE_NEO4J=1 but AVAS_NEO4J__URI is not set")
    if neo4j_target() is not None:
        marks: list[Any] = [pytest.mark.neo4j]
        if why := _neo4j_unavailable():
            if neo4j_required():
                raise pytest.UsageError(f"AVAS_TEST_REQUIRE_NEO4J=1 but {why}")
            marks.append(pytest.mark.skip(reason=f"AVAS_NEO4J__URI is set but {why}"))
        factory = StoreFactory("neo4j", _open_neo4j, shared_server=True)
        params.append(pytest.param(factory, id="neo4j", marks=marks))
    return params


@pytest.fixture(params=_factories())
def store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    factory: StoreFactory = request.param
    return factory


def _empty(store: EventGraphStore) -> None:
    for video in store.videos():
        store.delete_video(video.id)


@pytest.fixture
def reopen(store_factory: StoreFactory, tmp_path: Path) -> Iterator[Callable[[], EventGraphStore]]:
    """Opens the test's store; each call opens it anew from its durable state."""
    opened: list[EventGraphStore] = []

    def _open() -> EventGraphStore:
        store = store_factory.open(tmp_path)
        opened.append(store)
        return store

    yield _open
    if store_factory.shared_server and opened:
        cleaner = store_factory.open(tmp_path)
        _empty(cleaner)
        cleaner.close()
    for store in opened:
        with contextlib.suppress(Exception):  # a test may have closed it already
            store.close()


@pytest.fixture
def store(store_factory: StoreFactory, reopen: Callable[[], EventGraphStore]) -> EventGraphStore:
    opened = reopen()
    if store_factory.shared_server:
        _empty(opened)
    return opened

"""Both graph stores at scale: commits per second, vector and keyword search, entity lookup, a
3-hop walk, reload and first query, and the AVAS process's memory.

    .venv/bin/python -m benchmarks.store_bench --events 10000 100000
    AVAS_NEO4J__URI=bolt://127.0.0.1:7687 .venv/bin/python -m benchmarks.store_bench \
        --store neo4j --events 100000      # a throwaway server: scripts/neo4j-server start
    .venv/bin/python -m benchmarks.store_bench --events 100000 --dir /tmp/sb --reuse
        # the query phase again on the stores an earlier run with --dir /tmp/sb filled

Synthetic records shaped like real ones (an event, one speech segment, one on-screen text and the
text's entity, each text node with a 384-dim unit vector, as the packaged MiniLM gives), written
one event per transaction through the real store. The Neo4j run empties the server's database
first. Targets (issues 5 and 17): at 100k events vector and keyword search p95 <= 50 ms on each
store, embedded reload <= 5 s.

Filling Neo4j one commit per event ran at ~6 commits/s on the loaded machine (100k: hours), so
``--fill bulk`` (Neo4j only) fills all but the last ``--timed`` events with a BENCHMARK-ONLY
loader: the store's own commit_event.cypher and parameters (neo4j_writes.commit_params), many
records per statement. Its clean-up of an earlier version matches nothing on a fresh fill, so
the nodes and edges it writes are those commit_event writes. commits/s is then timed on the last
``--timed`` events, each through the store's real ``commit_event``, at full size. The table
says which path filled and which was timed.

    AVAS_NEO4J__URI=... nice -n 10 .venv/bin/python -m benchmarks.store_bench --store neo4j \
        --events 100000 --fill bulk --timed 500
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from avas.config import Settings
from avas.graph.base import EventGraphStore
from avas.graph.neo4j_rows import EDGE_PARAMS, check_edges
from avas.graph.neo4j_writes import commit_params
from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    Event,
    EventRecord,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    Video,
    entity_id,
    event_id,
    speech_id,
    text_id,
)
from graph_schema.cypher import load_queries

DIM = 384
TIMED_COMMITS = 2_000
BULK_EVENTS = 500  # records per statement of the bulk fill
WORDS = (
    "truck dock gate budget harbor bridge train ticket office night shift guard forklift pallet "
    "camera door visitor platform meeting lecture gradient clipping crane ship storm"
).split()


def _unit(rng: np.random.Generator) -> list[float]:
    v = rng.normal(size=DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()  # type: ignore[no-any-return]


def _span(i: int) -> TimeSpan:
    return TimeSpan(start_ms=i * 5_000, end_ms=(i + 1) * 5_000)


def _record(i: int, rng: np.random.Generator, previous_id: str | None) -> EventRecord:
    span = _span(i)
    words = " ".join(rng.choice(WORDS, size=6))
    eid = event_id("bench", span)
    event = Event(id=eid, video_id="bench", span=span, description=f"Scene with {words}.")
    sp_span = TimeSpan(start_ms=span.start_ms + 500, end_ms=span.end_ms - 500)
    speech = SpeechSegment(
        id=speech_id("bench", sp_span),
        video_id="bench",
        span=sp_span,
        text=f"The {words} is here",
        model="bench",
        confidence=0.9,
    )
    label = f"{rng.choice(WORDS).upper()} {i % 97}"
    text = OnScreenText(
        id=text_id("bench", span, label),
        video_id="bench",
        span=span,
        text=label,
        model="bench",
        confidence=0.9,
    )
    entity = Entity(
        id=entity_id(EntityKind.TEXT, label), kind=EntityKind.TEXT, name=label, model="bench"
    )
    edges = [
        Edge(src="bench", dst=eid, type=EdgeType.HAS_EVENT),
        Edge(src=eid, dst=speech.id, type=EdgeType.HAS_SPEECH),
        Edge(src=eid, dst=text.id, type=EdgeType.SHOWS_TEXT),
        Edge(src=eid, dst=entity.id, type=EdgeType.INVOLVES),
    ]
    if previous_id is not None:
        edges.append(Edge(src=previous_id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0}))
    return EventRecord(
        event=event,
        speech=[speech],
        texts=[text],
        entities=[entity],
        edges=edges,
        vectors={eid: _unit(rng), speech.id: _unit(rng), text.id: _unit(rng)},
        embedding_model="bench",
    )


def _pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def _timed(calls: list[Callable[[], object]]) -> list[float]:
    out: list[float] = []
    for call in calls:
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def _three_hops(store: EventGraphStore, entity: str) -> int:
    """Entity -> the events involving it -> their entities -> those entities' events."""
    reached: set[str] = set()
    for event in store.entity_events(entity)[:5]:
        for other in store.event_details(event.id).entities:
            reached.update(e.id for e in store.entity_events(other.id)[:20])
    return len(reached)


def _open(kind: str, root: Path, n: int) -> EventGraphStore:
    if kind == "networkx":
        return NetworkxEventStore(root / f"store-{n}.sqlite")
    from avas.graph.neo4j_store import Neo4jEventStore

    cfg = Settings().neo4j
    if not cfg.uri:
        raise SystemExit("--store neo4j needs AVAS_NEO4J__URI (scripts/neo4j-server start)")
    store = Neo4jEventStore(cfg.uri, cfg.user, cfg.password.get_secret_value(), cfg.database)
    return store.connect()


def _bulk_fill_neo4j(first: int, stop: int) -> None:
    """BENCHMARK-ONLY Neo4j fill of events first..stop-1 (see the module docstring): the store's
    commit_event.cypher with the rows of BULK_EVENTS records in one statement, one transaction
    each; every edge row is checked merged, as commit_event checks it."""
    import neo4j

    cfg = Settings().neo4j
    assert cfg.uri is not None
    query = load_queries()["commit_event"]
    auth = (cfg.user, cfg.password.get_secret_value())
    with neo4j.GraphDatabase.driver(cfg.uri, auth=auth) as driver:
        for start in range(first, stop, BULK_EVENTS):
            end = min(stop, start + BULK_EVENTS)
            params: dict[str, object] = {}
            rows: dict[str, list[dict[str, object]]] = {name: [] for name in EDGE_PARAMS.values()}
            for i in range(start, end):
                previous = event_id("bench", _span(i - 1)) if i > 0 else None
                one, edges = commit_params(_record(i, np.random.default_rng(i), previous))
                for key, value in one.items():
                    if isinstance(value, list):
                        params.setdefault(key, []).extend(value)  # type: ignore[attr-defined]
                    else:
                        params[key] = value
                for name, found in edges.items():
                    rows[name] += found
            # No event has the empty id: the query's clean-up of an earlier version is a no-op.
            params |= {"event_id": "", "keep_ids": []}

            def work(
                tx: neo4j.ManagedTransaction,
                params: dict[str, object] = params,
                rows: dict[str, list[dict[str, object]]] = rows,
            ) -> None:
                row = tx.run(query, params).single()
                assert row is not None and row["video_found"]
                for etype, name in EDGE_PARAMS.items():
                    check_edges(etype, rows[name], row["merged"][name])

            with driver.session(database=cfg.database) as session:
                session.execute_write(work)


def bench(
    kind: str, n: int, root: Path, writers: int, reuse: bool, fill: str, timed_n: int
) -> dict[str, object]:
    rng = np.random.default_rng(7)
    store = _open(kind, root, n)
    # An earlier run's fill (perhaps one stopped part-way): the table names the events it holds.
    if reuse and (held := len(store.events("bench"))):
        return _queries(kind, n, root, store, rng) | {
            "commits_per_s": float("nan"),
            "n": held,
            "how": "reused",
        }
    for video in store.videos():  # the Neo4j database is shared: start empty
        store.delete_video(video.id)
    store.upsert_video(
        Video(
            id="bench",
            path="/bench.mp4",
            duration_ms=n * 5_000,
            width=640,
            height=360,
            fps=25,
            has_audio=True,
        )
    )

    def write(first: int, stop: int) -> None:
        for i in range(first, stop):
            # One generator per event: the same records whichever writer makes them. NEXT
            # edges stay within a chunk (a chunk's predecessor may not be committed yet).
            previous = event_id("bench", _span(i - 1)) if i > first else None
            store.commit_event(_record(i, np.random.default_rng(i), previous))

    if fill == "bulk":
        # The bulk loader fills all but the last timed_n events; those are timed, one
        # commit_event each, at full size.
        timed = min(n, timed_n)
        _bulk_fill_neo4j(0, n - timed)
        started = time.perf_counter()
        for i in range(n - timed, n):
            previous = event_id("bench", _span(i - 1)) if i > 0 else None
            store.commit_event(_record(i, np.random.default_rng(i), previous))
        commit_s = time.perf_counter() - started
        how = f"bulk fill {n - timed}; commit_event timed on the last {timed}"
    else:
        # commits/s is timed on one writer over the first timed_n events (as ingest writes);
        # the rest may be filled by several writers in contiguous chunks, to reach 100k sooner.
        timed = min(n, timed_n) if writers > 1 else n
        started = time.perf_counter()
        write(0, timed)
        commit_s = time.perf_counter() - started
        size = max(1, -(-(n - timed) // writers))
        with ThreadPoolExecutor(max_workers=writers) as pool:
            list(pool.map(lambda a: write(a, min(n, a + size)), range(timed, n, size)))
        how = f"commit_event timed on the first {timed}" + (
            f", {writers} writers fill the rest" if timed < n else ""
        )
    return _queries(kind, n, root, store, rng) | {
        "commits_per_s": timed / commit_s,
        "n": n,
        "how": how,
    }


def _queries(
    kind: str, n: int, root: Path, store: EventGraphStore, rng: np.random.Generator
) -> dict[str, object]:
    names = [_record(i, np.random.default_rng(i), None).entities[0].name for i in range(50)]
    queries = [np.asarray(_unit(rng), dtype=np.float32) for _ in range(100)]
    vec = _timed([lambda q=q: store.vector_search(q, k=10) for q in queries])
    kw = _timed(
        [
            lambda i=i: store.keyword_search(
                f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]}", k=10, video_id="bench"
            )
            for i in range(100)
        ]
    )
    ent = _timed([lambda name=name: store.find_entities(name, k=5) for name in names])
    ids = [entity_id(EntityKind.TEXT, name) for name in names[:20]]
    hops = _timed([lambda e=e: _three_hops(store, e) for e in ids])
    store.close()
    t = time.perf_counter()
    reopened = _open(kind, root, n)
    reload_s = time.perf_counter() - t
    t = time.perf_counter()
    reopened.vector_search(queries[0], k=10)
    first_s = time.perf_counter() - t
    reopened.close()
    return {
        "vec_p50": _pct(vec, 50),
        "vec_p95": _pct(vec, 95),
        "kw_p50": _pct(kw, 50),
        "kw_p95": _pct(kw, 95),
        "ent_p95": _pct(ent, 95),
        "hop_p95": _pct(hops, 95),
        "reload_s": reload_s,
        "first_ms": first_s * 1000,
        # Linux reports ru_maxrss in KiB: the peak of this (client) process, not the server's.
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="graph store benchmark")
    parser.add_argument("--events", type=int, nargs="+", default=[10_000])
    parser.add_argument("--store", choices=["networkx", "neo4j"], nargs="+", default=["networkx"])
    parser.add_argument(
        "--writers",
        type=int,
        default=1,
        help=f"threads filling the events after the first {TIMED_COMMITS} (timed on one writer)",
    )
    parser.add_argument(
        "--fill",
        choices=["commit", "bulk"],
        default="commit",
        help="commit: every event through commit_event; bulk (Neo4j only): the benchmark-only "
        "loader fills all but the last --timed events, which are timed through commit_event",
    )
    parser.add_argument(
        "--timed", type=int, default=TIMED_COMMITS, help="commits timed for commits/s"
    )
    parser.add_argument(
        "--dir", type=Path, help="keep the embedded stores here (default: a temporary folder)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="a store that already holds events (an earlier --dir run's, or the Neo4j "
        "server's, even a fill stopped part-way) is not refilled: only the query phase runs, "
        "on the events it holds (commits/s: nan)",
    )
    args = parser.parse_args()
    if args.fill == "bulk" and args.store != ["neo4j"]:
        parser.error("--fill bulk is a Neo4j loader: use it with --store neo4j only")
    header = (
        f"{'store':>8} | {'events':>7} | {'commits/s':>9} | {'vector p50':>10} | "
        f"{'vector p95':>10} | {'keyword p50':>11} | {'keyword p95':>11} | "
        f"{'entity p95':>10} | {'3-hop p95':>9} | {'reload':>7} | {'1st query':>9} | "
        f"{'peak RSS':>8} | load before -> after | fill / timed"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for kind in args.store:
            for n in args.events:
                load_before = os.getloadavg()[0]
                r = bench(kind, n, root, args.writers, args.reuse, args.fill, args.timed)
                print(
                    f"{kind:>8} | {r['n']:>7.0f} | {r['commits_per_s']:>9.0f} | "
                    f"{r['vec_p50']:>7.1f} ms | "
                    f"{r['vec_p95']:>7.1f} ms | {r['kw_p50']:>8.1f} ms | {r['kw_p95']:>8.1f} ms | "
                    f"{r['ent_p95']:>7.1f} ms | {r['hop_p95']:>6.1f} ms | "
                    f"{r['reload_s']:>5.2f} s | {r['first_ms']:>6.1f} ms | "
                    f"{r['rss_mib']:>4.0f} MiB | {load_before:>6.1f} -> "
                    f"{os.getloadavg()[0]:<11.1f} | {r['how']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

"""Embedded store at scale: commits per second, vector and keyword search latency, reload time.

    .venv/bin/python -m benchmarks.store_bench --events 10000 100000

Synthetic records shaped like real ones (an event, one speech segment and one on-screen text,
each with a 384-dim unit vector, as the packaged MiniLM gives), written through the real store.
Targets (issue 5): at 100k events vector search p95 <= 50 ms and reload <= 5 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import (
    Edge,
    EdgeType,
    Event,
    EventRecord,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    Video,
    event_id,
    speech_id,
    text_id,
)

DIM = 384
WORDS = (
    "truck dock gate budget harbor bridge train ticket office night shift guard forklift pallet "
    "camera door visitor platform meeting lecture gradient clipping crane ship storm"
).split()


def _unit(rng: np.random.Generator) -> list[float]:
    v = rng.normal(size=DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()  # type: ignore[no-any-return]


def _record(i: int, rng: np.random.Generator, previous: Event | None) -> EventRecord:
    span = TimeSpan(start_ms=i * 5_000, end_ms=(i + 1) * 5_000)
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
    edges = [
        Edge(src="bench", dst=eid, type=EdgeType.HAS_EVENT),
        Edge(src=eid, dst=speech.id, type=EdgeType.HAS_SPEECH),
        Edge(src=eid, dst=text.id, type=EdgeType.SHOWS_TEXT),
    ]
    if previous is not None:
        edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0}))
    return EventRecord(
        event=event,
        speech=[speech],
        texts=[text],
        edges=edges,
        vectors={eid: _unit(rng), speech.id: _unit(rng), text.id: _unit(rng)},
        embedding_model="bench",
    )


def _pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def bench(n: int, root: Path) -> dict[str, float]:
    rng = np.random.default_rng(7)
    store = NetworkxEventStore(root / f"store-{n}.sqlite")
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
    started = time.perf_counter()
    previous: Event | None = None
    for i in range(n):
        record = _record(i, rng, previous)
        store.commit_event(record)
        previous = record.event
    commit_s = time.perf_counter() - started
    queries = [np.asarray(_unit(rng), dtype=np.float32) for _ in range(100)]
    vec: list[float] = []
    for q in queries:
        t = time.perf_counter()
        store.vector_search(q, k=10)
        vec.append(time.perf_counter() - t)
    kw: list[float] = []
    for i in range(100):
        t = time.perf_counter()
        store.keyword_search(f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]}", k=10)
        kw.append(time.perf_counter() - t)
    store.close()
    t = time.perf_counter()
    reopened = NetworkxEventStore(root / f"store-{n}.sqlite")
    reload_s = time.perf_counter() - t
    reopened.close()
    return {
        "commits_per_s": n / commit_s,
        "vec_p50": _pct(vec, 50),
        "vec_p95": _pct(vec, 95),
        "kw_p50": _pct(kw, 50),
        "kw_p95": _pct(kw, 95),
        "reload_s": reload_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="embedded store benchmark")
    parser.add_argument("--events", type=int, nargs="+", default=[10_000])
    args = parser.parse_args()
    header = (
        f"{'events':>8} | {'commits/s':>9} | {'vector p50':>10} | {'vector p95':>10} | "
        f"{'keyword p50':>11} | {'keyword p95':>11} | {'reload':>7}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.events:
            r = bench(n, Path(tmp))
            print(
                f"{n:>8} | {r['commits_per_s']:>9.0f} | {r['vec_p50']:>7.1f} ms | "
                f"{r['vec_p95']:>7.1f} ms | {r['kw_p50']:>8.1f} ms | {r['kw_p95']:>8.1f} ms | "
                f"{r['reload_s']:>5.2f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()

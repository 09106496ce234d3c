"""Moment search latency on a synthetic 10-hour corpus written straight into the embedded store.

    .venv/bin/python -m benchmarks.find_latency --hours 10 --event-ms 2000 --dir /tmp/avas-lat

No media: events (one per ``--event-ms``) are committed as EventRecords whose captions, speech
and on-screen texts come from a phrase vocabulary, with real embeddings from the packaged model
(each distinct phrase embedded once). The store is cached in ``--dir``; the first run builds it.
Reports p50/p95/max of ``MomentFinder.find`` (whole corpus and one video) and ``rank_videos``
over ``--queries`` queries of every kind: text codes, spoken phrases, visual, absurd.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from avas.graph.networkx_store import NetworkxEventStore
from avas.perception.base import Embedder
from avas.retrieval.moments import MomentFinder
from avas.service import Service
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

VIDEO_HOURS = 1  # the corpus is split into one-hour videos
_COLOURS = "red green blue purple grey orange yellow white".split()
_MOTION = ("still", "some motion", "much motion")
_ANIMALS = "pelican giraffe dolphin beaver falcon tortoise penguin kangaroo octopus walrus".split()
_OBJECTS = "lantern violin umbrella compass kettle telescope bicycle ladder blanket trumpet".split()
_PLACES = "harbor forest bakery stadium museum garden station".split()
_SIGNS = "DEPOT HANGAR ARCHIVE CLINIC GARAGE LIBRARY MARKET STUDIO TERMINAL WAREHOUSE".split()


def vocabulary(rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    """(speech sentences, on-screen texts, visual phrases): a few hundred distinct phrases."""
    speech = [
        f"The {a} found a {o} near the {p}." for a in _ANIMALS for o in _OBJECTS for p in _PLACES
    ]
    rng.shuffle(speech)
    texts = [f"{s} {n}" for s in _SIGNS for n in range(1, 31)]
    visual = [f"Scene: mostly {c}, bright, {m}." for c in _COLOURS for m in _MOTION]
    return speech[:400], texts, visual


def build_store(path: Path, embedder: Embedder, hours: float, event_ms: int) -> NetworkxEventStore:
    store = NetworkxEventStore(path)
    rng = random.Random(7)
    speech, texts, visual = vocabulary(rng)
    phrases = list(dict.fromkeys(speech + texts + visual))
    started = time.perf_counter()
    vecs: dict[str, npt.NDArray[np.float32]] = dict(
        zip(phrases, embedder.embed(phrases), strict=True)
    )
    print(f"embedded {len(phrases)} phrases in {time.perf_counter() - started:.1f} s", flush=True)
    video_ms = VIDEO_HOURS * 3_600_000
    n_videos = max(1, round(hours / VIDEO_HOURS))
    started = time.perf_counter()
    events = 0
    for v in range(n_videos):
        vid = f"synthetic{v:02d}"
        if (existing := store.get_video(vid)) is not None and existing.status == "complete":
            continue
        video = Video(id=vid, path=f"/dev/null/{vid}.mp4", duration_ms=video_ms, width=640,
                      height=360, fps=25.0, has_audio=True)  # fmt: skip
        store.upsert_video(video)
        previous: Event | None = None
        sign = rng.choice(texts)
        for start in range(0, video_ms, event_ms):
            span = TimeSpan(start_ms=start, end_ms=start + event_ms)
            eid = event_id(vid, span)
            if rng.random() < 0.1:  # a sign stays up for a while, as real ones do
                sign = rng.choice(texts)
            shown = [sign] if rng.random() < 0.5 else []
            said = [rng.choice(speech)] if rng.random() < 0.6 else []
            look = rng.choice(visual)
            parts = [look]
            if shown:
                parts.append(f"On-screen text: “{shown[0]}”.")
            if said:
                parts.append(f"Speech: “{said[0]}”")
            description = " ".join(parts)
            sp = [
                SpeechSegment(id=speech_id(vid, span), video_id=vid, span=span, text=s,
                              model="synthetic", confidence=0.9)
                for s in said
            ]  # fmt: skip
            tx = [
                OnScreenText(id=text_id(vid, span, t), video_id=vid, span=span, text=t,
                             model="synthetic", confidence=0.9)
                for t in shown
            ]  # fmt: skip
            edges = [Edge(src=vid, dst=eid, type=EdgeType.HAS_EVENT)]
            if previous is not None:
                edges.append(
                    Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0})
                )
            edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in sp]
            edges += [Edge(src=eid, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in tx]
            # A description's embedding is its look's: close enough for timing, and cheap.
            vectors = {eid: vecs[look].tolist()}
            vectors |= {s.id: vecs[s.text].tolist() for s in sp}
            vectors |= {t.id: vecs[t.text].tolist() for t in tx}
            event = Event(id=eid, video_id=vid, span=span, description=description)
            store.commit_event(
                EventRecord(event=event, speech=sp, texts=tx, edges=edges, vectors=vectors,
                            embedding_model=embedder.model_id)
            )  # fmt: skip
            previous = event
            events += 1
        store.upsert_video(video.model_copy(update={"status": "complete"}))
        print(f"  {vid}: {events} events so far, {time.perf_counter() - started:.0f} s", flush=True)
    return store


def queries(n: int, rng: random.Random) -> list[str]:
    speech, texts, _ = vocabulary(random.Random(7))
    pool = []
    for i in range(n):
        match i % 5:
            case 0:
                pool.append(rng.choice(texts))
            case 1:
                a, o = rng.choice(_ANIMALS), rng.choice(_OBJECTS)
                pool.append(f"what did they say about the {a} and the {o}?")
            case 2:
                pool.append(f"the {rng.choice(_COLOURS)} scene")
            case 3:
                pool.append(rng.choice(speech).rstrip("."))
            case _:
                pool.append(f"zxq{i} blorptangle wibbleflux")
    return pool


def timed(fn: Callable[[str], object], qs: Sequence[str]) -> list[float]:
    fn(qs[0])  # warm caches (the vector matrix is stacked on first search)
    out = []
    for q in qs:
        started = time.perf_counter()
        fn(q)
        out.append(1000 * (time.perf_counter() - started))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/avas-bench-latency"))
    parser.add_argument("--hours", type=float, default=10)
    parser.add_argument("--event-ms", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="torch intra-op threads for the query embedding (0: torch's default). On a small "
        "machine torch's spinning threads and numpy's BLAS threads fight: one is faster.",
    )
    args = parser.parse_args(argv)
    embedder = Service().embedder
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    store = build_store(args.dir / "store.sqlite", embedder, args.hours, args.event_ms)
    stats = store.stats()
    print(f"corpus: {stats.videos} videos, nodes {stats.nodes}")
    finder = MomentFinder(store, embedder)
    qs = queries(args.queries, random.Random(11))
    embed_ms = timed(lambda q: embedder.embed([q]), qs)
    runs = {
        "embed query only": embed_ms,
        "find (corpus)": timed(lambda q: finder.find(q, k=10), qs),
        "find (one video)": timed(lambda q: finder.find(q, video_id="synthetic00", k=10), qs),
        "rank_videos": timed(lambda q: finder.rank_videos(q, k=10), qs),
    }
    threads = args.torch_threads or "default"
    print(f"\n{len(qs)} queries, torch threads: {threads}\n")
    print(f"{'':<18}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for name, ms in runs.items():
        p95 = float(np.percentile(ms, 95))
        print(f"{name:<18}{statistics.median(ms):>9.1f}{p95:>9.1f}{max(ms):>9.1f}")
    store.close()


if __name__ == "__main__":
    main()

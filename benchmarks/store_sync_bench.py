"""One store, many processes: what a reader pays to see another connection's commits.

    .venv/bin/python -m benchmarks.store_sync_bench --events 10000 100000

A writer and a reader open the same embedded store (two connections, as `avas ingest` and
`avas serve` do). The writer commits one more event (or removes a small video); the reader's
next read mirrors it from the change log. Printed beside a full reload (opening the store anew),
which is what a reader without the change log would have to do, and the cost of a read that
finds nothing new (PRAGMA data_version only).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from avas.graph.networkx_store import NetworkxEventStore
from benchmarks.store_bench import DIM, _record
from graph_schema import Edge, EdgeType, Event, EventRecord, TimeSpan, Video, event_id


def _video(video_id: str) -> Video:
    return Video(
        id=video_id,
        path=f"/media/{video_id}.mp4",
        duration_ms=0,
        width=640,
        height=360,
        fps=25,
        has_audio=True,
    )


def _small(video_id: str, rng: np.random.Generator) -> EventRecord:
    span = TimeSpan(start_ms=0, end_ms=5_000)
    eid = event_id(video_id, span)
    vec = rng.normal(size=DIM).astype(np.float32)
    return EventRecord(
        event=Event(id=eid, video_id=video_id, span=span, description="a small video"),
        edges=[Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT)],
        vectors={eid: (vec / np.linalg.norm(vec)).tolist()},
        embedding_model="bench",
    )


def bench(n: int, root: Path, rounds: int = 20) -> dict[str, float]:
    path = root / f"sync-{n}.sqlite"
    writer = NetworkxEventStore(path)
    writer.upsert_video(_video("bench"))
    rng = np.random.default_rng(0)
    previous: Event | None = None
    for i in range(n):
        record = _record(i, rng, previous)
        writer.commit_event(record)
        previous = record.event

    started = time.perf_counter()
    reader = NetworkxEventStore(path, sync_interval_ms=0)
    full_reload_s = time.perf_counter() - started

    idle = []
    for _ in range(rounds):
        t = time.perf_counter()
        reader.get_video("bench")
        idle.append(time.perf_counter() - t)

    one_event = []
    for j in range(rounds):
        record = _record(n + j, rng, previous)
        writer.commit_event(record)
        previous = record.event
        t = time.perf_counter()
        assert reader.has_event(record.event.id)
        one_event.append(time.perf_counter() - t)

    removal = []
    for j in range(rounds):
        vid = f"small{j}"
        writer.upsert_video(_video(vid))
        writer.commit_event(_small(vid, rng))
        reader.get_video(vid)  # mirrored (not timed)
        writer.delete_video(vid)
        t = time.perf_counter()
        assert reader.get_video(vid) is None
        removal.append(time.perf_counter() - t)
    reader.close()
    writer.close()
    return {
        "events": n,
        "full_reload_ms": full_reload_s * 1000,
        "no_change_read_ms": statistics.median(idle) * 1000,
        "one_event_sync_ms": statistics.median(one_event) * 1000,
        "video_removal_sync_ms": statistics.median(removal) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="cross-process store sync benchmark")
    parser.add_argument("--events", type=int, nargs="+", default=[10_000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.events:
            rows.append(bench(n, Path(tmp)))
    cols = list(rows[0])
    print(" | ".join(f"{c:>22}" for c in cols))
    for row in rows:
        print(" | ".join(f"{row[c]:>22.2f}" if c != "events" else f"{row[c]:>22}" for c in cols))


if __name__ == "__main__":
    main()

"""A store writer in a process of its own, for the crash and multi-process contract tests.

    python tests/contract/store_worker.py networkx /tmp/t talk 0 40   # events 0..39 of "talk"
    python tests/contract/store_worker.py neo4j - talk 0 40           # AVAS_NEO4J__* from the env

Commits one event at a time (speech, text, an entity, the NEXT edge to its predecessor) and
prints "committed <i>" once each commit has returned, so the parent knows what is durable.
"""

from __future__ import annotations

import sys
from pathlib import Path

from test_store_contract import DIM, make_record, make_video

from avas.graph.base import EventGraphStore
from avas.graph.networkx_store import NetworkxEventStore
from graph_schema import EventRecord

STEP_MS = 1_000


def record(video_id: str, i: int, previous: EventRecord | None) -> EventRecord:
    """Event i: two speech pieces, one text and one entity, all findable by ``marker<i>``."""
    return make_record(
        i * STEP_MS,
        (i + 1) * STEP_MS,
        f"scene marker{i:05d} of {video_id}",
        video_id=video_id,
        speech=[f"first words marker{i:05d}", "second words"],
        texts=[f"SIGN{i % 5}"],
        entities=[f"SIGN{i % 5}"],
        previous=previous.event if previous is not None else None,
    )


def open_store(kind: str, where: str) -> EventGraphStore:
    if kind == "networkx":
        return NetworkxEventStore(Path(where) / "store.sqlite")
    from neo4j_factory import open_neo4j_store

    return open_neo4j_store(vector_dimensions=DIM)


def main(kind: str, where: str, video_id: str, first: int, count: int) -> None:
    store = open_store(kind, where)
    try:
        store.upsert_video(make_video(video_id))
        previous = record(video_id, first - 1, None) if first > 0 else None
        for i in range(first, first + count):
            rec = record(video_id, i, previous)
            store.commit_event(rec)
            print(f"committed {i}", flush=True)
            previous = rec
    finally:
        store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))

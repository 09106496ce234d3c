"""Chunked ingest on a real two-node Ray cluster (both nodes on 127.0.0.1, one CPU each).

The 4-minute video is ingested in 1-minute chunks and compared with the single-process ingest
of the same file: the events tile the video the same way, the answers cite the same spans. A
worker killed mid-chunk is retried; an interrupted run resumes and redoes nothing committed; a
broken file fails alone. Every Ray process talks on loopback only.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from ray_support import assert_tiles_like, fresh_service, ours, ray_workers

from avas.cluster.ingest import ClusterProgress, ClusterReport, ingest_on_ray
from avas.cluster.net import is_loopback
from avas.media.sample import SampleManifest
from avas.service import Service
from graph_schema import TimeSpan

pytestmark = pytest.mark.slow

CHUNK_MS = 60_000
QUESTIONS = (
    ("What did the speaker say about the budget?", "million"),
    ("What on-screen text mentions the harbor?", "HARBOR"),
    ("What text appeared right after 'LOADING DOCK B'?", "BUDGET"),
)


def _answers(service: Service, video_id: str) -> list[tuple[str, TimeSpan | None]]:
    """Each question's answer text and first cited span."""
    from agents.graph import agent_for, ask

    agent = agent_for(service)
    found = []
    for question, _ in QUESTIONS:
        answer = ask(agent, question, video_id=video_id)
        found.append((answer.text, answer.citations[0].span if answer.citations else None))
    return found


@pytest.fixture(scope="module")
def chunked(
    ray_cluster: Any, long_video: SampleManifest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Service, list[ClusterReport], list[ClusterProgress]]:
    """The 4-minute video and a broken file, ingested together on the cluster."""
    broken = tmp_path_factory.mktemp("broken") / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(4000))
    service = fresh_service(tmp_path_factory.mktemp("chunked"))
    seen: list[ClusterProgress] = []
    reports = ingest_on_ray(
        service,
        [Path(long_video.path), broken],
        names=["long", "broken"],
        chunk_ms=CHUNK_MS,
        progress=seen.append,
    )
    return service, reports, seen


def test_chunked_ingest_tiles_the_video_like_one_process(
    chunked: tuple[Service, list[ClusterReport], list[ClusterProgress]],
    reference: Service,
    long_video: SampleManifest,
) -> None:
    service, (report, _), seen = chunked
    assert report.error is None
    assert report.chunks >= 4  # 4 minutes in 1-minute chunks
    chunked_events, theirs = service.store.events("long"), reference.store.events("long")
    assert_tiles_like(chunked_events, theirs, long_video.duration_ms)
    # Each chunk produced exactly the windows planned from the stitched segmentation.
    assert report.mismatched_windows == 0
    # Every event but the first follows the one before it, across seams too.
    for before, after in itertools.pairwise(chunked_events):
        details = service.store.neighbors(after.id, before=1, after=0)
        assert [e.id for e in details] == [before.id]
    # Both nodes perceived, and progress counted the chunks up to all of them.
    assert report.nodes_used == 2
    done = [p.chunks_done for p in seen if p.video_id == "long" and p.stage == "perceive"]
    assert done == list(range(1, report.chunks + 1))
    assert seen[-1].nodes == 2 and seen[-1].workers == 2
    assert service.store.get_video("long").status == "complete"  # type: ignore[union-attr]


def test_chunked_ingest_answers_like_one_process(
    chunked: tuple[Service, list[ClusterReport], list[ClusterProgress]], reference: Service
) -> None:
    service, _, _ = chunked
    mine, theirs = _answers(service, "long"), _answers(reference, "long")
    for (question, fact), (text, span), (_, their) in zip(QUESTIONS, mine, theirs, strict=True):
        assert fact.casefold() in text.casefold(), (question, text)
        # The same moment is cited (a span may be longer where two like events were merged).
        assert span is not None and their is not None and span.overlaps(their), question


def test_a_broken_file_fails_alone(
    chunked: tuple[Service, list[ClusterReport], list[ClusterProgress]],
) -> None:
    service, (good, bad), _ = chunked
    assert good.error is None and good.events > 0
    assert bad.error is not None and "InputError" in bad.error and "broken.mp4" in bad.error
    assert service.store.get_video("broken") is None


def test_a_killed_worker_has_its_chunk_retried(
    ray_cluster: Any, long_video: SampleManifest, reference: Service, tmp_path: Path
) -> None:
    service = fresh_service(tmp_path)
    killed: list[int] = []
    stop = threading.Event()

    def kill_one_perceiving_worker() -> None:
        # Ray titles a worker process after the task it runs.
        while not stop.is_set() and not killed:
            for proc in ray_workers("ray::avas-perceive-chunk"):
                time.sleep(2)  # mid-chunk: its models are loading or it is perceiving
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                killed.append(proc.pid)
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_one_perceiving_worker, daemon=True)
    killer.start()
    try:
        (report,) = ingest_on_ray(
            service, [Path(long_video.path)], names=["long"], chunk_ms=CHUNK_MS
        )
    finally:
        stop.set()
        killer.join(10)
    assert killed, "no perceiving worker was seen to kill"
    assert report.error is None
    assert_tiles_like(
        service.store.events("long"), reference.store.events("long"), long_video.duration_ms
    )
    service.close()


def test_an_interrupted_run_resumes_and_redoes_nothing(
    ray_cluster: Any, long_video: SampleManifest, reference: Service, tmp_path: Path
) -> None:
    service = fresh_service(tmp_path)

    def interrupt_after_two_chunks(p: ClusterProgress) -> None:
        if p.stage == "perceive" and p.chunks_done == 2:
            raise KeyboardInterrupt  # as Ctrl-C would, between two commits

    with pytest.raises(KeyboardInterrupt):
        ingest_on_ray(
            service,
            [Path(long_video.path)],
            names=["long"],
            chunk_ms=CHUNK_MS,
            progress=interrupt_after_two_chunks,
        )
    kept = service.store.events("long")
    assert kept and service.store.get_video("long").status == "ingesting"  # type: ignore[union-attr]

    (resumed,) = ingest_on_ray(service, [Path(long_video.path)], names=["long"], chunk_ms=CHUNK_MS)
    assert resumed.error is None
    assert resumed.events_skipped == len(kept)
    assert resumed.resumed_from_ms == kept[-1].span.end_ms > 0
    # Only what was not committed was perceived again: no chunk starts before the resume point.
    assert resumed.media_ms == long_video.duration_ms - resumed.resumed_from_ms
    events = service.store.events("long")
    assert_tiles_like(events, reference.store.events("long"), long_video.duration_ms)
    assert events[: len(kept)] == kept  # what was committed stayed as it was
    # The NEXT chain runs across the resume point.
    for before, after in itertools.pairwise(events):
        assert [e.id for e in service.store.neighbors(after.id, before=1, after=0)] == [before.id]

    (again,) = ingest_on_ray(service, [Path(long_video.path)], names=["long"], chunk_ms=CHUNK_MS)
    assert (again.chunks, again.plan_chunks, again.events) == (0, 0, 0)
    service.close()


def test_every_ray_process_talks_on_loopback_only(chunked: Any) -> None:
    """After tasks ran on both nodes: no socket of the driver, the raylets, the GCS, the agents
    or the workers listens on or connects to anything but loopback."""
    children = ours()  # a process that ends meanwhile is left out, not an error
    assert any("raylet" in cmdline for _, cmdline in children)
    outside = []
    for proc, cmdline in [(psutil.Process(), "the driver"), *children]:
        try:
            conns = proc.net_connections(kind="inet")
        except psutil.Error:
            continue
        for c in conns:
            local = c.laddr.ip if c.laddr else None
            remote = c.raddr.ip if c.raddr else None
            if (local and not is_loopback(local)) or (remote and not is_loopback(remote)):
                outside.append((proc.pid, cmdline[:60], c.laddr, c.raddr))
    assert outside == []

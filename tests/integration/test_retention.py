"""Retention over an accelerated replay of three simulated hours of a camera, through the real
pipeline (decode, scene cuts, OCR, embeddings, the embedded store).

A 2-minute generated clip is replayed back to back as one live stream: each replay is an ingest
run that continues the stored timeline where the last one ended, exactly as the pipeline does
when a camera reconnects. Retention runs every 10 simulated minutes, as the monitor's
housekeeping does. Frames are small and sampled every 4 s to keep the CPU cost down.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from avas.config import IngestSettings, PerceptionSettings, SegmentSettings, Settings
from avas.graph.networkx_store import NetworkxEventStore
from avas.ingest import open_source
from avas.ingest.base import AudioChunk, Frame, Gap, MediaSource, SourceInfo
from avas.knowledge.retention import RetentionReport, cutoff_ms, parse_duration_ms, prune_video
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, make_sample_video
from avas.pipeline import IngestPipeline
from avas.service import Service
from graph_schema import NodeKind, TimeSpan

CLIP_MS = 120_000
SEGMENT_MS = 600_000  # the default summary segment: 10 minutes
KEEP_MS = 1_800_000  # half an hour of detail
REPLAYS = 90  # 3 hours
INTRUDER_REPLAY = 2  # 4-6 min: rolled off long before the end
STREAM_URI = "udp://127.0.0.1:5999"


def _clip(folder: Path, name: str, third: str) -> SampleManifest:
    spec = SampleSpec(
        width=320,
        height=180,
        fps=5,
        scenes=[
            SceneSpec(duration_ms=30_000, background="blue", text="ZONE ALPHA"),
            SceneSpec(duration_ms=30_000, background="green", text="ZONE BRAVO"),
            SceneSpec(duration_ms=30_000, background="red", text=third),
            SceneSpec(duration_ms=30_000, background="gray", text="ZONE DELTA"),
        ],
    )
    return make_sample_video(folder / f"{name}.mp4", spec)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SampleManifest]:
    folder = tmp_path_factory.mktemp("retention-media")
    return {
        "routine": _clip(folder, "routine", "ZONE CHARLIE"),
        "intruder": _clip(folder, "intruder", "INTRUDER ALERT"),
        "forklift": _clip(folder, "forklift", "FORKLIFT SEVEN"),
    }


class _AsCamera:
    """A file presented as a live camera: same address each time, no duration, so the pipeline
    continues the stream's stored timeline after the last committed event."""

    def __init__(self, inner: MediaSource) -> None:
        self.inner = inner
        self.info = SourceInfo(
            **inner.info.model_dump() | {"uri": STREAM_URI, "is_live": True, "duration_ms": None}
        )

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        return self.inner.frames(start_ms)

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        return self.inner.audio(start_ms)

    def gaps(self) -> list[Gap]:
        return []

    def close(self) -> None:
        self.inner.close()


def _bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def test_parse_duration() -> None:
    assert parse_duration_ms("6h") == 21_600_000
    assert parse_duration_ms("1h30m") == 5_400_000
    assert cutoff_ms(3_700_000, keep_ms=1_800_000, segment_ms=SEGMENT_MS) == 1_800_000
    assert cutoff_ms(1_000, keep_ms=1_800_000, segment_ms=SEGMENT_MS) == 0


def test_three_hours_replayed_stay_bounded(
    service: Service, clips: dict[str, SampleManifest], tmp_path: Path
) -> None:
    settings = Settings(
        home=tmp_path,
        ingest=IngestSettings(sample_fps=0.25, max_side_px=320),
        segment=SegmentSettings(summary_segment_ms=SEGMENT_MS),
        perception=PerceptionSettings(asr="none", presence=False),
    )
    store = NetworkxEventStore(settings.store_path)
    # The session's models (OCR, embeddings): loading them again would only cost time.
    pipeline = IngestPipeline(
        settings, store, embedder=service.embedder, reader=service.text_reader, asr=None
    )
    video_id = "dock"
    samples: list[tuple[int, int, int]] = []  # (simulated ms, events kept, store bytes)
    reports: list[RetentionReport] = []
    for i in range(REPLAYS):
        kind = {INTRUDER_REPLAY: "intruder", REPLAYS - 1: "forklift"}.get(i, "routine")
        source = _AsCamera(open_source(clips[kind].path, settings.ingest))
        try:
            report = pipeline.run(source, name=video_id)
        finally:
            source.close()
        assert report.resumed_from_ms == i * CLIP_MS and report.events >= 4, report
        if (i + 1) % 5 == 0:  # every 10 simulated minutes
            pruned = prune_video(
                store, service.embedder, video_id, keep_ms=KEEP_MS, segment_ms=SEGMENT_MS
            )
            reports.append(pruned)
            samples.append(((i + 1) * CLIP_MS, len(store.events(video_id)), _bytes(store.path)))

    print(f"\nretention samples (sim ms, events, bytes): {samples}")
    end_ms = REPLAYS * CLIP_MS
    events = store.events(video_id)
    # Detail is kept for the window (plus the segment that has not closed yet), no further.
    assert events[-1].span.end_ms == end_ms
    assert events[0].span.start_ms == cutoff_ms(end_ms, keep_ms=KEEP_MS, segment_ms=SEGMENT_MS)
    assert sum(r.events_deleted for r in reports) > 4 * len(events)
    # Bounded: after the first hour (window full), kept events and file size stop growing.
    steady = [s for s in samples if s[0] >= 3_600_000]
    most_events = max(n for _, n, _ in steady)
    # A camera's events last at most the live maximum (shorter than a file's 30 s).
    longest_ms = min(30_000, settings.segment.live_max_event_ms)
    assert most_events <= (KEEP_MS + SEGMENT_MS) // longest_ms + 4, samples
    # The file stops growing once the window and the store's change log (CHANGES_KEPT rows,
    # for other processes' readers) have both filled: by the second hour here.
    settled = [s for s in samples if s[0] >= 7_200_000]
    second_hour_bytes = settled[0][2]
    assert max(b for _, _, b in settled) <= second_hour_bytes * 1.3, samples
    assert store.consistency_problems() == []

    # Each rolled-off segment has one whole-segment summary; the planted text survives in it.
    segments = store.summaries(video_id, level="segment")
    rolled = [s for s in segments if s.span.end_ms <= events[0].span.start_ms]
    assert [s.span.start_ms for s in rolled] == list(range(0, events[0].span.start_ms, SEGMENT_MS))
    assert all(s.span.duration_ms == SEGMENT_MS for s in rolled)
    intruder_at = INTRUDER_REPLAY * CLIP_MS + 60_000
    (old,) = [s for s in rolled if s.span.start_ms <= intruder_at < s.span.end_ms]
    assert "INTRUDER" in old.text.upper(), old.text
    kinds = [NodeKind.SUMMARY, NodeKind.EVENT, NodeKind.TEXT]
    hits = store.keyword_search("intruder", k=5, kinds=kinds, video_id=video_id)
    assert [h.kind for h in hits] == [NodeKind.SUMMARY], hits  # the detail itself is gone
    assert len(store.summaries(video_id, level="video")) == 1

    # Recent detail still answers questions, with the span of the last replay.
    from agents.graph import ask, build_agent
    from agents.tools import Toolkit
    from avas.retrieval.hybrid import HybridRetriever

    agent = build_agent(
        Toolkit(store, HybridRetriever(store, service.embedder)),
        min_dense=settings.agent.min_dense_score,
    )
    answer = ask(agent, "What text mentions the forklift?", video_id=video_id)
    assert answer.found, answer.text
    last = TimeSpan(start_ms=end_ms - CLIP_MS, end_ms=end_ms)
    assert answer.citations[0].span.overlaps(last), answer
    store.close()

    # `avas graph prune` in another process: a shorter window, then bad input named.
    env = {**os.environ, "AVAS_HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "200"}
    cli = [sys.executable, "-m", "avas.interfaces.cli", "graph", "prune"]
    proc = subprocess.run(
        [*cli, "--keep", "20m", "--video", video_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    pruned = RetentionReport.model_validate_json(proc.stdout)
    assert pruned.before_ms == end_ms - 2 * SEGMENT_MS and pruned.events_deleted > 0, pruned
    for args, named in ((["--keep", "6x"], "6x"), (["--keep", "1h", "--video", "nope"], "nope")):
        bad = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, check=False)
        assert bad.returncode == 2 and named in bad.stderr, bad.stderr
    again = NetworkxEventStore(settings.store_path)
    assert again.events(video_id)[0].span.start_ms == end_ms - 2 * SEGMENT_MS
    again.close()

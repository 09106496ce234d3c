"""Chunk planning, the segmentation pass's seams and record stitching, without Ray.

The seam tests segment real generated videos (ffmpeg) in parts and check the stitched windows
against one uninterrupted pass over the same file.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from avas.cluster.net import address_host, is_loopback
from avas.cluster.plan import (
    SegmentPart,
    group_windows,
    keyframes_ms,
    plan_chunks,
    segment_windows,
    stitch_windows,
)
from avas.cluster.seams import stitch_records, tiling_problems
from avas.config import Settings
from avas.media.sample import SampleSpec, SceneSpec, make_sample_video
from graph_schema import Edge, EdgeType, Event, EventRecord, TimeSpan, event_id


def test_loopback_addresses_are_told_from_the_rest() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "[::1]"):
        assert is_loopback(host), host
    # Classifier data only, never a target: the addresses just outside 127.0.0.0/8 (computed,
    # so no test text names a routable address), the unspecified ones, and names.
    loop = ipaddress.ip_network("127.0.0.0/8")
    outside = (str(loop.network_address - 1), str(loop.broadcast_address + 1))
    for host in ("0.0.0.0", "::", "::2", *outside, "localhost", "head.example", ""):
        assert not is_loopback(host), host
    assert address_host("127.0.0.1:6379") == "127.0.0.1"
    assert address_host("ray://head.example:10001") == "head.example"
    assert address_host("[::1]:6379") == "::1"


def test_chunks_start_at_the_last_keyframe_before_each_boundary() -> None:
    keys = [0, 10_000, 20_000, 50_000, 58_000, 70_000, 119_000, 125_000]
    chunks = plan_chunks(keys, duration_ms=150_000, chunk_ms=60_000, overlap_ms=15_000)
    assert [(c.start_ms, c.end_ms) for c in chunks] == [
        (0, 58_000),
        (58_000, 119_000),
        (119_000, 150_000),
    ]
    # Reads overlap the neighbours and start on the 1 s sampling grid; the last reaches the end.
    assert [(c.read_from_ms, c.read_to_ms) for c in chunks] == [
        (0, 73_000),
        (43_000, 134_000),
        (104_000, 150_000),
    ]
    assert [c.final for c in chunks] == [False, False, True]


def test_a_stretch_without_keyframes_makes_a_longer_chunk_and_a_resume_plans_the_rest() -> None:
    chunks = plan_chunks([0, 130_000], duration_ms=200_000, chunk_ms=60_000, overlap_ms=0)
    assert [(c.start_ms, c.end_ms) for c in chunks] == [(0, 130_000), (130_000, 200_000)]
    resumed = plan_chunks(
        [0, 130_000], duration_ms=200_000, chunk_ms=60_000, overlap_ms=0, from_ms=150_000
    )
    assert [(c.start_ms, c.end_ms) for c in resumed] == [(150_000, 200_000)]


@pytest.fixture(scope="module")
def cutting_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 s: scenes of 25, 45 and 30 s (the 45 s one is longer than max_event_ms) ."""
    spec = SampleSpec(
        scenes=[
            SceneSpec(duration_ms=25_000, background="blue", text="FIRST"),
            SceneSpec(duration_ms=45_000, background="smptebars", text="SECOND"),
            SceneSpec(duration_ms=30_000, background="mandelbrot", text="THIRD"),
        ]
    )
    path = tmp_path_factory.mktemp("seams") / "cuts.mp4"
    make_sample_video(path, spec)
    return path


@pytest.fixture(scope="module")
def static_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 s of one scene: no cut at all, only max_event_ms splits."""
    spec = SampleSpec(scenes=[SceneSpec(duration_ms=100_000, background="green", text="STILL")])
    path = tmp_path_factory.mktemp("seams") / "static.mp4"
    make_sample_video(path, spec)
    return path


def _parts(path: Path, settings: Settings, chunk_ms: int, overlap_ms: int) -> list[SegmentPart]:
    duration = 100_000
    chunks = plan_chunks(
        keyframes_ms(path, settings.ingest),
        duration_ms=duration,
        chunk_ms=chunk_ms,
        overlap_ms=overlap_ms,
    )
    assert len(chunks) > 1
    return [
        segment_windows(path, settings, c.read_from_ms, c.read_to_ms, final=c.final) for c in chunks
    ]


@pytest.mark.parametrize("video", ["cutting_video", "static_video"])
def test_stitched_chunk_segmentations_equal_one_pass(
    video: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(video)
    settings = Settings()
    whole = segment_windows(path, settings, 0, 100_000, final=True).windows
    bridges: list[tuple[int, int]] = []

    def bridge(from_ms: int, to_ms: int, final: bool) -> SegmentPart:
        bridges.append((from_ms, to_ms))
        return segment_windows(path, settings, from_ms, to_ms, final=final)

    parts = _parts(path, settings, chunk_ms=30_000, overlap_ms=10_000)
    # Each part alone splits differently from one pass somewhere: the stitching is needed.
    assert any(
        {(w.start_ms, w.end_ms) for w in p.windows[:-1]} - {(w.start_ms, w.end_ms) for w in whole}
        for p in parts[1:]
    )
    stitched = stitch_windows(parts, bridge)
    assert [(w.start_ms, w.end_ms, w.cut) for w in stitched] == [
        (w.start_ms, w.end_ms, w.cut) for w in whole
    ]
    # Where one scene covers a whole overlap, a seam is segmented again (always, without cuts).
    if video == "static_video":
        assert bridges
    groups = group_windows(stitched, 30_000)
    assert [w for g in groups for w in g] == stitched
    firsts = [g[0].start_ms // 30_000 for g in groups]
    assert firsts == sorted(set(firsts))


def _record(video: str, start: int, end: int, previous: str | None = None) -> EventRecord:
    span = TimeSpan(start_ms=start, end_ms=end)
    eid = event_id(video, span)
    edges = [Edge(src=video, dst=eid, type=EdgeType.HAS_EVENT)]
    if previous:
        edges.append(Edge(src=previous, dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0}))
    return EventRecord(
        event=Event(id=eid, video_id=video, span=span, description=f"{start}-{end}"),
        edges=edges,
    )


def test_overlapping_chunk_records_keep_each_event_once_and_link_across_the_seam() -> None:
    a = [_record("v", 0, 20_000), _record("v", 20_000, 45_000), _record("v", 45_000, 70_000)]
    # The later chunk began mid-scene (an artificial first event), then agrees from 45 s on.
    # Each chunk linked its events to its own previous one: 45 s follows the artificial 38 s.
    b = [
        _record("v", 38_000, 45_000),
        _record(
            "v", 45_000, 70_000, previous=event_id("v", TimeSpan(start_ms=38_000, end_ms=45_000))
        ),
        _record(
            "v", 70_000, 90_000, previous=event_id("v", TimeSpan(start_ms=45_000, end_ms=70_000))
        ),
    ]
    out = stitch_records([a, b])
    spans = [(r.event.span.start_ms, r.event.span.end_ms) for r in out]
    assert spans == [(0, 20_000), (20_000, 45_000), (45_000, 70_000), (70_000, 90_000)]
    assert [r.event.id for r in out] == [event_id("v", r.event.span) for r in out]
    nexts = [[e.src for e in r.edges if e.type == EdgeType.NEXT] for r in out]
    assert nexts == [[], [out[0].event.id], [out[1].event.id], [out[2].event.id]]
    assert tiling_problems([r.event for r in out], duration_ms=90_000) == []


def test_tiling_problems_name_gaps_overlaps_and_uncovered_ends() -> None:
    events = [r.event for r in (_record("v", 0, 10_000), _record("v", 12_500, 20_000))]
    assert tiling_problems(events, duration_ms=20_000) == ["gap 00:10–00:12"]
    events = [r.event for r in (_record("v", 0, 10_000), _record("v", 8_000, 20_000))]
    assert "overlaps" in tiling_problems(events)[0]
    events = [_record("v", 3_000, 10_000).event]
    assert tiling_problems(events, duration_ms=30_000) == [
        "nothing before 00:03",
        "nothing after 00:10",
    ]
    # Within a second either way is a tiling (frame rounding at seams).
    events = [r.event for r in (_record("v", 0, 10_000), _record("v", 10_900, 20_000))]
    assert tiling_problems(events, duration_ms=20_500) == []

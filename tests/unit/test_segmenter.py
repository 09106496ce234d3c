"""Streaming shot-cut segmentation on synthetic frames with known cuts."""

from __future__ import annotations

import itertools

import numpy as np

from avas.ingest.base import Frame
from avas.segment.scene_cut import SceneCutSegmenter


def _frame(ts_ms: int, rgb: tuple[int, int, int]) -> Frame:
    return Frame(ts_ms=ts_ms, rgb=np.full((36, 64, 3), rgb, dtype=np.uint8))


def _run(colours: list[tuple[int, int, int]], **kw: int) -> list[tuple[int, int]]:
    seg = SceneCutSegmenter(
        min_event_ms=kw.get("min_ms", 2000), max_event_ms=kw.get("max_ms", 30_000), threshold=20
    )
    spans = []
    for i, c in enumerate(colours):
        spans += [(w.span.start_ms, w.span.end_ms) for w in seg.push(_frame(i * 1000, c))]
    spans += [(w.span.start_ms, w.span.end_ms) for w in seg.flush(len(colours) * 1000)]
    return spans


RED, BLUE, GREEN = (200, 0, 0), (0, 0, 200), (0, 200, 0)


def test_cuts_where_the_picture_changes() -> None:
    assert _run([RED] * 5 + [BLUE] * 4 + [GREEN] * 3) == [(0, 5000), (5000, 9000), (9000, 12000)]


def test_min_length_absorbs_flashes() -> None:
    # A one-second flash of blue is too short to be an event of its own.
    spans = _run([RED] * 4 + [BLUE] + [RED] * 4, min_ms=2000)
    assert spans == [(0, 4000), (4000, 9000)]


def test_max_length_splits_long_shots() -> None:
    spans = _run([RED] * 25, max_ms=10_000)
    assert spans == [(0, 10_000), (10_000, 20_000), (20_000, 25_000)]


def test_windows_tile_the_timeline() -> None:
    spans = _run([RED] * 3 + [BLUE] * 7 + [GREEN] * 12, max_ms=5000)
    assert spans[0][0] == 0 and spans[-1][1] == 22_000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_windows_say_whether_a_cut_or_the_length_limit_closed_them() -> None:
    seg = SceneCutSegmenter(min_event_ms=2000, max_event_ms=3000, threshold=20)
    closed = []
    for i, c in enumerate([RED] * 5 + [BLUE] * 3):
        closed += seg.push(_frame(i * 1000, c))
    closed += seg.flush(8000)
    assert [(w.span.start_ms, w.span.end_ms, w.cut) for w in closed] == [
        (0, 3000, False),  # the length limit
        (3000, 5000, True),  # red to blue
        (5000, 8000, False),  # the stream's end
    ]

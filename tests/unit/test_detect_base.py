"""Detector helpers: suppression of duplicate boxes, the frames checked, the description."""

from __future__ import annotations

import numpy as np

from avas.perception.describe import describe
from avas.perception.detect_base import frames_to_check, non_max_suppression


def test_box_inside_a_box_is_one_detection() -> None:
    boxes = np.array([[100, 50, 80, 160], [110, 60, 40, 80], [400, 50, 80, 160]], dtype=float)
    keep = non_max_suppression(boxes, np.array([0.9, 0.7, 0.8]), 0.65)
    assert keep == [0, 2]


def test_columns_merge_a_split_person_but_keep_people_side_by_side() -> None:
    # head-and-torso and legs of one person (as HOG reports on the shared clip), and a neighbour
    boxes = np.array([[345, 0, 96, 168], [370, 157, 117, 203], [500, 20, 100, 300]], dtype=float)
    scores = np.array([0.66, 0.57, 0.7])
    assert non_max_suppression(boxes, scores, 0.5) == [2, 0, 1]  # area overlap: three people
    assert non_max_suppression(boxes, scores, 0.5, columns=True) == [2, 0]


def test_frames_to_check_always_include_the_first() -> None:
    assert frames_to_check(5, 2) == [0, 2, 4]
    assert frames_to_check(1, 3) == [0]
    assert frames_to_check(0, 2) == []


def test_description_mentions_only_what_was_detected() -> None:
    base = {"visual": "mostly grey, bright", "motion": "still", "texts": [], "speech": []}
    assert "person" not in describe(**base)  # no detector ran
    assert "person" not in describe(**base, people=0, faces=0)  # silence is no evidence
    assert "A person is visible." in describe(**base, people=1)
    assert "3 people are visible at once." in describe(**base, people=3)
    assert "A face is turned to the camera." in describe(**base, people=1, faces=1)


def test_presence_runs_split_visits_and_ignore_flicker() -> None:
    from avas.perception.presence import presence_runs

    ts = [i * 1000 for i in range(13)]
    # a visit 1-4 s with one absent frame inside (flicker), empty, a second visit 7-9 s, and a
    # lone frame at 12 s (noise)
    shares = [0, 0.2, 0.3, 0, 0.2, 0, 0, 0.4, 0.4, 0.4, 0, 0, 0.5]
    runs = presence_runs(ts, shares, end_ms=13_000)
    assert [(r.start_ms, r.end_ms) for r in runs] == [(1000, 5000), (7000, 10_000)]

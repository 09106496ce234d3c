"""Observers on the real clips in ../shared/media (skipped, with the reason, where it is absent)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_support import shared_path

from avas.config import Settings
from avas.ingest import open_source
from avas.perception.presence import PRESENT, PresenceDetector
from avas.service import Service

pytestmark = pytest.mark.shared

# Documented visits in one-by-one-person-detection.mp4 (SOURCES.md), seconds, +-1 s.
VISITS = [(6, 18), (23, 43), (50, 68), (75, 85), (92, 118), (124, 134)]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = Service(Settings(home=tmp_path_factory.mktemp("shared-home")))
    yield service
    service.close()


def test_jfk_speech_at_the_right_time(svc: Service, tmp_path: Path) -> None:
    jfk = shared_path("media/audio/jfk.flac")
    clip = tmp_path / "jfk.mp4"
    offset_ms = 5_000  # the recording starts 5 s into a 20 s clip
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=gray:s=320x180:d=20:r=10",
            "-i",
            str(jfk),
            "-filter_complex",
            f"[1:a]adelay={offset_ms}:all=1,apad[a]",
            "-map",
            "0:v",
            "-map",
            "[a]",
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(clip),
        ],
        check=True,
    )
    svc.ingest(clip, name="jfk")
    speech = [s for e in svc.store.events("jfk") for s in svc.store.event_details(e.id).speech]
    text = " ".join(s.text.lower() for s in speech)
    assert "ask not what your country can do for you" in text, text
    (first,) = [s for s in speech if "fellow" in s.text.lower() or "ask not" in s.text.lower()][:1]
    # The address begins ~0.3 s into the recording.
    assert abs(first.span.start_ms - (offset_ms + 300)) <= 1_000, first.span


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, on in enumerate([*flags, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def test_presence_timeline_matches_documented_visits() -> None:
    clip = shared_path("media/one-by-one-person-detection.mp4")
    detector = PresenceDetector()
    source = open_source(clip, Settings().ingest)
    flags = [detector.update(f) >= PRESENT for f in source.frames()]
    source.close()
    truth = [any(a <= s <= b for a, b in VISITS) for s in range(len(flags))]
    tp = sum(p and t for p, t in zip(flags, truth, strict=True))
    precision = tp / max(1, sum(flags))
    recall = tp / max(1, sum(truth))
    runs = [r for r in _runs(flags) if r[1] - r[0] >= 2]  # ignore 1-2 s flickers
    matched = [
        (a, b) for a, b in VISITS if any(abs(ra - a) <= 2 and abs(rb - b) <= 2 for ra, rb in runs)
    ]
    print(
        f"\npresence vs documented visits: precision {precision:.2f}, recall {recall:.2f}, "
        f"visits matched within +-2 s: {len(matched)}/{len(VISITS)}; detected runs {runs}"
    )
    assert precision >= 0.8 and recall >= 0.8
    assert len(matched) >= 4, runs

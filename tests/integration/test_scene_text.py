"""Real photographs with scene text, cut into a video: ingest reads their words, once per shot.

The photographs are OpenCV's scene-text samples from Debian's opencv-doc (scripts/setup installs
it); the test skips, naming the package, where they are absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from avas.config import Settings
from avas.pipeline import IngestReport
from avas.service import Service

ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "scene_text.json"
# (photo, seconds on screen, words the ingest must read from it)
SHOTS = [
    ("text/scenetext05.jpg", 6, {"no", "parking"}),
    ("text/scenetext_segmented_word01.jpg", 6, {"hotel"}),
    ("text/scenetext_segmented_word03.jpg", 6, {"customer", "private", "hire", "service"}),
    ("text/scenetext01.jpg", 6, {"notice", "double", "prohibited", "times"}),
]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Service]:
    spec = json.loads(ANNOTATIONS.read_text())
    root = Path(spec["root"])
    if not (root / SHOTS[0][0]).exists():
        pytest.skip(f"{root} is absent: apt-get install {spec['package']} (scripts/setup does)")
    tmp = tmp_path_factory.mktemp("scene-text")
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    cmd = [ffmpeg, "-v", "error", "-y"]
    for photo, seconds, _ in SHOTS:
        cmd += ["-loop", "1", "-framerate", "25", "-t", str(seconds), "-i", str(root / photo)]
    fit = "scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2"
    chains = ";".join(f"[{i}:v]{fit},setsar=1,format=yuv420p[v{i}]" for i in range(len(SHOTS)))
    joined = "".join(f"[v{i}]" for i in range(len(SHOTS)))
    cmd += ["-filter_complex", f"{chains};{joined}concat=n={len(SHOTS)}:v=1:a=0[out]"]
    video = tmp / "signs.mp4"
    subprocess.run([*cmd, "-map", "[out]", "-c:v", "libx264", str(video)], check=True)
    service = Service(Settings(home=tmp / "home"))
    report = service.ingest(video, name="signs")
    return report, service


def _words(text: str) -> set[str]:
    return set("".join(c if c.isalnum() else " " for c in text.lower()).split())


def test_words_on_real_signs_are_read_in_their_shot(
    ingested: tuple[IngestReport, Service],
) -> None:
    _, service = ingested
    store = service.store
    texts = [t for e in store.events("signs") for t in store.event_details(e.id).texts]
    start_ms = 0
    for _photo, seconds, wanted in SHOTS:
        end_ms = start_ms + seconds * 1000
        inside = set().union(
            *(_words(t.text) for t in texts if start_ms <= t.span.start_ms < end_ms)
        )
        assert wanted <= inside, (wanted - inside, start_ms)
        start_ms = end_ms


def test_each_still_shot_is_read_once(ingested: tuple[IngestReport, Service]) -> None:
    report, _ = ingested
    # A still photo is read at its first frame and never again: one read per event window
    # (events folded into the one before them were read too). 24 frames were sampled.
    assert report.frames_sampled >= 20
    assert report.frames_ocr == report.events + report.events_merged, report
    assert report.events + report.events_merged == len(SHOTS), report

"""Ingest speed of the offline default against plain ffmpeg decoding, side by side in one run.

    .venv/bin/python -m benchmarks.ingest_speed --minutes 3 10

For each length: generate a sample video (scenes with on-screen text and speech), time
`ffmpeg -i F -vf fps=1 -f null -`, then a full `avas` ingest into a fresh store (model loading
excluded: it is paid once per process). Prints a table; record the numbers in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from avas.config import Settings
from avas.media.sample import SampleSpec, SceneSpec, SpeechSpec, demo_spec, make_sample_video
from avas.service import Service


def long_spec(minutes: float) -> SampleSpec:
    """The demo's six scenes, repeated until the video lasts ``minutes``."""
    base = demo_spec().scenes
    scenes: list[SceneSpec] = []
    total_ms = 0
    i = 0
    while total_ms < minutes * 60_000:
        scene = base[i % len(base)]
        speech = [SpeechSpec(offset_ms=s.offset_ms, text=s.text) for s in scene.speech]
        scenes.append(scene.model_copy(update={"speech": speech}))
        total_ms += scene.duration_ms
        i += 1
    return SampleSpec(scenes=scenes)


def time_ffmpeg(path: Path) -> float:
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    started = time.perf_counter()
    subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-vf", "fps=1", "-f", "null", "-"], check=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[3.0])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            video = Path(tmp) / f"sample-{minutes:g}min.mp4"
            manifest = make_sample_video(video, long_spec(minutes))
            ffmpeg_s = time_ffmpeg(video)
            service = Service(Settings(home=Path(tmp) / f"home-{minutes:g}"))
            _ = service.pipeline  # load the models outside the timed region
            report = service.ingest(video, name="bench")
            service.close()
            media_s = manifest.duration_ms / 1000
            rows.append((minutes, media_s / ffmpeg_s, report, media_s))
    print(f"{'video':>8} {'ffmpeg fps=1':>14} {'avas ingest':>12} {'events':>7} {'ocr frames':>11}")
    for minutes, ffmpeg_x, report, _media_s in rows:
        print(
            f"{minutes:>6g} m {ffmpeg_x:>12.1f}x {report.x_realtime:>11.1f}x "
            f"{report.events:>7} {report.frames_ocr:>5}/{report.frames_sampled:<5}"
        )


if __name__ == "__main__":
    main()

"""What the decoder's process boundary costs: decode throughput in-process vs in a child process.

    .venv/bin/python -m benchmarks.decode_boundary --minutes 5 --repeat 2

One generated sample video (640x360, the demo's scenes), then side by side in one run:
  - ffmpeg:     `ffmpeg -i F -vf fps=1 -f null -` (the reference decoder);
  - in-process: the decoder's own code (decord, 1 fps, downscaled) called in this process,
                as FileSource decoded before the boundary;
  - child:      FileSource.frames, which decodes in a child process and pipes frames back.
Every timer starts before the file is opened: AVAS's probe (ffprobe) is timed as ffmpeg's own
probing of its input is. Best of ``--repeat`` for each. Prints a table; the numbers go in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from avas.config import IngestSettings
from avas.ingest import open_source
from avas.ingest.decode_worker import _decord_frames
from avas.ingest.file_source import scaled_size
from avas.ingest.probe import probe_video
from avas.media.sample import make_sample_video
from benchmarks.ingest_speed import long_spec, time_ffmpeg


class _Sink:
    """Receives the decoder's frames in-process (what the child writes to its pipe)."""

    def __init__(self) -> None:
        self.frames = 0

    def frame(self, ts_ms: int, rgb: np.ndarray) -> None:
        self.frames += 1

    def text(self, kind: bytes, text: str) -> None:
        pass


def in_process(video: Path, settings: IngestSettings) -> tuple[float, int]:
    # The probe is timed, as ffmpeg's own probing of the file is in its time.
    started = time.perf_counter()
    info = probe_video(video, settings)
    w, h = scaled_size(info.width, info.height, settings.max_side_px)
    request: dict[str, Any] = {
        "uri": str(video),
        "width": w,
        "height": h,
        "stride_ms": round(1000 / settings.sample_fps),
        "start_ms": 0,
        "end_ms": None,
        "batch": settings.decode_batch,
    }
    sink = _Sink()
    _decord_frames(request, sink)  # type: ignore[arg-type]
    return time.perf_counter() - started, sink.frames


def child(video: Path, settings: IngestSettings) -> tuple[float, int]:
    started = time.perf_counter()  # the probe and the child's start-up: every ingest pays both
    source = open_source(video, settings)
    frames = sum(1 for _ in source.frames())
    seconds = time.perf_counter() - started
    source.close()
    return seconds, frames


def main() -> None:
    parser = argparse.ArgumentParser(description="decode throughput across the process boundary")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    settings = IngestSettings()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "sample.mp4"
        media_s = make_sample_video(video, long_spec(args.minutes)).duration_ms / 1000
        runs: dict[str, list[float]] = {"ffmpeg": [], "in-process": [], "child": []}
        frames: dict[str, int] = {}
        for _ in range(args.repeat):  # interleaved: load on the machine hits all three alike
            runs["ffmpeg"].append(time_ffmpeg(video))
            seconds, frames["in-process"] = in_process(video, settings)
            runs["in-process"].append(seconds)
            seconds, frames["child"] = child(video, settings)
            runs["child"].append(seconds)
    ffmpeg_s = min(runs["ffmpeg"])
    header = (
        f"{'decoder':>10} | {'frames':>6} | {'seconds':>7} | {'x real time':>11} | {'/ ffmpeg':>8}"
    )
    print(f"{args.minutes:g}-minute 640x360 25 fps sample, best of {args.repeat}")
    print(header)
    print("-" * len(header))
    for name, times in runs.items():
        best = min(times)
        print(
            f"{name:>10} | {frames.get(name, 0) or '':>6} | {best:>7.2f} | "
            f"{media_s / best:>10.1f}x | {ffmpeg_s / best:>8.2f}"
        )


if __name__ == "__main__":
    main()

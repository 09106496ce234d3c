"""Ingest speed on real footage, side by side with `ffmpeg -vf fps=1` decode of the same file.

    .venv/bin/python -m benchmarks.ingest_real --minutes 30

Builds the file from the real clips in ../shared/media (SOURCES.md): the surveillance clips,
chaplin and the GRID speakers, each scaled and padded to 640x360 at 25 fps, looped until the
file lasts ``--minutes``; the recorded speech (JFK, three LibriSpeech readings) is mixed under it,
one recording every 90 s. Then times ffmpeg's 1 fps decode and a full ingest (models loaded
before the clock starts, as in benchmarks/ingest_speed.py), and prints a table with the
machine's load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.ingest_speed import run_child, time_ffmpeg

SHARED = Path(__file__).resolve().parents[2] / "shared" / "media"
CLIPS = [
    "one-by-one-person-detection.mp4",
    "car-detection.mp4",
    "bottle-detection.mp4",
    "chaplin.mp4",
    *(f"grid/{p.name}" for p in sorted((SHARED / "grid").glob("*.mpg"))),
]
SPEECH = sorted(p for p in (SHARED / "audio").glob("*") if p.suffix in {".flac", ".ogg"})


def build(out: Path, minutes: float, work: Path) -> float:
    """The looped real footage with speech under it; returns its length in seconds."""
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    scale = "scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2"
    parts = []
    for i, clip in enumerate(CLIPS):
        part = work / f"part{i}.mp4"
        cmd = [ffmpeg, "-v", "error", "-y", "-i", str(SHARED / clip), "-an", "-vf"]
        cmd += [f"{scale},fps=25,setsar=1", "-c:v", "libx264", "-preset", "veryfast", str(part)]
        subprocess.run(cmd, check=True)
        parts.append(part)
    one = work / "one.mp4"
    (work / "list.txt").write_text("".join(f"file '{p}'\n" for p in parts))
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(work / "list.txt")]
    subprocess.run([*cmd, "-c", "copy", str(one)], check=True)
    seconds = minutes * 60
    # Speech: each recording in turn, one every 90 s, over silence.
    inputs, delays = [], []
    for k, at in enumerate(range(5, int(seconds) - 40, 90)):
        inputs += ["-i", str(SPEECH[k % len(SPEECH)])]
        delays.append(f"[{k + 1}:a]aresample=16000,adelay={at * 1000}:all=1[a{k}]")
    mix = ";".join(delays) + ";" + "".join(f"[a{k}]" for k in range(len(delays)))
    mix += f"amix=inputs={len(delays)}:normalize=0[aout]"
    cmd = [ffmpeg, "-v", "error", "-y", "-stream_loop", "-1", "-i", str(one), *inputs]
    cmd += ["-filter_complex", mix, "-map", "0:v", "-map", "[aout]", "-t", str(seconds)]
    cmd += ["-c:v", "copy", "-c:a", "aac", str(out)]
    subprocess.run(cmd, check=True)
    return seconds


def stored_events(home: Path) -> list[dict[str, object]]:
    """What the ingest stored, per event: the parts the detectors and presence decide."""
    from avas.config import Settings
    from avas.service import Service

    service = Service(Settings(home=home))
    try:
        return [
            {
                "span": [e.span.start_ms, e.span.end_ms],
                "signals": e.signals,
                "presence": [[p.start_ms, p.end_ms] for p in e.presence],
                "description": e.description,
            }
            for e in service.store.events("bench")
        ]
    finally:
        service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="AVAS ingest speed on real footage")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--keep", type=Path, help="reuse or keep the built file here")
    parser.add_argument(
        "--dump",
        type=Path,
        help="write the stored events (span, signals, presence, description) here as JSON, "
        "to compare the answers of two trees",
    )
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is absent: the real clips exist only on the project's machines")
    with tempfile.TemporaryDirectory() as tmp:
        video = args.keep or Path(tmp) / "real.mp4"
        if not video.exists():
            build(video, args.minutes, Path(tmp))
        media_s = args.minutes * 60
        load_before = os.getloadavg()[0]
        ffmpeg_s = time_ffmpeg(video)
        ingest = run_child(video, Path(tmp) / "home", "ingest")
        load_after = os.getloadavg()[0]
        if args.dump:
            args.dump.write_text(json.dumps(stored_events(Path(tmp) / "home"), indent=1))

        # CPU of the whole ingest: its threads, the OCR worker, the decoder child and ffmpeg's
        # audio; the wall clock depends on what else the shared machine runs, this does not.
        def per_min(cpu_s: float) -> float:
            return cpu_s / (media_s / 60)

        header = (
            f"{'video':>7} | {'ffmpeg fps=1':>12} | {'full ingest':>11} | {'CPU s/min':>10} | "
            f"{'events':>6} | "
            f"{'OCR frames':>10} | {'peak RSS':>8} | {'load 1m before/after':>20}"
        )
        print(header)
        print("-" * len(header))
        print(
            f"{args.minutes:>5g} m | {media_s / ffmpeg_s:>11.1f}x | "
            f"{media_s / ingest['seconds']:>10.1f}x | {per_min(ingest['cpu:total']):>10.2f} | "
            f"{int(ingest['events']):>6} | "
            f"{int(ingest['ocr_frames']):>4}/{int(ingest['frames']):<5} | "
            f"{ingest['peak_rss_mib']:>4.0f} MiB | {load_before:>9.1f} / {load_after:<9.1f}",
            flush=True,
        )
        print(
            f"peak RSS: ingest process {ingest['main_peak_mib']:.0f} MiB, "
            f"largest child {ingest['child_peak_mib']:.0f} MiB"
        )
        print("\nCPU seconds per video minute, by stage (threads of the ingest process, children):")
        stages = sorted(
            ((k.removeprefix("cpu:"), v) for k, v in ingest.items() if k.startswith("cpu:")),
            key=lambda kv: (kv[0] == "total", -kv[1]),
        )
        for stage, cpu in stages:
            print(f"  {stage:<40} {per_min(cpu):>6.2f}  ({cpu:.1f} s)")


if __name__ == "__main__":
    main()

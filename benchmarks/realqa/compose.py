"""Build the dev set's video from the real clips and recordings in ../shared/media.

path = compose_video(DevSet.load(), media_root=Path("../shared/media"), out=Path("/tmp/realqa"))

Each clip is scaled and padded to one frame size, trimmed or padded to its slot, and the clips are
joined in order; the recordings are then mixed under the footage at their stated offsets. The
result is cached by a hash of the recipe, so the slow part runs once per recipe.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from benchmarks.realqa.devset import DevSet

WIDTH, HEIGHT, FPS, RATE = 640, 360, 15, 44_100


def _run(args: list[str]) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _has_audio(path: Path) -> bool:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a",
            "-show_entries",
            "stream=index",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return bool(out.stdout.strip())


def _segment(src: Path, seconds: float, out: Path) -> None:
    """One clip as H.264 + AAC at the common size, exactly ``seconds`` long."""
    video = (
        f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,"
        f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2,fps={FPS},setsar=1,"
        f"tpad=stop_mode=clone:stop_duration={seconds}"
    )
    inputs = ["-i", str(src)]
    if _has_audio(src):
        audio = ["-map", "0:v:0", "-map", "0:a:0", "-af", f"aresample={RATE},apad"]
    else:  # a silent track, so every segment has the same streams
        inputs += ["-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=mono"]
        audio = ["-map", "0:v:0", "-map", "1:a:0"]
    _run(
        [
            *inputs,
            "-vf",
            video,
            *audio,
            "-t",
            f"{seconds:.3f}",
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(FPS * 10),
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(out),
        ]
    )


def recipe_hash(devset: DevSet) -> str:
    recipe = [c.model_dump() for c in devset.clips] + [m.model_dump() for m in devset.mix]
    return hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:10]


def compose_video(devset: DevSet, *, media_root: Path, out: Path) -> Path:
    """The dev set's video under ``out`` (built once per recipe)."""
    out.mkdir(parents=True, exist_ok=True)
    final = out / f"realqa-{recipe_hash(devset)}.mp4"
    if final.exists():
        return final
    work = out / "parts"
    work.mkdir(exist_ok=True)
    parts = []
    for i, clip in enumerate(devset.clips):
        part = work / f"{i:02d}.mp4"
        _segment(media_root / clip.file, clip.seconds, part)
        parts.append(part)
    listing = work / "parts.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in parts))
    joined = work / "joined.mp4"
    _run(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(joined)])
    inputs = ["-i", str(joined)]
    chains, labels = [], ["[0:a]"]
    for j, m in enumerate(devset.mix, start=1):
        inputs += ["-i", str(media_root / m.file)]
        delay = round(m.at_s * 1000)
        chains.append(
            f"[{j}:a]aresample={RATE},aformat=channel_layouts=mono,volume={m.gain},"
            f"adelay={delay}:all=1[m{j}]"
        )
        labels.append(f"[m{j}]")
    mix = ";".join([*chains, f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0[a]"])
    tmp = work / "mixed.mp4"
    _run(
        [
            *inputs,
            "-filter_complex",
            mix,
            "-map",
            "0:v",
            "-map",
            "[a]",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-ac",
            "1",
            str(tmp),
        ]
    )
    shutil.move(tmp, final)
    shutil.rmtree(work, ignore_errors=True)
    return final

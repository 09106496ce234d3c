"""Validate a media file with ffprobe before anything touches the store.

info = probe_video(Path("talk.mp4"))   # raises InputError naming the file when unusable
info.duration_ms, info.has_audio
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from avas.errors import DependencyError, InputError
from avas.ingest.base import SourceInfo


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise DependencyError(f"{tool} is not installed (Debian package: ffmpeg)")
    return found


def _fps(rate: str) -> float:
    num, _, den = rate.partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def probe_video(path: Path) -> SourceInfo:
    if not path.exists():
        raise InputError(f"video file not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a video file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"video file is empty (0 bytes): {path}")
    proc = subprocess.run(
        [
            _require("ffprobe"),
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "unreadable"
        raise InputError(f"not a readable media file: {path} ({reason})")
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams", [])
    # Cover art (attached_pic) is a "video" stream in ffprobe's eyes but not a video.
    video = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    if not video:
        raise InputError(f"no video stream in {path}")
    v = video[0]
    duration_s = float(data.get("format", {}).get("duration") or v.get("duration") or 0.0)
    if duration_s <= 0:
        raise InputError(f"video has zero length: {path}")
    return SourceInfo(
        uri=str(path),
        is_live=False,
        duration_ms=round(duration_s * 1000),
        width=int(v.get("width") or 0),
        height=int(v.get("height") or 0),
        fps=_fps(str(v.get("avg_frame_rate") or v.get("r_frame_rate") or "0/1")),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        size_bytes=size,
    )

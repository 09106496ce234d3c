"""Validate a media file with ffprobe before anything touches the store or a decoder opens it.

info = probe_video("talk.mp4", settings.ingest)   # raises InputError naming the file when unusable
info.duration_ms, info.has_audio

Fails closed: the file must be a plain media container (see ``intake``), and its duration, frame
size, frame count and video timestamps must stay inside the ``IngestSettings`` caps. Decoders trust
what containers claim: a 1.4 KB MKV whose second frame is stamped at 1e9 s made decord allocate
for a billion frames and abort the process.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from avas.config import IngestSettings
from avas.errors import InputError
from avas.ingest.base import SourceInfo
from avas.ingest.intake import (
    check_content,
    ffmpeg_input_args,
    require_tool,
    resolve_file,
    run_tool,
)

# service.ingest and open_source both probe the same file: remember recent answers, keyed by what
# would change if the file did (a new probe then).
_CACHE: OrderedDict[tuple[Any, ...], SourceInfo] = OrderedDict()
_CACHE_SIZE = 32


def _fps(rate: str) -> float:
    num, _, den = rate.partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def probe_video(uri: str | Path, settings: IngestSettings | None = None) -> SourceInfo:
    caps = settings or IngestSettings()
    path = resolve_file(uri)
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise InputError(f"video file not found: {path}") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}") from exc
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a video file")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file")
    if st.st_size == 0:
        raise InputError(f"video file is empty (0 bytes): {path}")
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, caps.model_dump_json())
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    info = _probe(path, st.st_size, caps)
    _CACHE[key] = info
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return info


def _probe(path: Path, size: int, caps: IngestSettings) -> SourceInfo:
    check_content(path)  # before ffprobe: a playlist must not be followed even by the probe
    timeout_s = caps.probe_timeout_ms / 1000
    cmd = [require_tool("ffprobe"), "-v", "error", *ffmpeg_input_args()]
    cmd += ["-print_format", "json", "-show_format", "-show_streams", "-i", str(path)]
    out = run_tool(
        cmd,
        path,
        timeout_s=timeout_s,
        what="probe",
    )
    try:
        data = json.loads(out or "{}")
    except json.JSONDecodeError as exc:
        raise InputError(f"not a readable media file: {path}") from exc
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
    duration_s = _number(data.get("format", {}).get("duration")) or _number(v.get("duration"))
    if duration_s <= 0:
        raise InputError(f"video has zero length: {path}")
    longest_s = max([duration_s] + [_number(s.get("duration")) for s in streams])
    if longest_s * 1000 > caps.max_duration_ms:
        raise InputError(
            f"{path} claims {longest_s:.0f} s, more than the {caps.max_duration_ms // 1000} s "
            "accepted (ingest.max_duration_ms)"
        )
    width, height = int(_number(v.get("width"))), int(_number(v.get("height")))
    if width <= 0 or height <= 0:
        raise InputError(f"the video stream of {path} has no frame size")
    if width * height > caps.max_frame_pixels:
        raise InputError(
            f"{path} has {width}x{height} frames, more than the {caps.max_frame_pixels} pixels "
            "accepted (ingest.max_frame_pixels)"
        )
    fps = _fps(str(v.get("avg_frame_rate") or "0/1")) or _fps(str(v.get("r_frame_rate") or "0/1"))
    frames = int(_number(v.get("nb_frames"))) or round(duration_s * fps)
    if frames > caps.max_frame_count:
        raise InputError(
            f"{path} holds about {frames} frames, more than the {caps.max_frame_count} accepted "
            "(ingest.max_frame_count)"
        )
    _check_timestamps(path, int(v.get("index", 0)), size, caps)
    return SourceInfo(
        uri=str(path),
        is_live=False,
        duration_ms=round(duration_s * 1000),
        width=width,
        height=height,
        fps=fps,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        size_bytes=size,
    )


def _check_timestamps(path: Path, stream_index: int, size: int, caps: IngestSettings) -> None:
    """Every video packet's timestamp: the span and the largest step stay within the caps.

    A container's duration can hide a jump in the middle (MPEG-TS estimates it from both ends).
    Demuxing only, no decoding: ~0.1 s of CPU for a 5-minute 25 fps file (measured). Read as it
    comes, so a file with millions of packets is refused at the first one past a cap.
    """
    # Reading every packet of a big file takes longer than reading its header: the probe timeout
    # plus a second per 20 MB.
    timeout_s = caps.probe_timeout_ms / 1000 + size / 20e6
    cmd = [require_tool("ffprobe"), "-v", "error", *ffmpeg_input_args()]
    cmd += ["-select_streams", str(stream_index), "-show_entries", "packet=pts_time,dts_time"]
    cmd += ["-of", "csv=p=0", "-i", str(path)]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        errors="replace",
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        proc.kill()

    timer = threading.Timer(timeout_s, expire)
    timer.start()
    try:
        assert proc.stdout is not None
        _scan(path, proc.stdout, caps)
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    if expired.is_set():
        raise InputError(f"the timestamp scan of {path} did not finish within {timeout_s:.0f} s")
    if proc.returncode != 0:
        raise InputError(f"not a readable media file: {path}")


def _scan(path: Path, lines: Iterable[str], caps: IngestSettings) -> None:
    lowest = highest = None
    count = 0
    for line in lines:
        pts, _, dts = line.strip().partition(",")
        stamp = pts if pts not in ("", "N/A") else dts
        if stamp in ("", "N/A"):
            continue
        ms = _number(stamp) * 1000
        count += 1
        if count > caps.max_frame_count:
            raise InputError(
                f"{path} holds more than the {caps.max_frame_count} video frames accepted "
                "(ingest.max_frame_count)"
            )
        if highest is not None and ms - highest > caps.max_timestamp_jump_ms:
            raise InputError(
                f"{path}: video timestamps jump {(ms - highest) / 1000:.0f} s after "
                f"{highest / 1000:.0f} s, more than the {caps.max_timestamp_jump_ms // 1000} s "
                "accepted (ingest.max_timestamp_jump_ms)"
            )
        lowest = ms if lowest is None else min(lowest, ms)
        highest = ms if highest is None else max(highest, ms)
        if highest - lowest > caps.max_duration_ms:
            raise InputError(
                f"{path}: video timestamps span more than the {caps.max_duration_ms // 1000} s "
                "accepted (ingest.max_duration_ms)"
            )


def clear_cache() -> None:
    """Forget remembered probes (tests that change files or settings in place)."""
    _CACHE.clear()

"""Video ids: checked when a user names one, derived from a file's content or a stream's address
otherwise. Shared by the pipeline, the monitor and the interfaces."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from avas.errors import InputError
from avas.ingest.base import SourceInfo

_VIDEO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def validate_video_id(video_id: str) -> str:
    if not _VIDEO_ID.match(video_id):
        raise InputError(
            f"invalid video id {video_id!r}: use 1-80 letters, digits, '.', '_' or '-'"
        )
    return video_id


def location(info: SourceInfo) -> str:
    """Where a video is stored as coming from: a stream's URL, or a file's absolute path."""
    return info.uri if info.is_live else str(Path(info.uri).resolve())


def live_video_id(uri: str) -> str:
    """A readable id for a stream: its address, made safe."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", uri.split("://", 1)[-1]).strip("-._")[:60]
    return f"live-{slug or 'stream'}"


def default_video_id(path: Path, size_bytes: int) -> str:
    """``<file stem>-<8 hex of a content hash>``: readable, and stable for the same content.

    Hashing the size plus the first and last MiB identifies a video without reading hours of it.
    """
    digest = hashlib.sha1(str(size_bytes).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        fh.seek(max(0, size_bytes - (1 << 20)))
        digest.update(fh.read(1 << 20))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._")[:40] or "video"
    return f"{stem}-{digest.hexdigest()[:8]}"


def source_video_id(info: SourceInfo, name: str | None) -> str:
    """The id an ingest of ``info`` stores under: the user's name, else one derived."""
    if name:
        return validate_video_id(name)
    if info.is_live:
        return live_video_id(info.uri)
    return default_video_id(Path(info.uri), info.size_bytes)

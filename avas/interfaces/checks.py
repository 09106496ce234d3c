"""Input checks shared by the CLI and the HTTP API, written once; each error names the input.

video = require_video(service.store, "lobby")   # NotFoundError (CLI exit 2, HTTP 404)
check_span(start_ms, end_ms)                    # InputError (CLI exit 2, HTTP 400)
"""

from __future__ import annotations

from avas.errors import InputError, NotFoundError
from avas.graph.base import EventGraphStore
from graph_schema import Video


def require_video(store: EventGraphStore, video_id: str) -> Video:
    """The stored video ``video_id``, or NotFoundError naming it."""
    video = store.get_video(video_id)
    if video is None:
        raise NotFoundError(f"no video {video_id!r} in the store (`avas videos`, GET /videos)")
    return video


def require_videos(store: EventGraphStore) -> None:
    """At least one stored video: a question over an empty store has nothing to answer from."""
    if not store.videos():
        raise NotFoundError("the store holds no video yet: run `avas ingest PATH` first")


def check_path_text(text: str) -> str:
    """``text`` as a file path, refused when no file system could name it (a NUL byte)."""
    if "\x00" in text:
        printable = text.replace("\x00", "\\0")[:200]
        raise InputError(f"the path '{printable}' contains a NUL byte")
    return text


def check_span(start_ms: int, end_ms: int) -> None:
    """A half-open span [start_ms, end_ms) whose end is not before its start."""
    if end_ms < start_ms:
        raise InputError(f"end_ms={end_ms} is before start_ms={start_ms}")

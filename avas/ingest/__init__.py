"""Media sources: files (decord + ffmpeg, in child processes) and live streams (PyAV), behind
``MediaSource``.

source = open_source("talk.mp4", settings.ingest)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from avas.ingest.uri import is_live_uri

if TYPE_CHECKING:
    from avas.config import IngestSettings
    from avas.ingest.base import MediaSource

__all__ = ["is_live_uri", "open_source"]


def open_source(
    uri: str | Path, settings: IngestSettings, *, realtime: bool = False
) -> MediaSource:
    """A source for a file path or a live URL; a file is probed (and refused) right here.

    ``realtime`` replays a file at the speed of the clock, as if it were a camera.
    """
    text = str(uri)
    if is_live_uri(text):
        from avas.ingest.live_source import LiveSource

        return LiveSource(
            text,
            sample_fps=settings.sample_fps,
            max_side_px=settings.max_side_px,
            max_reconnects=settings.max_reconnects,
        )
    # Imported here: the decoder process imports this package and should not pay for settings.
    from avas.ingest.file_source import FileSource
    from avas.ingest.probe import probe_video
    from avas.ingest.realtime import RealtimeSource

    info = probe_video(text, settings)  # refuses what is not a plain file within the caps
    source = FileSource(
        info,
        sample_fps=settings.sample_fps,
        max_side_px=settings.max_side_px,
        batch=settings.decode_batch,
        stall_ms=settings.decode_stall_ms,
        memory_mb=settings.decode_memory_mb,
    )
    return RealtimeSource(source) if realtime else source

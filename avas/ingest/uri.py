"""Which inputs are live streams: a standard-library-only module, so that the decoder process
(``decode_worker``) starts without importing pydantic through ``avas.ingest``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LIVE_SCHEMES = frozenset(
    {"udp", "rtp", "rtsp", "rtsps", "rtsp-listen", "http", "https", "rtmp", "rtmps", "srt"}
)


def is_live_uri(text: str) -> bool:
    """True for a URL with a live-streaming scheme or a local capture device path."""
    if text.startswith("/dev/video"):
        return True
    return urlsplit(text).scheme.lower() in LIVE_SCHEMES

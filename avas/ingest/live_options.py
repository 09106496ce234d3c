"""How FFmpeg opens each kind of live URL: the URL it is given and its options per scheme.

options, forced_format = ffmpeg_options("rtsp://cam/stream", timeout_s=10)
av.open(ffmpeg_url(uri), options=options, format=forced_format)
"""

from __future__ import annotations

from urllib.parse import urlsplit


def ffmpeg_url(uri: str) -> str:
    """The URL FFmpeg opens: ``rtsp-listen://`` is our name for RTSP in listen mode."""
    if uri.lower().startswith("rtsp-listen://"):
        return "rtsp://" + uri.split("://", 1)[1]
    return uri


def ffmpeg_options(uri: str, timeout_s: float) -> tuple[dict[str, str], str | None]:
    """FFmpeg protocol/demuxer options per scheme, and a forced format for capture devices."""
    micros = str(int(timeout_s * 1_000_000))
    # Live streams have no index to read: a short analysis gets the first frame out sooner, and
    # skipping the frame-rate probe (~20 frames) halves the open; the codec still states its rate.
    options = {"analyzeduration": "2000000", "probesize": "5000000", "fpsprobesize": "0"}
    if uri.startswith("/dev/video"):
        return options, "v4l2"
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("udp", "rtp"):
        # A slow consumer must not kill the socket thread; ~10 MB of 188-byte TS packets.
        options |= {"overrun_nonfatal": "1", "fifo_size": "50000", "timeout": micros}
    elif scheme in ("rtsp", "rtsps"):
        options |= {"rtsp_transport": "tcp", "timeout": micros}
    elif scheme == "rtsp-listen":
        # We are the RTSP server (FFmpeg's listen mode): a camera or `ffmpeg -f rtsp` publishes
        # to rtsp://HOST:PORT/PATH; each (re)connect waits this long for the publisher.
        wait_s = str(max(1, round(timeout_s)))
        options |= {"rtsp_flags": "listen", "listen_timeout": wait_s, "timeout": micros}
    elif scheme in ("http", "https"):
        # We reconnect ourselves (with gaps recorded); FFmpeg's own retry would hide drops.
        options |= {"rw_timeout": micros, "reconnect": "0"}
    elif scheme in ("rtmp", "rtmps"):
        options |= {"rw_timeout": micros}
    elif scheme == "srt":
        options |= {"timeout": micros}
    return options, None

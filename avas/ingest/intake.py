"""What a media file must be before any decoder opens it: a plain container, read from disk only.

    path = resolve_file("~/talk.mp4")              # InputError for a NUL byte, ~nosuchuser, ...
    check_content(path)                           # refuses playlists, manifests, text files
    cmd = [ffprobe, *ffmpeg_input_args(), "-i", str(path)]
    out = run_tool(cmd, path, timeout_s=30, what="probe")

FFmpeg picks a demuxer by content, not by name: an HLS playlist, a DASH manifest, an ffconcat
script or an SDP file named ``video.mp4`` makes it open other paths (or hosts). So the container is
allow-listed by content (the first bytes here, FFmpeg's own ``format_whitelist`` in every ffmpeg
and ffprobe call), and ``protocol_whitelist`` keeps every call on the local file it was given.
Error texts name the input only: never FFmpeg's message, which can say whether another path exists.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from avas.errors import DependencyError, InputError

# FFmpeg demuxer names of plain media containers and elementary streams. Everything else is
# refused: hls, dash, concat, sdp, rtp, image2 (expands patterns into other file names), tee, ...
ALLOWED_FORMATS = (
    "mov",  # mov,mp4,m4a,3gp,3g2,mj2
    "matroska",  # matroska,webm
    "avi",
    "mpegts",
    "mpeg",
    "flv",
    "asf",
    "ogg",
    "mxf",
    "nut",
    "ivf",
    "dv",
    "h264",
    "hevc",
    "m4v",
    "mpegvideo",
    "yuv4mpegpipe",
    "gif",
)
FORMAT_WHITELIST = ",".join(ALLOWED_FORMATS)

# Text formats FFmpeg would follow to other files or hosts; compared case-insensitively.
_MANIFEST_STARTS = (
    b"#extm3u",  # HLS
    b"#ext-x-",
    b"#extinf",
    b"ffconcat",  # concat demuxer script
    b"file ",  # a concat list without its header
    b"<?xml",  # DASH MPD, SMIL, ASX ...
    b"<mpd",
    b"<smil",
    b"<asx",
    b"[playlist]",  # PLS
    b"v=0",  # SDP
    b"rtsp:",
    b"http:",
    b"https:",
    b"file:",
)
_SNIFF_BYTES = 1024
_CONTROL = bytes(set(range(32)) - {9, 10, 13}) + b"\x7f"


def resolve_file(uri: str | Path) -> Path:
    """The absolute local path a user named, ``~`` expanded; InputError for what cannot be one."""
    text = str(uri)
    if "\x00" in text:
        raise InputError(f"a file path cannot contain a NUL byte: {text!r}")
    if not text.strip():
        raise InputError("the file path is empty")
    try:
        # Absolute: FFmpeg reads "cam 12:30.mp4" as protocol "cam 12"; "/x/cam 12:30.mp4" is a file.
        return Path(text).expanduser().absolute()
    except RuntimeError as exc:  # "~nosuchuser": no such home directory
        raise InputError(f"cannot expand '~' in {text!r}: no such user") from exc


def looks_like_manifest(head: bytes) -> str | None:
    """Why these first bytes are not a media container (a playlist, a text file), or None."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(text.startswith(marker) for marker in _MANIFEST_STARTS):
        return "a playlist or manifest, not a media file"
    if head and not any(byte in _CONTROL for byte in head[:_SNIFF_BYTES]):
        return "a text file, not a media file"
    return None


def check_content(path: Path) -> None:
    """Refuse a file whose first bytes are a playlist, manifest or other text."""
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or 'unreadable'}") from exc
    why = looks_like_manifest(head)
    if why is not None:
        raise InputError(f"not an allowed media container: {path} ({why})")


def ffmpeg_input_args() -> list[str]:
    """Options that go before ``-i FILE`` in every ffmpeg/ffprobe call on a local file."""
    return ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST]


def pyav_options() -> dict[str, str]:
    """The same limits for ``av.open(path, options=...)``."""
    return {"protocol_whitelist": "file", "format_whitelist": FORMAT_WHITELIST}


def require_tool(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise DependencyError(f"{tool} is not installed (Debian package: ffmpeg)")
    return found


def run_tool(cmd: list[str], path: Path, *, timeout_s: float, what: str) -> str:
    """Run a probe to the end within ``timeout_s``; its stdout. InputError naming ``path`` when it
    fails or hangs (its stderr is not repeated: it can name other paths)."""
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"the {what} of {path} did not finish within {timeout_s:g} s") from exc
    if proc.returncode != 0:
        if "not on whitelist" in proc.stderr:
            raise InputError(f"not an allowed media container: {path}")
        raise InputError(f"not a readable media file: {path}")
    return proc.stdout

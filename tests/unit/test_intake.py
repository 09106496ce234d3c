"""Media intake rules as pure functions and on small files generated here with ffmpeg."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from avas.config import IngestSettings
from avas.errors import InputError
from avas.ingest.decode_worker import _targets
from avas.ingest.intake import looks_like_manifest, resolve_file, run_tool
from avas.ingest.probe import _scan, probe_video


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.mark.parametrize(
    "head",
    [
        b"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\n/etc/x.ts\n",
        b"\xef\xbb\xbf#EXTM3U\n",  # with a byte-order mark
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
        b"file '/tmp/a.mp4'\nfile '/tmp/b.mp4'\n",  # concat list without a header
        b'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">',
        b"<MPD>",
        b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nm=video 5004 RTP/AVP 96\r\n",
        b"[playlist]\nFile1=/etc/x.mp4\n",
        b"just some notes, not a video\n",
    ],
)
def test_playlists_manifests_and_text_are_refused(head: bytes) -> None:
    assert looks_like_manifest(head) is not None


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",  # MP4
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01",  # Matroska
        b"RIFF\x24\x00\x00\x00AVI LIST",  # AVI
        b"\x47\x40\x00\x10\x00\x00\xb0\x0d",  # MPEG-TS
    ],
)
def test_media_container_heads_pass(head: bytes) -> None:
    assert looks_like_manifest(head) is None


def test_a_playlist_with_binary_after_its_header_is_refused() -> None:
    # Not plain text any more (the text rule lets it by); its first line still makes it HLS.
    assert looks_like_manifest(b"#EXTM3U\n#EXTINF:3,\n/etc/x.ts\n\x00\x01\x02") is not None
    assert looks_like_manifest(b"ffconcat version 1.0\n\x00") is not None


def test_a_nul_byte_or_an_unknown_user_is_an_input_error() -> None:
    with pytest.raises(InputError, match="NUL byte"):
        resolve_file("clip\x00.mp4")
    with pytest.raises(InputError, match="nosuchuser"):
        resolve_file("~nosuchuser-avas/clip.mp4")
    with pytest.raises(InputError, match="NUL byte"):
        probe_video("clip\x00.mp4")


def test_a_relative_name_with_a_colon_is_a_file_not_a_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48:r=5:d=2", str(tmp_path / "cam 12:30.mp4"))
    monkeypatch.chdir(tmp_path)
    info = probe_video("cam 12:30.mp4")
    assert info.uri == str(tmp_path / "cam 12:30.mp4") and info.width == 64


def test_a_hung_probe_is_stopped_and_names_the_file(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    with pytest.raises(InputError, match=r"clip\.mp4.*within 0\.5 s"):
        run_tool([sys.executable, "-c", "import time; time.sleep(30)"], clip, timeout_s=0.5,
                 what="probe")  # fmt: skip


def test_probe_errors_do_not_repeat_ffmpeg_messages(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    cmd = [sys.executable, "-c", "import sys; sys.stderr.write('/secret/path: exists'); exit(1)"]
    with pytest.raises(InputError) as caught:
        run_tool(cmd, clip, timeout_s=10, what="probe")
    assert str(caught.value) == f"not a readable media file: {clip}"


def _old_targets(starts_ms: np.ndarray, start_ms: int, stride_ms: int) -> np.ndarray:
    """The selection FileSource used to make, with an arange over the whole span."""
    targets = np.arange(start_ms, int(starts_ms[-1]) + 1, stride_ms, dtype=np.int64)
    indices = np.clip(np.searchsorted(starts_ms, targets, side="left"), 0, len(starts_ms) - 1)
    return np.unique(indices)


@pytest.mark.parametrize("seed", range(5))
def test_frame_selection_matches_sampling_by_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    steps = rng.choice([20, 33, 40, 41, 1000, 2500], size=400)  # variable frame rate
    starts = np.concatenate(([0], np.cumsum(steps))).astype(np.int64)
    for start_ms, stride_ms in [(0, 1000), (7_300, 1000), (0, 250), (3_000, 4000)]:
        np.testing.assert_array_equal(
            _targets(starts, start_ms, stride_ms), _old_targets(starts, start_ms, stride_ms)
        )


def test_frame_selection_needs_no_memory_for_a_huge_timestamp() -> None:
    starts = np.array([0, 1_000, 1_000_000_000_000], dtype=np.int64)  # a frame at 1e9 s
    assert _targets(starts, 0, 1000).tolist() == [0, 1, 2]


# -- caps, on real files ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("intake-media")
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=128x96:r=5:d=6", str(root / "plain.mp4"))
    # Three frames stamped 2 h later, then back: the container's duration (2 h) is within the
    # caps, the step is not.
    jump = "setpts='if(between(N,10,12),PTS+7200/TB,PTS)'"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=128x96:r=5:d=6", "-vf", jump, "-f", "mpegts",
            str(root / "jump.ts"))  # fmt: skip
    return root


def test_a_plain_file_passes_and_is_described(media: Path) -> None:
    info = probe_video(media / "plain.mp4", IngestSettings())
    assert (info.width, info.height) == (128, 96)
    assert 5_500 <= (info.duration_ms or 0) <= 6_500


def test_frame_size_cap(media: Path) -> None:
    with pytest.raises(InputError, match=r"plain\.mp4 has 128x96 frames.*max_frame_pixels"):
        probe_video(media / "plain.mp4", IngestSettings(max_frame_pixels=100 * 96))


def test_frame_count_cap(media: Path) -> None:
    with pytest.raises(InputError, match=r"plain\.mp4 holds about 30 frames.*max_frame_count"):
        probe_video(media / "plain.mp4", IngestSettings(max_frame_count=20))


def test_duration_cap(media: Path) -> None:
    with pytest.raises(InputError, match=r"plain\.mp4 claims 6 s.*max_duration_ms"):
        probe_video(media / "plain.mp4", IngestSettings(max_duration_ms=5_000))


def test_the_packet_scan_counts_frames_and_their_span(tmp_path: Path) -> None:
    clip = tmp_path / "clip.ts"
    caps = IngestSettings(max_frame_count=3, max_duration_ms=10_000)
    _scan(clip, ["0.0,0.0", "0.5,N/A", "N/A,1.0"], caps)  # pts, else dts: within every cap
    with pytest.raises(InputError, match=r"clip\.ts holds more than the 3 video frames"):
        _scan(clip, ["0.0,0.0", "0.5,0.5", "1.0,1.0", "1.5,1.5"], caps)
    with pytest.raises(InputError, match=r"clip\.ts: video timestamps span more than the 10 s"):
        _scan(clip, ["9.0,9.0", "-1.5,-1.5"], caps)  # backwards: no jump forward, a wide span


def test_a_timestamp_jump_in_the_middle_is_refused(media: Path) -> None:
    with pytest.raises(InputError, match=r"jump\.ts: video timestamps jump 7200 s after"):
        probe_video(media / "jump.ts", IngestSettings())

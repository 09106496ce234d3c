"""Crafted files fail one job with an error naming the input; the caller and the store go on.

The two files of issue 16: a 1.4 KB MKV whose second frame is stamped at 1e9 s (decord threw
std::bad_alloc and aborted the process) and an HLS playlist named .mp4 (FFmpeg picked the format by
content and opened a path elsewhere). Both through the CLI in a subprocess and the Python API.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from avas.config import IngestSettings, Settings
from avas.errors import InputError
from avas.ingest import open_source
from avas.ingest.decode_worker import DecodeWorker
from avas.service import Service
from graph_schema.models import Video


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    crafted = root / "x.mkv"
    late = "setpts='if(eq(N\\,1)\\,1000000000/TB\\,PTS)'"  # the second frame at 1e9 s
    _ffmpeg("-f", "lavfi", "-i", "color=s=64x64:r=1:d=2", "-vf", late, "-f", "matroska",
            str(crafted))  # fmt: skip
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    secret = elsewhere / "secret.ts"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x64:r=5:d=3", "-f", "mpegts", str(secret))
    playlists = {}
    for name, target in [("video.mp4", secret), ("other.mp4", elsewhere / "absent.ts")]:
        path = root / name
        path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\n{target}\n#EXT-X-ENDLIST\n")
        playlists[name] = path
    good = root / "good.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=160x120:r=10:d=4", str(good))
    long = root / "long.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=40", "-g", "25", str(long))
    return {
        "crafted": crafted,
        "playlist": playlists["video.mp4"],
        "playlist to nothing": playlists["other.mp4"],
        "good": good,
        "long": long,
    }


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose store already holds a video: what must survive every refusal."""
    path = tmp_path_factory.mktemp("hostile-home")
    service = Service(Settings(home=path))
    service.store.upsert_video(
        Video(
            id="kept",
            path="/videos/kept.mp4",
            duration_ms=60_000,
            width=640,
            height=360,
            fps=25.0,
            has_audio=True,
            status="complete",
        )
    )
    service.close()
    yield path


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "AVAS_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}


def _avas(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "avas.interfaces.cli", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=120,
        check=False,
    )


def _videos(home: Path) -> object:
    proc = _avas(home, "videos", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("case", ["crafted", "playlist"])
def test_cli_refuses_the_crafted_file_with_exit_2(
    case: str, files: dict[str, Path], home: Path
) -> None:
    before = _videos(home)
    assert "kept" in json.dumps(before)
    proc = _avas(home, "ingest", str(files[case]))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    said = " ".join((proc.stdout + proc.stderr).split())  # rich may wrap the line
    assert str(files[case]) in said
    assert "Traceback" not in said and "secret" not in said
    assert _videos(home) == before


@pytest.mark.parametrize(
    ("case", "why"), [("crafted", "claims 1000000001 s"), ("playlist", "playlist or manifest")]
)
def test_api_refuses_the_crafted_file_and_stores_nothing(
    case: str, why: str, files: dict[str, Path], home: Path
) -> None:
    service = Service(Settings(home=home))
    try:
        before = service.store.videos()
        with pytest.raises(InputError, match=why) as caught:
            service.ingest(files[case])
        assert str(files[case]) in str(caught.value)
        assert service.store.videos() == before
        assert service.store.consistency_problems() == []  # type: ignore[attr-defined]
    finally:
        service.close()


def test_a_playlist_error_does_not_say_whether_its_targets_exist(files: dict[str, Path]) -> None:
    errors = []
    for case in ["playlist", "playlist to nothing"]:
        with pytest.raises(InputError) as caught:
            open_source(files[case], IngestSettings())
        errors.append(str(caught.value).replace(str(files[case]), "FILE"))
    assert errors[0] == errors[1]
    assert "secret" not in errors[0] and "absent" not in errors[0]


def test_ffmpeg_itself_refuses_a_playlist_past_the_first_bytes(files: dict[str, Path]) -> None:
    # The format allow-list holds even for a playlist that the byte sniffing would miss.
    from avas.ingest.intake import ffmpeg_input_args

    proc = subprocess.run(
        ["ffprobe", "-v", "error", *ffmpeg_input_args(), "-show_format", str(files["playlist"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0 and "not on whitelist" in proc.stderr


def test_the_decoder_crash_fails_one_job_and_the_caller_goes_on(
    files: dict[str, Path], home: Path
) -> None:
    # Caps lifted: the crafted MKV reaches decord, which aborts, in the decoder process only.
    lifted = IngestSettings(
        max_duration_ms=10**13, max_frame_count=10**12, max_timestamp_jump_ms=10**13
    )
    service = Service(Settings(home=home, ingest=lifted))
    try:
        before = service.store.videos()
        with pytest.raises(
            InputError, match=r"the decoder crashed on .*x\.mkv at ~0 s \(SIGABRT\)"
        ):
            service.ingest(files["crafted"])
        assert service.store.videos() == before
        # The same process decodes the next file.
        source = open_source(files["good"], lifted)
        stamps = [f.ts_ms for f in source.frames()]
        source.close()
        assert stamps == [0, 1000, 2000, 3000]
    finally:
        service.close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGABRT])
def test_a_killed_decoder_is_an_input_error_naming_the_file(
    sig: signal.Signals, files: dict[str, Path]
) -> None:
    worker = DecodeWorker(str(files["long"]), size=(320, 240), stride_ms=1000, batch=4)
    frames = worker.frames(0)
    first_ms, _ = next(frames)
    assert worker.pid is not None
    os.kill(worker.pid, sig)
    with pytest.raises(
        InputError, match=rf"decoder crashed on .*long\.mp4 at ~\d+ s \({sig.name}\)"
    ):
        for _ in frames:
            pass
    assert first_ms == 0
    # A fresh decoder on the same file delivers every second.
    again = DecodeWorker(str(files["long"]), size=(320, 240), stride_ms=1000)
    assert [ts for ts, _ in again.frames(0)] == list(range(0, 40_000, 1000))


def test_a_silent_decoder_is_ended_after_the_stall_limit(files: dict[str, Path]) -> None:
    worker = DecodeWorker(str(files["long"]), size=(320, 240), stride_ms=1000, batch=4)
    frames = worker.frames(0)
    next(frames)
    worker.stall_ms = 1000  # after the first frame: starting the process can take longer
    assert worker.pid is not None
    pid = worker.pid
    os.kill(pid, signal.SIGSTOP)  # alive, silent: a decoder stuck in a loop
    try:
        with pytest.raises(InputError, match=r"decoder stalled on .*long\.mp4"):
            for _ in frames:
                pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped, not left behind


def test_a_file_replaced_by_a_playlist_after_the_probe_is_refused_by_the_decoder(
    files: dict[str, Path], tmp_path: Path
) -> None:
    swapped = tmp_path / "swap.mp4"
    swapped.write_bytes(files["good"].read_bytes())
    source = open_source(swapped, IngestSettings())
    swapped.write_bytes(files["playlist"].read_bytes())
    with pytest.raises(InputError, match=r"swap\.mp4.*playlist or manifest"):
        list(source.frames())
    source.close()


def test_decord_plain_runtime_error_falls_back_to_pyav(tmp_path: Path) -> None:
    # Binary, but no container: decord refuses it with a plain RuntimeError, not its
    # DECORDError. The decoder then tries PyAV, whose own error ends up in a clean InputError;
    # without the fallback the RuntimeError ended the decoder process ("crashed ... status 1").
    clip = tmp_path / "clip.mxf"
    clip.write_bytes(bytes(range(256)) * 16)
    import decord

    with pytest.raises(RuntimeError, match="Error reading"):
        decord.VideoReader(str(clip))
    worker = DecodeWorker(str(clip), size=(96, 64), stride_ms=1000)
    with pytest.raises(InputError, match=r"cannot decode video .*clip\.mxf: InvalidDataError"):
        list(worker.frames(0))


@pytest.mark.parametrize("path", ["clip\x00.mp4", "~nosuchuser-avas/clip.mp4"])
def test_cli_a_path_that_cannot_be_a_file_exits_2(path: str, home: Path) -> None:
    if "\x00" in path:  # argv cannot carry a NUL: the Python API is where one can arrive
        service = Service(Settings(home=home))
        try:
            with pytest.raises(InputError, match="NUL byte"):
                service.ingest(path)
        finally:
            service.close()
        return
    proc = _avas(home, "ingest", path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "nosuchuser-avas" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr

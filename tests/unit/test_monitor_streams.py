"""The stream handling both monitors share (one process and Ray): names, video ids, counters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from avas.errors import InputError
from avas.monitor.streams import WatchedStream, check_sources, plan_streams, slug

STAMPED = re.compile(r"^(?P<name>.+)-\d{8}T\d{6}$")


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "dock cam #2.mp4"  # a stem that is no valid video id as it stands
    path.write_bytes(b"not decoded here")
    return path


def test_a_live_stream_is_stored_under_its_name_and_a_file_under_a_dated_one(clip: Path) -> None:
    live, replay = plan_streams(["udp://127.0.0.1:5000", str(clip)])
    assert (live.name, live.video_id, live.is_live) == ("live-127.0.0.1-5000",) * 2 + (True,)
    assert live.uri == "udp://127.0.0.1:5000"
    assert replay.name == "dock-cam-2" and not replay.is_live
    m = STAMPED.match(replay.video_id)
    assert m is not None and m["name"] == "dock-cam-2", replay.video_id
    assert replay.uri == str(clip)  # as given, unless asked to make it absolute


def test_given_names_win_and_paths_can_be_made_absolute(
    clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(clip.parent)
    (spec,) = plan_streams([clip.name], ["dock"], absolute_paths=True)
    assert spec.name == "dock" and spec.video_id.startswith("dock-")
    assert spec.uri == str(clip.resolve())
    (kept,) = plan_streams([clip.name], ["dock"])
    assert kept.uri == clip.name


@pytest.mark.parametrize(
    ("sources", "names", "taken", "expected"),
    [
        (["udp://127.0.0.1:5000"], ["a", "b"], (), "2 names for 1 sources"),
        (["udp://127.0.0.1:5000", "udp://127.0.0.1:5001"], ["a", "a"], (), "two streams named 'a'"),
        (["udp://127.0.0.1:5000"], ["door"], ["door"], "two streams named 'door'"),
        (["nowhere/missing.mp4"], None, (), "not a file or a live URL: nowhere/missing.mp4"),
        (["udp://127.0.0.1:5000"], ["bad name"], (), "invalid video id 'bad name'"),
    ],
)
def test_bad_streams_are_refused_naming_the_input(
    sources: list[str], names: list[str] | None, taken: list[str], expected: str
) -> None:
    with pytest.raises(InputError, match=re.escape(expected)):
        plan_streams(sources, names, taken=taken)


def test_sources_are_checked_before_anything_loads(clip: Path) -> None:
    check_sources([str(clip), "rtsp://127.0.0.1/cam"])
    with pytest.raises(InputError, match="at least one stream"):
        check_sources([])
    with pytest.raises(InputError, match=re.escape("not a file or a live URL: /no/such.mp4")):
        check_sources([str(clip), "/no/such.mp4"])


def test_slug_makes_a_valid_id() -> None:
    assert slug("  Loading dock (north) ") == "Loading-dock-north"
    assert slug("...") == "video"
    assert len(slug("x" * 100)) == 60


def test_counters_rate_and_status() -> None:
    stream = WatchedStream(name="door", uri="udp://127.0.0.1:5000", video_id="door", is_live=True)
    stream.started = 1000.0
    for t, end_ms in [(1010.0, 4_000), (1100.0, 8_000), (1290.0, 12_000)]:
        stream.committed(end_ms, t)
    assert (stream.events, stream.last_media_ms) == (3, 12_000)
    # 300 s after the start: all three commits in the window, 3 per 5 minutes.
    assert stream.events_per_min(1300.0) == 0.6
    # 400 s: the window is the last 300 s, which holds the last two.
    assert stream.events_per_min(1400.0) == 0.4
    # Just started: the window is at least a second, not zero.
    fresh = WatchedStream(name="x", uri="u", video_id="x", is_live=False)
    fresh.started = 50.0
    fresh.committed(1_000, 50.2)
    assert fresh.events_per_min(50.5) == 60.0

    stream.last_error = "the worker restarted"
    st = stream.status(now=1400.0)
    assert (st.state, st.connected, st.last_error) == ("connecting", False, "the worker restarted")
    assert st.events_per_min == 0.4 and st.gaps == [] and st.reconnects == 0
    stream.state = "running"
    assert stream.status(now=1400.0).connected
    dropped = stream.status(now=1400.0, source_connected=False, source_error="read timeout")
    assert not dropped.connected and dropped.last_error == "read timeout"

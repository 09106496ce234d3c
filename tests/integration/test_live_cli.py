"""`avas ingest --json` on live streams: periodic status records (connection, lag, events,
events/min, last error) beside the progress records; over UDP, over RTSP pulled from a camera-like
server (`tests/rtsp_relay.py`), and over RTSP with AVAS as the server (FFmpeg's listen mode,
`rtsp-listen://`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rtsp_relay import RtspRelay
from test_live_ingest import _free_udp_port, _send
from tests_support import wait_udp_bound

from avas.media.sample import SampleManifest

AVAS = [sys.executable, "-m", "avas.interfaces.cli"]


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AVAS_HOME": str(home),
        "AVAS_INGEST__MAX_RECONNECTS": "0",  # the sender's end is the stream's end
        "AVAS_INGEST__LIVE_STATUS_INTERVAL_S": "1",
        "AVAS_SEGMENT__MAX_EVENT_MS": "5000",
    }


def _records(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _check(records: list[dict[str, Any]], uri: str) -> None:
    kinds = [r["type"] for r in records]
    assert kinds[-1] == "report", kinds
    report = records[-1]
    status = [r for r in records if r["type"] == "status"]
    progress = [r for r in records if r["type"] == "progress"]
    assert report["events"] == len(progress) >= 2
    assert len(status) >= 3, kinds
    assert {s["uri"] for s in status} == {uri}
    assert any(s["state"] == "connected" for s in status[:-1]), status
    final = status[-1]
    assert final["state"] == "ended" and final["events"] == report["events"]
    assert final["events_per_min"] > 0
    # Events counted by the status records only ever grow, and match the progress seen so far.
    counts = [s["events"] for s in status]
    assert counts == sorted(counts)
    for s in status:
        seen = sum(1 for r in records[: records.index(s)] if r["type"] == "progress")
        assert s["events"] == seen
    lags = [s["lag_s"] for s in status if s["lag_s"] is not None]
    assert lags and all(lag >= 0 for lag in lags)
    print(f"\nstatus lag (s) over the stream: {lags}")


def test_cli_json_status_records_on_a_udp_stream(sample: SampleManifest, tmp_path: Path) -> None:
    port = _free_udp_port()
    url = f"udp://127.0.0.1:{port}"
    cli = subprocess.Popen(
        [*AVAS, "ingest", url, "--name", "cam", "--json"],
        env=_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Send once the CLI (models loaded) listens: UDP sent before that is lost.
    listening = wait_udp_bound(port, timeout_s=300, alive=lambda: cli.poll() is None)
    assert listening, "the CLI never listened"
    sender = _send(sample.path, url, seconds=14)
    try:
        stdout, stderr = cli.communicate(timeout=300)
    finally:
        sender.kill()
        sender.wait()
        cli.kill()
    assert cli.returncode == 0, stderr
    _check(_records(stdout), url)


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_rtsp_publish_to_avas_listening(sample: SampleManifest, tmp_path: Path) -> None:
    """No RTSP server package is installed here: AVAS itself listens and ffmpeg publishes."""
    port = _free_tcp_port()
    uri = f"rtsp-listen://127.0.0.1:{port}/live"
    publish = (
        f"ffmpeg -v error -re -t 14 -i {sample.path} -c:v libx264 -preset veryfast -g 25 "
        f"-c:a aac -f rtsp -rtsp_transport tcp rtsp://127.0.0.1:{port}/live"
    )
    # The publisher needs the listener up: it retries until AVAS (loading its models) listens.
    sender = subprocess.Popen(
        ["bash", "-c", f"for i in $(seq 240); do {publish} && exit 0; sleep 0.5; done; exit 1"],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = _env(tmp_path / "home") | {"AVAS_INGEST__MAX_RECONNECTS": "0"}
    try:
        done = subprocess.run(
            [*AVAS, "ingest", uri, "--name", "rtspcam", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        sender.kill()
        sender.wait()
    assert done.returncode == 0, done.stderr
    records = _records(done.stdout)
    _check(records, uri)
    # Lag as the UDP test measures it: commit time minus when the event's last frame was sent.
    assert records[-1]["media_ms"] >= 10_000


def test_cli_pulls_an_rtsp_camera(sample: SampleManifest, tmp_path: Path) -> None:
    """`avas ingest rtsp://...` against an RTSP server, as an IP camera serves its stream."""
    with RtspRelay(Path(sample.path), seconds=14) as relay:
        started = time.monotonic()
        done = subprocess.run(
            [*AVAS, "ingest", relay.url, "--name", "cam", "--json"],
            # One 14 s scene: unmerged, so that several 5 s events (and their status) show.
            env=_env(tmp_path / "home") | {"AVAS_SEGMENT__MERGE": "false"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        requests = list(relay.requests)
    assert done.returncode == 0, done.stderr
    records = _records(done.stdout)
    _check(records, relay.url)
    assert any(r.startswith("PLAY ") for r in requests)
    # Most of the 14 s sent were ingested (the first keyframe and the start-up cost a little).
    assert records[-1]["media_ms"] >= 10_000
    print(f"rtsp ingest: {time.monotonic() - started:.1f} s wall for 14 s of stream")

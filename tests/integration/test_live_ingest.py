"""A live UDP stream on loopback through the whole pipeline: events, speech and text committed
as the stream plays; the stream's end finishes the ingest."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from avas.config import IngestSettings, Settings
from avas.media.sample import SampleManifest
from avas.pipeline import Progress
from avas.service import Service


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _send(path: str, url: str, *, seconds: int, start_s: int = 0) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            "ffmpeg",
            "-v",
            "error",
            "-re",
            "-ss",
            str(start_s),
            "-t",
            str(seconds),
            "-i",
            path,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "mpegts",
            f"{url}?pkt_size=1316",
        ],
        stdin=subprocess.DEVNULL,
    )


def test_live_udp_stream_is_ingested(sample: SampleManifest, tmp_path: Path) -> None:
    port = _free_udp_port()
    url = f"udp://127.0.0.1:{port}"
    settings = Settings(home=tmp_path, ingest=IngestSettings(max_reconnects=0))
    service = Service(settings)
    _ = service.pipeline  # load the models first: a live stream does not wait for them
    # The stream is the sample's first 25 s, played in real time.
    sender = _send(sample.path, url, seconds=25)
    started = time.monotonic()
    lags: list[float] = []

    def on_progress(p: Progress) -> None:
        # Lag: event committed (now) minus when its last frame was sent (sender start + media time).
        lags.append(time.monotonic() - (started + p.media_ms / 1000))

    try:
        report = service.ingest(url, name="cam", progress=on_progress)
    finally:
        sender.kill()
        sender.wait()
        service.close()
    service = Service(settings)
    try:
        video = service.store.get_video("cam")
        assert video is not None and video.is_live and video.path == url
        events = service.store.events("cam")
        assert report.events == len(events) >= 2
        assert events[-1].span.end_ms >= 15_000
        texts = [t.text for e in events for t in service.store.event_details(e.id).texts]
        speech = [s.text for e in events for s in service.store.event_details(e.id).speech]
        assert any("WELCOME" in t.upper() for t in texts), texts
        assert any("welcome" in s.lower() for s in speech), speech
        first_end = events[-1].span.end_ms
    finally:
        service.close()

    # The camera comes back later: the same id continues the stored timeline, after the old end.
    service = Service(settings)
    _ = service.pipeline
    sender = _send(sample.path, url, seconds=8, start_s=30)
    try:
        again = service.ingest(url, name="cam")
    finally:
        sender.kill()
        sender.wait()
    try:
        events = service.store.events("cam")
        assert again.events >= 1 and again.events_skipped == report.events
        assert again.resumed_from_ms == first_end
        assert events[report.events].span.start_ms >= first_end
        assert len({e.id for e in events}) == len(events)
    finally:
        service.close()
    print(f"\nlive lag per event (s): {[round(x, 1) for x in lags]}")

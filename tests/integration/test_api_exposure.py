"""The API exposed: URL ingest refused before any connection, the token checked before the body,
the Host allow-list, caps, the pinned relay, and jobs that can be cancelled or time out.

Every connection here is to 127.0.0.1; inside addresses are refused by the guard before a socket
opens, and the listeners prove it by accepting nothing.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tests_support import free_port, parse_sse, serve_app

from avas.config import Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.interfaces.api.url_relay import PinnedRelay
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, make_sample_video
from avas.net import REFUSED, Target
from avas.service import Service

TOKEN = "exposure-token-0123456789"


@pytest.fixture(scope="module")
def home_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = Service(Settings(home=tmp_path_factory.mktemp("exposure-home")))
    yield svc
    svc.close()


@contextmanager
def _serve_logging(app: Any) -> Iterator[str]:
    """Like tests_support.serve_app, with uvicorn's access log on (its default handlers)."""
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _client(service: Service, **api: object) -> TestClient:
    return TestClient(
        create_app(service, ApiSettings.model_validate(api)), base_url="http://127.0.0.1"
    )


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback TCP listener that records nothing but whether anyone connected."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _accepted_nothing(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


# ---------- URL ingest ----------


def test_url_ingest_to_loopback_is_refused_before_any_connection(
    home_service: Service, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    urls = [
        f"http://127.0.0.1:{port}/live.ts",
        f"https://127.0.0.1:{port}/live.ts",
        f"http://localhost:{port}/live.ts",
        f"http://[::ffff:127.0.0.1]:{port}/live.ts",
        f"rtsp://127.0.0.1:{port}/cam",
        f"rtmp://127.0.0.1:{port}/app/key",
        f"http://127.1:{port}/",  # short form of 127.0.0.1, as the C resolver reads it
        f"http://0.0.0.0:{port}/",
    ]
    with _client(home_service, allow_url_ingest=True) as c:
        details = set()
        for url in urls:
            response = c.post("/ingest", json={"url": url})
            assert 400 <= response.status_code < 500, (url, response.text)
            details.add(response.json()["detail"])
        assert c.get("/ingest").json() == []  # no job was queued
    assert details == {REFUSED}, "one text for every refusal: no oracle"
    assert _accepted_nothing(listener)


@pytest.mark.parametrize(
    "url", ["udp://127.0.0.1:5000", "rtsp-listen://0.0.0.0:8554/cam", "/dev/video0", "rtp://x:1"]
)
def test_listening_and_device_sources_are_cli_only(home_service: Service, url: str) -> None:
    with _client(home_service, allow_url_ingest=True, url_allow_hosts=["127.0.0.1"]) as c:
        response = c.post("/ingest", json={"url": url})
        assert response.status_code == 403 and "CLI" in response.json()["detail"]


def test_rtsp_to_a_public_host_needs_the_allow_list(home_service: Service) -> None:
    # 192.0.2.x is documentation space: refused as not public, so nothing is ever sent there.
    with _client(home_service, allow_url_ingest=True) as c:
        assert c.post("/ingest", json={"url": "rtsp://192.0.2.7/cam"}).status_code == 400


class _Upstream(BaseHTTPRequestHandler):
    """A loopback HTTP server: /video streams bytes, /redirect points elsewhere, /list is HLS."""

    body = b""
    redirect_to = ""
    seen_hosts: list[str] = []  # noqa: RUF012 - set per test

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.seen_hosts.append(self.headers.get("Host", ""))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = b"#EXTM3U\n#EXT-X-VERSION:3\nseg.ts\n" if self.path == "/list" else self.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def upstream() -> Iterator[tuple[int, type[_Upstream]]]:
    handler = type("Handler", (_Upstream,), {"seen_hosts": [], "body": b"\x47" * 4096})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, handler
    server.shutdown()
    server.server_close()


def _target(port: int, path: str) -> Target:
    # An allow-listed name pinned to 127.0.0.1, as check_url returns it.
    url = f"http://cams.test:{port}{path}"
    return Target(
        url=url, scheme="http", host="cams.test", port=port, ip="127.0.0.1", allow_listed=True
    )


def test_relay_connects_to_the_pinned_address_and_passes_bytes(
    upstream: tuple[int, type[_Upstream]],
) -> None:
    port, handler = upstream
    relay = PinnedRelay(timeout_s=5)
    try:
        reply = httpx.get(relay.url_for(_target(port, "/video")))
        assert reply.status_code == 200 and reply.content == handler.body
        assert handler.seen_hosts == [f"cams.test:{port}"]  # the name, at the checked address
    finally:
        relay.close()


def test_relay_refuses_redirects_and_playlists(
    upstream: tuple[int, type[_Upstream]], listener: socket.socket
) -> None:
    port, handler = upstream
    handler.redirect_to = f"http://127.0.0.1:{listener.getsockname()[1]}/secret"
    relay = PinnedRelay(timeout_s=5)
    try:
        redirected = httpx.get(relay.url_for(_target(port, "/redirect")))
        playlist = httpx.get(relay.url_for(_target(port, "/list")))
        unknown = httpx.get(relay.url_for(_target(port, "/video")) + "x")
    finally:
        relay.close()
    assert redirected.status_code == playlist.status_code == unknown.status_code == 502
    assert redirected.content == playlist.content == unknown.content  # one answer: no oracle
    assert _accepted_nothing(listener), "the redirect target was never contacted"


# ---------- token, body, Host ----------


def test_a_tokenless_upload_is_refused_before_its_body_is_read(home_service: Service) -> None:
    app = create_app(home_service, ApiSettings(token=SecretStr(TOKEN)))
    uploads = app.state.avas.upload_dir
    with serve_app(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            # Claims 50 MB and sends almost none: a server reading the body first would wait.
            sock.sendall(
                b"POST /ingest/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=xx\r\n"
                b"Content-Length: 50000000\r\n\r\n--xx\r\n"
            )
            head = sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 401"), head[:80]
        with TestClient(app, base_url="http://127.0.0.1") as c:
            files = {"file": ("a.mp4", b"\0" * 200_000, "video/mp4")}
            assert c.post("/ingest/upload", files=files).status_code == 401
    assert not uploads.exists() or not any(uploads.rglob("*")), "nothing written for a 401"


def test_host_header_allow_list(home_service: Service) -> None:
    with TestClient(
        create_app(home_service, ApiSettings(allowed_hosts=["avas.example.org"])),
        base_url="http://127.0.0.1:8000",
    ) as c:
        assert c.get("/videos").status_code == 200
        for host in ("localhost:8000", "[::1]:8000", "avas.example.org"):
            assert c.get("/videos", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "127.0.0.1.evil.example", "", "avas.example.org.evil"):
            response = c.get("/healthz", headers={"Host": host})
            assert response.status_code == 421, host


def test_body_and_queue_caps(home_service: Service, tmp_path: Path) -> None:
    with _client(home_service, max_body_bytes=2048, media_roots=[tmp_path]) as c:
        big = c.post(
            "/ask", content=b"{" + b" " * 4096 + b"}", headers={"Content-Type": "application/json"}
        )
        assert big.status_code == 413
    with _client(home_service, max_upload_storage_bytes=1000) as c:
        files = {"file": ("a.mp4", b"\0" * 5000, "video/mp4")}
        assert c.post("/ingest/upload", files=files).status_code == 507


def test_a_rejected_token_in_a_url_is_not_logged(
    home_service: Service, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(home_service, ApiSettings(token=SecretStr(TOKEN)))
    secret = "leaked-secret-value-42"
    with _serve_logging(app) as base:
        assert httpx.get(f"{base}/videos/x/media?access_token={secret}").status_code == 401
        assert httpx.get(f"{base}/videos?token={secret}&sig={secret}").status_code == 401
    out, err = capfd.readouterr()
    access = [line for line in (out + err).splitlines() if '"GET /videos' in line]
    assert len(access) == 2, out + err  # both requests are in uvicorn's access log
    assert not any(secret in line for line in access), access


# ---------- jobs: cancel, live time limit, an endless stream blocks nothing ----------


@pytest.fixture(scope="module")
def ts_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleManifest, bytes]:
    spec = SampleSpec(scenes=[SceneSpec(duration_ms=3_000, background="green", text="GAMMA")])
    folder = tmp_path_factory.mktemp("ts")
    clip = make_sample_video(folder / "clip.mp4", spec)
    ts = folder / "clip.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", clip.path, "-c", "copy", "-f", "mpegts", str(ts)],
        check=True,
    )
    return clip, ts.read_bytes()


class _Endless(BaseHTTPRequestHandler):
    """An HTTP 'camera' on loopback: the same MPEG-TS clip, sent slowly, forever."""

    body = b""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            while True:
                for i in range(0, len(self.body), 188 * 50):
                    self.wfile.write(self.body[i : i + 188 * 50])
                    threading.Event().wait(0.02)
        except OSError:
            return


def _follow(c: TestClient, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    with c.stream("GET", f"/ingest/{job_id}/events") as response:
        return parse_sse(response.iter_lines())


def test_live_jobs_time_out_and_cancel_and_never_block_files(
    tmp_path_factory: pytest.TempPathFactory, ts_clip: tuple[SampleManifest, bytes]
) -> None:
    clip, body = ts_clip
    handler = type("Handler", (_Endless,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    svc = Service(Settings(home=tmp_path_factory.mktemp("jobs-home")))
    api = {
        "allow_url_ingest": True,
        "url_allow_hosts": ["127.0.0.1"],
        "media_roots": [str(Path(clip.path).parent)],
        # Far beyond the file job (a fresh service loads its models) on a loaded machine: this
        # client cancels the endless job itself; the second client tests the time limit.
        "live_job_max_ms": 600_000,
    }
    url = f"http://127.0.0.1:{server.server_port}/cam.ts"
    try:
        with _client(svc, **api) as c:
            endless = c.post("/ingest", json={"url": url, "name": "cam"}).json()
            # A file queued after the endless stream still completes.
            file_job = c.post("/ingest", json={"path": "clip.mp4", "name": "clip"}).json()
            assert _follow(c, file_job["id"])[-1][0] == "complete"
            assert c.get(f"/ingest/{endless['id']}").json()["status"] == "running"
            cancelled = c.delete(f"/ingest/{endless['id']}")
            assert cancelled.status_code == 200
            name, job = _follow(c, endless["id"])[-1]
            assert name == "cancelled" and job["error"] == "cancelled", job
            assert c.delete("/ingest/nope").status_code == 404
        with _client(svc, **{**api, "live_job_max_ms": 1000}) as c:
            timed = c.post("/ingest", json={"url": url, "name": "cam2"}).json()
            name, job = _follow(c, timed["id"])[-1]
            assert name == "cancelled" and "time limit" in job["error"], job
            assert "127.0.0.1" not in str(job["error"])
    finally:
        server.shutdown()
        server.server_close()
        svc.close()

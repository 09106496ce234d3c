"""A loopback relay that lets FFmpeg read an http(s) URL only at the address the guard checked.

relay = PinnedRelay(timeout_s=10); local = relay.url_for(target)   # http://127.0.0.1:PORT/KEY
... ingest ``local`` ...; relay.close()

FFmpeg would re-resolve the host, follow redirects anywhere and, for a playlist, open every URL it
lists. The relay connects to ``target.ip`` (Host header and TLS name stay the original host), never
follows a redirect and refuses playlists and manifests, so the stream cannot lead the server
anywhere the guard did not check. Every refusal is the same 502: no oracle for what exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

from avas.net import Target

log = logging.getLogger(__name__)

# The first bytes of formats that name other URLs (HLS, DASH, SMIL, PLS/ASX playlists, SDP).
_MANIFEST_MARKERS = (
    b"#EXTM3U",
    b"#EXT",
    b"<?xml",
    b"<MPD",
    b"<smil",
    b"[playlist]",
    b"<asx",
    b"v=0",
)
_PASS_HEADERS = ("content-type", "content-length", "content-range", "accept-ranges")
_CHUNK = 64 * 1024


def looks_like_manifest(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    return any(text.startswith(m.lower()) for m in _MANIFEST_MARKERS)


class PinnedRelay:
    """One loopback listener; each registered target gets an unguessable, stable path."""

    def __init__(self, *, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._key = secrets.token_bytes(32)
        self._targets: dict[str, Target] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def url_for(self, target: Target) -> str:
        # Same URL, same local path for this server's life: a re-ingest resumes the same video.
        key = hmac.new(self._key, target.url.encode(), hashlib.sha256).hexdigest()[:32]
        with self._lock:
            self._targets[key] = target
            server = self._start()
        return f"http://127.0.0.1:{server.server_port}/{key}"

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def _start(self) -> ThreadingHTTPServer:
        if self._server is None:
            relay = self

            class Handler(_RelayHandler):
                owner = relay

            self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            self._server.daemon_threads = True
            threading.Thread(
                target=self._server.serve_forever, name="avas-url-relay", daemon=True
            ).start()
        return self._server

    def target(self, key: str) -> Target | None:
        with self._lock:
            return self._targets.get(key)


class _RelayHandler(BaseHTTPRequestHandler):
    owner: PinnedRelay
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the path is a capability: keep it out of logs

    def _refuse(self) -> None:
        body = b"refused\n"
        self.send_response(502)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        target = self.owner.target(self.path.lstrip("/").split("?", 1)[0])
        if target is None:
            self._refuse()
            return
        parts = urlsplit(target.url)
        literal = f"[{target.ip}]" if ":" in target.ip else target.ip
        upstream = parts._replace(netloc=f"{literal}:{target.port}").geturl()
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        # identity: bytes pass through as sent, so Content-Length stays right
        headers = {"Host": host_header, "User-Agent": "avas", "Accept-Encoding": "identity"}
        if (wanted := self.headers.get("Range")) is not None:
            headers["Range"] = wanted
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        started = False
        try:
            with (
                httpx.Client(timeout=self.owner.timeout_s, follow_redirects=False) as client,
                client.stream("GET", upstream, headers=headers, extensions=extensions) as reply,
            ):
                if reply.status_code not in (200, 206):  # a redirect is refused like any error
                    self._refuse()
                    return
                chunks = reply.iter_raw(_CHUNK)
                head = next(chunks, b"")
                if looks_like_manifest(head):
                    self._refuse()
                    return
                started = True
                self.send_response(reply.status_code)
                for name in _PASS_HEADERS:
                    if (value := reply.headers.get(name)) is not None:
                        self.send_header(name, value)
                if "content-length" not in reply.headers:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(head)
                for chunk in chunks:
                    self.wfile.write(chunk)
        except (httpx.HTTPError, OSError) as exc:
            log.info("url relay: upstream failed (%s)", type(exc).__name__)
            if not started:  # else the client sees the body end early, as with any drop
                with contextlib.suppress(OSError):
                    self._refuse()

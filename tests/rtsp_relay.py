"""A minimal RTSP server on loopback, for testing `rtsp://` pulls like an IP camera's.

    with RtspRelay(Path("clip.mp4")) as relay:  # serves rtsp://127.0.0.1:PORT/live
        LiveSource(relay.url, ...)              # the first DESCRIBE starts `ffmpeg -re ... -f rtp`

No RTSP server can be installed on the project's machines, and ffmpeg alone only listens for a
publisher. This one speaks just what a pulling client needs (OPTIONS, DESCRIBE, SETUP over
TCP-interleaved RTP, PLAY, GET_PARAMETER, TEARDOWN; UDP transport is refused with 461, which
FFmpeg answers by asking for TCP) and relays the RTP and RTCP packets that
`ffmpeg -re -i FILE -f rtp` produces, with the SDP ffmpeg writes. The media path is FFmpeg's
own RTP muxer, so what the client depacketises is real H.264 and AAC over RTP.
"""

from __future__ import annotations

import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

# RTP port pairs ffmpeg sends to, one per track: (RTP, RTCP) = (base + 4 * track, + 1).
_TRACKS = ("video", "audio")


def _free_udp_base() -> int:
    """An even UDP port with the next three free too (two RTP/RTCP pairs)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1] & ~1
        socks = []
        try:
            for offset in range(8):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return base
    raise RuntimeError("no free UDP ports for the RTP relay")


class RtspRelay:
    def __init__(
        self, media: Path, *, path: str = "live", loops: int = 0, seconds: float | None = None
    ) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise RuntimeError("the RTSP relay needs the ffmpeg CLI")
        self.media = media
        self.path = path
        self._ffmpeg = ffmpeg
        self._loops = loops
        self._seconds = seconds  # then ffmpeg stops sending: the camera goes silent
        self._stop = threading.Event()
        self._clients: list[tuple[socket.socket, dict[int, int]]] = []  # conn, {udp port: channel}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sender: subprocess.Popen[bytes] | None = None
        self._sdp = ""
        self.requests: list[str] = []  # method and URL of every request served, for assertions

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{self.path}"

    def __enter__(self) -> RtspRelay:
        self._base = _free_udp_base()
        self._udp = []
        for track in range(len(_TRACKS)):
            for rtcp in (0, 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", self._base + 4 * track + rtcp))
                s.settimeout(0.2)
                self._udp.append(s)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept)
        for s in self._udp:
            self._spawn(self._relay, s)
        return self

    def _start_sender(self) -> str:
        """Start sending on the first DESCRIBE (an on-demand camera); the SDP ffmpeg writes."""
        with self._lock:
            if self._sender is None:
                folder = Path(tempfile.mkdtemp(prefix="avas-rtsp-relay-"))
                sdp_file = folder / "stream.sdp"
                cmd = [self._ffmpeg, "-v", "error", "-re", "-stream_loop", str(self._loops)]
                if self._seconds is not None:  # an input option: both outputs stop together
                    cmd += ["-t", str(self._seconds)]
                cmd += ["-i", str(self.media), "-sdp_file", str(sdp_file)]
                cmd += ["-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast", "-g", "25"]
                cmd += ["-f", "rtp", f"rtp://127.0.0.1:{self._base}"]
                cmd += ["-map", "0:a:0", "-c:a", "aac"]
                cmd += ["-f", "rtp", f"rtp://127.0.0.1:{self._base + 4}"]
                self._sender = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                deadline = time.monotonic() + 30
                while not (sdp_file.exists() and "m=audio" in sdp_file.read_text()):
                    if time.monotonic() > deadline or self._sender.poll() is not None:
                        raise RuntimeError(f"ffmpeg wrote no SDP for {self.media}")
                    time.sleep(0.05)
                self._sdp = self._describe(sdp_file.read_text())
                shutil.rmtree(folder, ignore_errors=True)
            return self._sdp

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._sender is not None and self._sender.poll() is None:
            self._sender.kill()
            self._sender.wait()
        for t in self._threads:
            t.join(timeout=5)
        with self._lock:
            for conn, _ in self._clients:
                conn.close()
        for s in getattr(self, "_udp", []):
            s.close()
        if hasattr(self, "_listener"):
            self._listener.close()

    def drop_clients(self) -> None:
        """Close every client connection, as a camera that reboots does."""
        with self._lock:
            for conn, _ in self._clients:
                conn.close()
            self._clients.clear()

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        t.start()
        self._threads.append(t)

    @staticmethod
    def _describe(sdp: str) -> str:
        """ffmpeg's SDP, as a server describes it: media ports 0 and a control URL per track."""
        out: list[str] = []
        track = -1
        for line in sdp.strip().splitlines():
            if line.startswith("m="):
                if track >= 0:
                    out.append(f"a=control:trackID={track}")
                track += 1
                line = re.sub(r"^(m=\w+) \d+", r"\1 0", line)
            elif line.startswith("c="):
                line = "c=IN IP4 0.0.0.0"
            out.append(line)
        out.append(f"a=control:trackID={track}")
        return "\r\n".join(out) + "\r\n"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _relay(self, sock: socket.socket) -> None:
        port = sock.getsockname()[1]
        while not self._stop.is_set():
            try:
                packet = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                clients = list(self._clients)
            for conn, channels in clients:
                channel = channels.get(port)
                if channel is None:
                    continue
                try:
                    conn.sendall(struct.pack("!cBH", b"$", channel, len(packet)) + packet)
                except OSError:
                    with self._lock:
                        if (conn, channels) in self._clients:
                            self._clients.remove((conn, channels))

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.5)
        buffer = b""
        channels: dict[int, int] = {}
        session = f"{self.port:x}{id(conn) & 0xFFFF:x}"
        base = self._udp[0].getsockname()[1]
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            buffer += data
            while True:
                if buffer.startswith(b"$"):  # the client's own interleaved RTCP: skip it
                    if len(buffer) < 4:
                        break
                    size = struct.unpack("!H", buffer[2:4])[0]
                    if len(buffer) < 4 + size:
                        break
                    buffer = buffer[4 + size :]
                    continue
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buffer[:end].decode("latin-1")
                buffer = buffer[end + 4 :]
                lines = head.split("\r\n")
                method, url = lines[0].split()[:2]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:])
                }
                self.requests.append(f"{method} {url}")
                reply = self._answer(method, url, headers, channels, session, base)
                try:
                    conn.sendall(reply)
                except OSError:
                    break
                if method == "PLAY":
                    with self._lock:
                        self._clients.append((conn, channels))
        with self._lock:
            if (conn, channels) in self._clients:
                self._clients.remove((conn, channels))
        conn.close()

    def _answer(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        channels: dict[int, int],
        session: str,
        base: int,
    ) -> bytes:
        cseq = headers.get("cseq", "0")
        extra: list[str] = []
        body = ""
        status = "200 OK"
        if method == "OPTIONS":
            extra.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN")
        elif method == "DESCRIBE":
            if not url.rstrip("/").endswith("/" + self.path):
                status = "404 Not Found"
            else:
                body = self._start_sender()
                extra += ["Content-Type: application/sdp", f"Content-Base: {self.url}/"]
        elif method == "SETUP":
            transport = headers.get("transport", "")
            found = re.search(r"interleaved=(\d+)-(\d+)", transport)
            track = re.search(r"trackID=(\d+)", url)
            if "TCP" not in transport.upper() or found is None or track is None:
                status = "461 Unsupported Transport"
            else:
                rtp, rtcp = int(found.group(1)), int(found.group(2))
                port = base + 4 * int(track.group(1))
                channels[port], channels[port + 1] = rtp, rtcp
                extra += [f"Transport: RTP/AVP/TCP;unicast;interleaved={rtp}-{rtcp}"]
                extra.append(f"Session: {session};timeout=60")
        elif method in ("PLAY", "GET_PARAMETER", "TEARDOWN"):
            extra.append(f"Session: {session}")
        else:
            status = "405 Method Not Allowed"
        lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}", *extra]
        if body:
            lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("latin-1")

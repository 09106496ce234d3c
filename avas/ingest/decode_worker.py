"""Video decoding in a child process: a native abort or out-of-memory there fails one job only.

    worker = DecodeWorker("talk.mp4", size=(640, 360), stride_ms=1000)
    for frame in worker.frames(start_ms=0): ...       # InputError if the decoder crashes
    worker.stopped                                     # why decoding ended early, if it did

decord and PyAV are C/C++ libraries: ``std::bad_alloc`` or a segfault in them ends the process that
loaded them, and that was the API server, the monitor or the CLI. Here the caller starts
``python -m avas.ingest.decode_worker`` and reads sampled, downscaled frames from its stdout:
one message per frame (kind, timestamp, height, width, RGB bytes). A child that dies without its
final message is reported as "the decoder crashed on <file> at ~N s"; one that sends nothing for
``stall_ms`` is ended. The child lives only as long as its parent (``PR_SET_PDEATHSIG``) and runs
under an address-space limit, so a runaway allocation aborts the child, not the machine.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

_FRAME = b"F"  # header: ts_ms, height, width; then height*width*3 bytes of RGB
_STOPPED = b"S"  # text: why decoding ended early (what came before is good)
_ERROR = b"E"  # text: the input cannot be decoded at all (an InputError in the caller)
_DONE = b"D"
_FRAME_HEAD = struct.Struct("<qII")
_TEXT_HEAD = struct.Struct("<I")
_PIPE_BYTES = 1 << 20  # a bigger pipe: fewer wake-ups per 0.7 MB frame
_F_SETPIPE_SZ = 1031  # fcntl command number on Linux


# -- the caller's side ---------------------------------------------------------------------------


class DecodeWorker:
    """Decodes one file in a child process; each ``frames`` call starts a fresh child."""

    def __init__(
        self,
        uri: str,
        *,
        size: tuple[int, int],
        stride_ms: int,
        batch: int = 32,
        stall_ms: int = 30_000,
        memory_mb: int | None = 8192,
    ) -> None:
        self.uri = uri
        self.size = size
        self.stride_ms = stride_ms
        self.batch = batch
        self.stall_ms = stall_ms
        self.memory_mb = memory_mb
        self.stopped: str | None = None
        self.pid: int | None = None  # the running child, for tests that end it on purpose
        self._proc: subprocess.Popen[bytes] | None = None

    def frames(
        self, start_ms: int = 0, end_ms: int | None = None, *, seek: bool = False
    ) -> Generator[tuple[int, np.ndarray], None, None]:
        """(ts_ms, rgb) pairs from ``start_ms``; ``seek`` reads a short stretch with PyAV's seek
        instead of decord's whole-file index. InputError when the decoder fails or crashes."""
        from avas.errors import InputError

        request = {
            "uri": self.uri,
            "width": self.size[0],
            "height": self.size[1],
            "stride_ms": self.stride_ms,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "batch": self.batch,
            "mode": "seek" if seek else "file",
            "memory_mb": self.memory_mb,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "avas.ingest.decode_worker", json.dumps(request)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._proc, self.pid = proc, proc.pid
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        try:
            import fcntl

            fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)
        except (ImportError, OSError):  # not Linux, or over the system's pipe size limit
            pass
        last_ms = start_ms
        done = False
        try:
            while True:
                kind = self._read(fd, 1, proc, last_ms)
                if not kind:
                    break
                if kind == _FRAME:
                    ts_ms, h, w = _FRAME_HEAD.unpack(
                        self._read(fd, _FRAME_HEAD.size, proc, last_ms)
                    )
                    data = self._read(fd, h * w * 3, proc, last_ms)
                    last_ms = ts_ms
                    yield ts_ms, np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)
                    continue
                (n,) = _TEXT_HEAD.unpack(self._read(fd, _TEXT_HEAD.size, proc, last_ms))
                text = bytes(self._read(fd, n, proc, last_ms)).decode("utf-8", "replace")
                if kind == _STOPPED:
                    self.stopped = text
                elif kind == _ERROR:
                    raise InputError(f"cannot decode video {self.uri}: {text}")
                elif kind == _DONE:
                    done = True
                    break
                else:
                    raise InputError(f"the decoder sent garbage for {self.uri}")
            if not done:
                raise InputError(self._crash(proc, last_ms))
        finally:
            self._end(proc)

    def _read(self, fd: int, n: int, proc: subprocess.Popen[bytes], at_ms: int) -> bytearray:
        """Exactly ``n`` bytes, or fewer only at the end of the stream (the child ended)."""
        from avas.errors import InputError

        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            ready, _, _ = select.select([fd], [], [], self.stall_ms / 1000)
            if not ready:
                self._end(proc)
                raise InputError(
                    f"the decoder stalled on {self.uri} at ~{at_ms // 1000} s "
                    f"(nothing for {self.stall_ms // 1000} s)"
                )
            k = os.readv(fd, [view[got:]])
            if k == 0:
                if got == 0 and n == 1:
                    return bytearray()  # between messages: the child ended
                raise InputError(self._crash(proc, at_ms))
            got += k
        return buf

    def _crash(self, proc: subprocess.Popen[bytes], at_ms: int) -> str:
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._end(proc)
            code = proc.returncode
        if code is not None and code < 0:
            try:
                how = signal.Signals(-code).name
            except ValueError:
                how = f"signal {-code}"
        else:
            how = f"exit status {code}"
        return f"the decoder crashed on {self.uri} at ~{at_ms // 1000} s ({how})"

    def _end(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc, self.pid = None, None

    def close(self) -> None:
        if self._proc is not None:
            self._end(self._proc)


# -- the child's side ----------------------------------------------------------------------------


class _Out:
    """Writes messages from a thread of its own, behind a bounded queue: the next batch decodes
    while the caller still reads this one (in one thread, decoding waited for every write)."""

    def __init__(self, stream: BinaryIO, *, depth: int) -> None:
        self.stream = stream
        self._queue: queue.Queue[bytes | np.ndarray | None] = queue.Queue(maxsize=depth)
        self._broken = False
        self._thread = threading.Thread(target=self._write, name="avas-decode-out", daemon=True)
        self._thread.start()

    def frame(self, ts_ms: int, rgb: np.ndarray) -> None:
        h, w = rgb.shape[:2]
        self._put(_FRAME + _FRAME_HEAD.pack(ts_ms, h, w))
        self._put(np.ascontiguousarray(rgb, dtype=np.uint8))

    def text(self, kind: bytes, text: str) -> None:
        data = text.encode("utf-8", "replace")[:4000]
        self._put(kind + _TEXT_HEAD.pack(len(data)) + data)

    def close(self) -> None:
        self._put(None)
        self._thread.join()

    def _put(self, item: bytes | np.ndarray | None) -> None:
        if self._broken:  # the caller is gone: nobody to decode for
            os._exit(0)
        self._queue.put(item)

    def _write(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                self.stream.write(item if isinstance(item, bytes) else item.data)
                if self._queue.empty():
                    self.stream.flush()
            self.stream.flush()
        except OSError:  # a closed pipe: the caller stopped reading
            self._broken = True
            while self._queue.get() is not None:  # unblock the decoder; it exits on its next put
                pass


class _Unreadable(Exception):
    """The file cannot be decoded at all: reported to the caller as an InputError."""


def _confine(memory_mb: int | None) -> None:
    """Die with the parent, and abort (here) rather than exhaust the machine's memory."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent ended before prctl
            os._exit(1)
    except (OSError, AttributeError):
        pass
    if memory_mb:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _targets(starts_ms: np.ndarray, start_ms: int, stride_ms: int) -> np.ndarray:
    """Indices of the frames to keep: for each sampling time from ``start_ms`` on, every
    ``stride_ms``, the first frame at or after it; each frame once. O(frames) memory whatever
    the timestamps claim (an arange over the span asked 8 GB for a 1e9 s stamp)."""
    k = np.where(starts_ms >= start_ms, (starts_ms - start_ms) // stride_ms + 1, 0)
    keep = k > np.concatenate(([0], np.maximum.accumulate(k)[:-1]))
    return np.flatnonzero(keep)


def _decord_frames(req: dict[str, Any], out: _Out) -> None:
    try:
        import decord
    except ImportError:
        _pyav_frames(req, out)
        return
    decord.logging.set_level(decord.logging.QUIET)  # corrupt input would flood stderr
    try:
        reader = decord.VideoReader(
            req["uri"], ctx=decord.cpu(0), width=req["width"], height=req["height"], num_threads=2
        )
    except (decord.DECORDError, RuntimeError):
        # decord indexes the whole file up front and gives up on a damaged one (with its own
        # error or a plain RuntimeError); PyAV reads sequentially and gets all up to the damage.
        _pyav_frames(req, out)
        return
    count = len(reader)
    if count == 0:
        return
    # Presentation timestamps of every frame: correct for variable frame rate too.
    starts_ms = np.round(reader.get_frame_timestamp(np.arange(count))[:, 0] * 1000).astype(np.int64)
    order = np.argsort(starts_ms, kind="stable")
    indices = order[_targets(starts_ms[order], req["start_ms"], req["stride_ms"])]
    batch_size = req["batch"]
    for lo in range(0, len(indices), batch_size):
        chunk = indices[lo : lo + batch_size]
        stopped = None
        try:
            batch = reader.get_batch(chunk.tolist()).asnumpy()
        except Exception as exc:  # decord raises its own and plain errors on corrupt data
            batch = _salvage(reader, chunk)
            near = int(starts_ms[chunk[min(len(batch), len(chunk) - 1)]]) // 1000
            stopped = f"decoding stopped near {near} s: {str(exc).splitlines()[0][:200]}"
        if stopped is None:
            # Park the decoder before handing frames out. After a batch, decord's decoder thread
            # keeps decoding ahead while nobody asks for frames, and keeps every frame: with
            # perception slower than decoding that was 1.5 GB in seconds (measured on a 640x360
            # 25 fps file). A seek empties it; the next batch seeks to its own first frame anyway.
            reader.seek(0)
        for idx, rgb in zip(chunk, batch, strict=False):
            out.frame(int(starts_ms[idx]), rgb)
        if stopped is not None:
            out.text(_STOPPED, stopped)
            return


def _salvage(reader: Any, chunk: np.ndarray) -> list[np.ndarray]:
    """Frame by frame up to the first unreadable one, after a batch failed."""
    good = []
    for idx in chunk.tolist():
        try:
            good.append(reader[idx].asnumpy())
        except Exception:  # decord raises its own and plain errors on corrupt data
            break
    return good


def _pyav_frames(req: dict[str, Any], out: _Out) -> None:
    import av

    from avas.ingest.intake import pyav_options

    # No av.logging.set_level: PyAV's log callback takes the GIL from FFmpeg's threads, and
    # closing a frame-threaded decoder mid-stream then deadlocked (1 run in 2, measured).
    # PyAV's default ignores FFmpeg's log altogether.
    start_ms, end_ms, stride_ms = req["start_ms"], req["end_ms"], req["stride_ms"]
    next_ms = last_ms = start_ms
    sent = 0
    try:
        with av.open(req["uri"], options=pyav_options()) as container:
            if not container.streams.video:
                raise _Unreadable("no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if start_ms > 0:
                container.seek(start_ms * 1000, any_frame=False)  # microseconds
            for frame in container.decode(stream):
                if frame.pts is None or frame.time_base is None:
                    continue
                ts_ms = round(float(frame.pts * frame.time_base) * 1000)
                if end_ms is not None and ts_ms >= end_ms:
                    return
                if ts_ms < next_ms:
                    continue
                last_ms = ts_ms
                next_ms = ts_ms + stride_ms
                rgb = frame.to_ndarray(format="rgb24", width=req["width"], height=req["height"])
                out.frame(ts_ms, rgb)
                sent += 1
    except av.error.FFmpegError as exc:
        if sent == 0:
            raise _Unreadable(type(exc).__name__) from exc
        out.text(_STOPPED, f"decoding stopped near {last_ms // 1000} s: {type(exc).__name__}")


def main(argv: list[str]) -> int:
    req = json.loads(argv[0])
    _confine(req.get("memory_mb"))
    # The protocol owns the real stdout; a native library printing to fd 1 goes to stderr.
    proto = os.fdopen(os.dup(1), "wb", buffering=1 << 20)
    os.dup2(2, 1)
    out = _Out(proto, depth=2 * int(req["batch"]) + 4)  # a batch of frames, headers and texts
    from avas.ingest.intake import looks_like_manifest

    try:
        # The file was checked before this started; it may have been replaced since.
        with Path(req["uri"]).open("rb") as f:
            why = looks_like_manifest(f.read(1024))
        if why is not None:
            raise _Unreadable(why)
        if req["mode"] == "seek":
            _pyav_frames(req, out)
        else:
            _decord_frames(req, out)
    except _Unreadable as exc:
        out.text(_ERROR, str(exc))
    except OSError as exc:
        out.text(_ERROR, exc.strerror or "unreadable")
    out.text(_DONE, "")
    out.close()
    proto.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A video file as a MediaSource: frames via decord, audio via an ffmpeg pipe, both streamed,
both decoded in child processes (see ``decode_worker``).

    source = FileSource(probe_video(Path("talk.mp4")), sample_fps=1.0, max_side_px=640)
    for frame in source.frames(start_ms=60_000): ...   # resume from one minute in

Neither stream holds more than a batch in memory, whatever the length of the file. A file that
breaks off (truncated, corrupt) yields what was readable; ``stopped`` then says where and why.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator

import numpy as np

from avas.errors import DependencyError, InputError
from avas.ingest.base import AUDIO_RATE, AudioChunk, Frame, Gap, SourceInfo
from avas.ingest.decode_worker import DecodeWorker
from avas.ingest.intake import ffmpeg_input_args

AUDIO_CHUNK_S = 1


def scaled_size(width: int, height: int, max_side_px: int) -> tuple[int, int]:
    """Downscale to ``max_side_px`` on the longest side, keeping even dimensions for codecs."""
    scale = min(1.0, max_side_px / max(width, height, 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class FileSource:
    def __init__(
        self,
        info: SourceInfo,
        *,
        sample_fps: float,
        max_side_px: int,
        batch: int = 32,
        stall_ms: int = 30_000,
        memory_mb: int | None = 8192,
    ) -> None:
        self.info = info
        self.stride_ms = max(1, round(1000 / sample_fps))
        self.size = scaled_size(info.width, info.height, max_side_px)
        self.batch = batch
        self.stall_ms = stall_ms
        self.stopped: str | None = None  # why decoding ended early, if it did
        # Decoding happens in a child process: a decoder's native crash fails this source only.
        self.decoder = DecodeWorker(
            info.uri,
            size=self.size,
            stride_ms=self.stride_ms,
            batch=batch,
            stall_ms=stall_ms,
            memory_mb=memory_mb,
        )
        self._procs: list[subprocess.Popen[bytes]] = []

    def gaps(self) -> list[Gap]:
        return []

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        last_ms = -1
        decoded = self.decoder.frames(start_ms)
        try:
            for ts_ms, rgb in decoded:
                last_ms = ts_ms
                yield Frame(ts_ms=ts_ms, rgb=rgb)
        finally:
            decoded.close()  # ends the decoder process now, not when the generator is collected
        self.stopped = self.decoder.stopped
        # A container that promises more than its streams hold was cut short (a copy that broke
        # off, a recording still being written): say so rather than invent an ending.
        duration = self.info.duration_ms or 0
        if not self.stopped and 0 <= last_ms < duration - max(2_000, 2 * self.stride_ms):
            self.stopped = (
                f"the video stream ends at {last_ms // 1000} s but the file claims "
                f"{duration // 1000} s (truncated?)"
            )

    def span_frames(self, start_ms: int, end_ms: int) -> Iterator[Frame]:
        """The sampled frames of a short stretch (looking again at a moment of a long video).

        PyAV seeks straight to the stretch; decord would first index the whole file, which took
        2.2 s for a 2-hour file against 0.2 s for PyAV's open, seek and first frame (measured).
        """
        decoded = self.decoder.frames(start_ms, end_ms, seek=True)
        try:
            for ts_ms, rgb in decoded:
                yield Frame(ts_ms=ts_ms, rgb=rgb)
        finally:
            decoded.close()

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        if not self.info.has_audio:
            return
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise DependencyError("ffmpeg is not installed (Debian package: ffmpeg)")
        # Already a child process (a crash in ffmpeg ends this stream only); confined to the file
        # and to plain containers like every other ffmpeg call.
        cmd = [ffmpeg, "-nostdin", "-v", "error", "-ss", f"{start_ms / 1000:.3f}"]
        cmd += [*ffmpeg_input_args(), "-i", self.info.uri]
        cmd += ["-vn", "-ac", "1", "-ar", str(AUDIO_RATE), "-f", "f32le", "-"]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,  # unbuffered: select() below sees all that is unread
        )
        self._procs.append(proc)
        assert proc.stdout is not None
        chunk_bytes = AUDIO_RATE * 4 * AUDIO_CHUNK_S
        at_ms = start_ms
        try:
            while data := self._audio_read(proc, chunk_bytes, at_ms):
                samples = np.frombuffer(data[: len(data) - len(data) % 4], dtype=np.float32)
                chunk = AudioChunk(start_ms=at_ms, samples=samples.copy())
                at_ms = chunk.end_ms
                yield chunk
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def _audio_read(self, proc: subprocess.Popen[bytes], n: int, at_ms: int) -> bytes:
        """Up to ``n`` bytes of ffmpeg's output; InputError when it sends nothing for too long."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        data = b""
        while len(data) < n:
            ready, _, _ = select.select([fd], [], [], self.stall_ms / 1000)
            if not ready:
                raise InputError(
                    f"the audio decoder stalled on {self.info.uri} at ~{at_ms // 1000} s "
                    f"(nothing for {self.stall_ms // 1000} s)"
                )
            more = os.read(fd, n - len(data))
            if not more:
                break
            data += more
        return data

    def close(self) -> None:
        self.decoder.close()
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._procs.clear()

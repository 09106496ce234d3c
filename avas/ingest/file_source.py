"""A video file as a MediaSource: frames via decord, audio via an ffmpeg pipe, both streamed.

    source = FileSource(probe_video(Path("talk.mp4")), sample_fps=1.0, max_side_px=640)
    for frame in source.frames(start_ms=60_000): ...   # resume from one minute in

Neither stream holds more than a batch in memory, whatever the length of the file. A file that
breaks off (truncated, corrupt) yields what was readable; ``stopped`` then says where and why.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Generator, Iterator

import numpy as np

from avas.errors import DependencyError, InputError
from avas.ingest.base import AUDIO_RATE, AudioChunk, Frame, Gap, SourceInfo

AUDIO_CHUNK_S = 1


def scaled_size(width: int, height: int, max_side_px: int) -> tuple[int, int]:
    """Downscale to ``max_side_px`` on the longest side, keeping even dimensions for codecs."""
    scale = min(1.0, max_side_px / max(width, height, 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class FileSource:
    def __init__(
        self, info: SourceInfo, *, sample_fps: float, max_side_px: int, batch: int = 32
    ) -> None:
        self.info = info
        self.stride_ms = max(1, round(1000 / sample_fps))
        self.size = scaled_size(info.width, info.height, max_side_px)
        self.batch = batch
        self.stopped: str | None = None  # why decoding ended early, if it did
        self._procs: list[subprocess.Popen[bytes]] = []

    def gaps(self) -> list[Gap]:
        return []

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        last_ms = -1
        for frame in self._decoded(start_ms):
            last_ms = frame.ts_ms
            yield frame
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
        frames = self._pyav_frames(start_ms)
        try:
            for frame in frames:
                if frame.ts_ms >= end_ms:
                    return
                yield frame
        finally:
            frames.close()  # closes the container now, not when the generator is collected

    def _decoded(self, start_ms: int) -> Iterator[Frame]:
        try:
            import decord
        except ImportError as exc:  # pragma: no cover - part of the default install
            raise DependencyError("decord is not installed: pip install decord") from exc
        decord.logging.set_level(decord.logging.QUIET)  # corrupt input would flood stderr
        w, h = self.size
        try:
            reader = decord.VideoReader(
                self.info.uri, ctx=decord.cpu(0), width=w, height=h, num_threads=2
            )
        except decord.DECORDError:
            # decord indexes the whole file up front and gives up on a damaged one; PyAV reads
            # sequentially and gets everything up to the damage.
            yield from self._pyav_frames(start_ms)
            return
        count = len(reader)
        if count == 0:
            return
        # Presentation timestamps of every frame: correct for variable frame rate too.
        starts_ms = np.round(reader.get_frame_timestamp(np.arange(count))[:, 0] * 1000).astype(
            np.int64
        )
        targets = np.arange(start_ms, int(starts_ms[-1]) + 1, self.stride_ms, dtype=np.int64)
        indices = np.clip(np.searchsorted(starts_ms, targets, side="left"), 0, count - 1)
        # Adjacent targets can map to the same frame on a low-fps video: keep each frame once.
        indices = np.unique(indices)
        for lo in range(0, len(indices), self.batch):
            chunk = indices[lo : lo + self.batch]
            try:
                batch = reader.get_batch(chunk.tolist()).asnumpy()
            except decord.DECORDError as exc:
                batch = self._salvage(reader, chunk)
                self.stopped = (
                    f"decoding stopped near {int(starts_ms[chunk[len(batch)]]) // 1000} s: "
                    f"{str(exc).splitlines()[0][:200]}"
                )
            if not self.stopped:
                # Park the decoder before handing frames out. After a batch, decord's decoder
                # thread keeps decoding ahead while nobody asks for frames, and keeps every frame:
                # with perception slower than decoding that was 1.5 GB in seconds (measured on a
                # 640x360 25 fps file), and CPU spent on frames never used. A seek empties it;
                # the next batch seeks to its own first frame anyway, so it costs nothing.
                reader.seek(0)
            for idx, rgb in zip(chunk, batch, strict=False):
                yield Frame(ts_ms=int(starts_ms[idx]), rgb=np.ascontiguousarray(rgb))
            if self.stopped:
                return

    def _pyav_frames(self, start_ms: int) -> Generator[Frame, None, None]:
        import av

        av.logging.set_level(av.logging.PANIC)
        w, h = self.size
        next_ms = start_ms
        last_ms = start_ms
        try:
            with av.open(self.info.uri) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                if start_ms > 0:
                    container.seek(start_ms * 1000, any_frame=False)  # microseconds
                for frame in container.decode(stream):
                    if frame.pts is None or frame.time_base is None:
                        continue
                    ts_ms = round(float(frame.pts * frame.time_base) * 1000)
                    if ts_ms < next_ms:
                        continue
                    last_ms = ts_ms
                    next_ms = ts_ms + self.stride_ms
                    rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
                    yield Frame(ts_ms=ts_ms, rgb=np.ascontiguousarray(rgb))
        except av.error.FFmpegError as exc:
            self.stopped = f"decoding stopped near {last_ms // 1000} s: {exc}"
            if last_ms == start_ms:
                raise InputError(f"cannot decode video {self.info.uri}: {exc}") from exc

    @staticmethod
    def _salvage(reader: object, chunk: np.ndarray) -> list[np.ndarray]:
        """Frame by frame up to the first unreadable one, after a batch failed."""
        good = []
        for idx in chunk.tolist():
            try:
                good.append(reader[idx].asnumpy())  # type: ignore[index]
            except Exception:  # decord raises its own and plain errors on corrupt data
                break
        return good

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        if not self.info.has_audio:
            return
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise DependencyError("ffmpeg is not installed (Debian package: ffmpeg)")
        cmd = [ffmpeg, "-nostdin", "-v", "error", "-ss", f"{start_ms / 1000:.3f}"]
        cmd += ["-i", self.info.uri, "-vn", "-ac", "1", "-ar", str(AUDIO_RATE), "-f", "f32le", "-"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._procs.append(proc)
        assert proc.stdout is not None
        chunk_bytes = AUDIO_RATE * 4 * AUDIO_CHUNK_S
        at_ms = start_ms
        try:
            while data := proc.stdout.read(chunk_bytes):
                samples = np.frombuffer(data[: len(data) - len(data) % 4], dtype=np.float32)
                chunk = AudioChunk(start_ms=at_ms, samples=samples.copy())
                at_ms = chunk.end_ms
                yield chunk
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def close(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._procs.clear()

"""Sampled frames and 16 kHz audio from a live URL (udp, rtsp, http/HLS, rtmp, srt, /dev/video*).

``rtsp-listen://HOST:PORT/PATH`` makes AVAS the RTSP server that a camera or encoder publishes
to (``ffmpeg -re -i F -c copy -f rtsp rtsp://HOST:PORT/PATH``): no separate server needed.

source = LiveSource("udp://127.0.0.1:5000", sample_fps=1.0, max_side_px=640)
for frame in source.frames(): ...   # reconnects on drops; source.gaps() lists the lost spans
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from avas.errors import DependencyError, InputError
from avas.ingest.base import AUDIO_RATE, AudioChunk, Frame, Gap, SourceInfo
from avas.ingest.drop_queue import DropOldestQueue
from avas.ingest.file_source import scaled_size
from avas.ingest.live_options import ffmpeg_options, ffmpeg_url
from avas.ingest.status import StreamBreak

try:  # PyAV comes with faster-whisper, part of the default install
    import av
    import av.container
    import av.error
except ImportError as exc:  # pragma: no cover
    raise DependencyError("PyAV is not installed: pip install av") from exc

log = logging.getLogger(__name__)

# A sender whose timestamps jump back by more than this restarted (e.g. on the same UDP port).
_BACKWARD_JUMP_MS = 2_000
# ... or forward past the wall clock by more than this (HLS delivers whole segments early).
_FORWARD_JUMP_MS = 60_000
# Audio whose timestamp strays this far from the running sample count starts a new chunk.
_AUDIO_DRIFT_MS = 250


class LiveStatus(BaseModel):
    connected: bool
    last_media_ms: int | None
    frames: int
    dropped_frames: int
    dropped_audio_chunks: int
    reconnects: int
    last_error: str | None


class LiveSource:
    """MediaSource over a live stream; a background thread demuxes, decodes and reconnects.

    Media time is ms since the stream was first opened: packet timestamps relative to the first
    one, and after a reconnect (senders restart their timestamps) the wall-clock time elapsed
    since the first open, so time never goes backwards and the outage shows up as a `Gap`.
    Nothing connects until `info`, `frames()` or `audio()` is first used. Frames and audio may
    be consumed from different threads; each queue expects one consumer at a time.
    """

    def __init__(
        self,
        uri: str,
        *,
        sample_fps: float,
        max_side_px: int,
        open_timeout_s: float = 10,
        max_reconnects: int | None = 5,
        backoff_s: float = 0.5,
        max_backoff_s: float = 10,
        queue_frames: int = 64,
        open_retries: int = 2,
    ) -> None:
        if sample_fps <= 0:
            raise InputError(f"sample_fps must be positive, got {sample_fps}")
        self.uri = uri
        self.stride_ms = max(1, round(1000 / sample_fps))
        self.max_side_px = max_side_px
        self.open_timeout_s = open_timeout_s
        self.max_reconnects = max_reconnects
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.open_retries = open_retries
        self.dropped_frames = 0
        self.dropped_audio_chunks = 0
        self.frame_count = 0
        self.reconnects = 0
        self.last_error: str | None = None
        # Why the stream ended early by our own hand (`stop`); the pipeline reports it.
        self.stopped: str | None = None

        self._frames: DropOldestQueue[Frame | StreamBreak] = DropOldestQueue(max(1, queue_frames))
        self._audio: DropOldestQueue[AudioChunk] = DropOldestQueue(max(8, queue_frames))
        self._gaps: list[Gap] = []
        self._lock = threading.Lock()  # guards starting and closing
        self._gaps_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._info: SourceInfo | None = None
        self._open_error: InputError | None = None
        self._closed = False
        self._connected = False

        # Media clock, touched only by the worker thread (and `_connect` before it starts).
        self._t0: float | None = None  # monotonic time of the first open
        self._lag_ms: int | None = None  # wall minus media time, smallest seen on 1st connection
        self._first_connection = True
        self._ref_s: float | None = None  # first timestamp of the current connection
        self._offset_ms = 0
        self._last_media_ms: int | None = None
        self._last_video_ms = -1
        self._broken_at = -1  # _last_video_ms when the last StreamBreak went out
        self._next_slot_ms = 0
        self._drop: tuple[int, str] | None = None  # (last media ms, reason) of the last drop
        self._resampler: av.AudioResampler | None = None
        self._audio_buf: list[npt.NDArray[np.float32]] = []
        self._audio_len = 0
        self._audio_start_ms = 0

    # -- MediaSource ------------------------------------------------------------------------

    @property
    def info(self) -> SourceInfo:
        self._start()
        assert self._info is not None
        return self._info

    def frames(self, start_ms: int = 0) -> Iterator[Frame]:
        self._start()
        return (f for f in self._iter_frames(start_ms) if isinstance(f, Frame))

    def frames_and_breaks(self, start_ms: int = 0) -> Iterator[Frame | StreamBreak]:
        """Frames, and a StreamBreak where the stream dropped: the pipeline commits the window
        open then instead of holding it until the stream comes back (it may not)."""
        self._start()
        return self._iter_frames(start_ms)

    def audio(self, start_ms: int = 0) -> Iterator[AudioChunk]:
        self._start()
        if not self.info.has_audio:
            return iter(())
        return self._iter_audio(start_ms)

    def gaps(self) -> list[Gap]:
        with self._gaps_lock:
            return list(self._gaps)

    def stop(self, reason: str = "stopped") -> None:
        """End the stream gracefully: what was received is still handed out, then the
        iterators end (a Ctrl-C on `avas ingest udp://...`: the pipeline commits it all).
        Safe from a signal handler: it only sets flags and notifies."""
        self.stopped = self.stopped or reason
        self._stop.set()
        self._frames.close()
        self._audio.close()

    def close(self) -> None:
        self._stop.set()  # first: it also cuts short a first open's retries, which hold the lock
        with self._lock:
            self._closed = True
            thread = self._thread
        self._frames.close(discard=True)
        self._audio.close(discard=True)
        if thread is not None and thread is not threading.current_thread():
            # A read blocked on a silent stream returns within the read timeout at worst; after
            # a stop() everything received is handed out already: a user waits for none of it
            # (the thread is a daemon: it ends with the process).
            thread.join(timeout=1 if self.stopped else 2 * self.open_timeout_s + 1)

    def status(self) -> LiveStatus:
        return LiveStatus(
            connected=self._connected,
            last_media_ms=self._last_media_ms,
            frames=self.frame_count,
            dropped_frames=self.dropped_frames,
            dropped_audio_chunks=self.dropped_audio_chunks,
            reconnects=self.reconnects,
            last_error=self.last_error,
        )

    @property
    def thread(self) -> threading.Thread | None:
        """The demux thread, once started (for callers that want to watch it)."""
        return self._thread

    def __enter__(self) -> LiveSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- consumers ---------------------------------------------------------------------------

    def _iter_frames(self, start_ms: int) -> Iterator[Frame | StreamBreak]:
        while (frame := self._frames.get()) is not None:
            if frame.ts_ms >= start_ms:
                yield frame

    def _iter_audio(self, start_ms: int) -> Iterator[AudioChunk]:
        while (chunk := self._audio.get()) is not None:
            if chunk.end_ms <= start_ms:
                continue
            if chunk.start_ms < start_ms:
                skip = (start_ms - chunk.start_ms) * AUDIO_RATE // 1000
                chunk = AudioChunk(start_ms=start_ms, samples=chunk.samples[skip:])
            yield chunk

    # -- connecting --------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._open_error is not None:
                raise self._open_error
            if self._thread is not None:
                return
            if self._closed:
                raise InputError(f"live source {self.uri} is closed")
            container = self._connect_first()
            self._thread = threading.Thread(
                target=self._run, args=(container,), name=f"avas-live {self.uri}", daemon=True
            )
            self._thread.start()

    def _connect_first(self) -> av.container.InputContainer:
        error: Exception | None = None
        for attempt in range(self.open_retries + 1):
            if attempt and self._stop.wait(self._backoff(attempt - 1)):
                break
            try:
                container = self._open()
            except (av.FFmpegError, OSError) as exc:
                error = exc
                log.info("live source %s: open attempt %d failed: %s", self.uri, attempt + 1, exc)
                continue
            try:
                self._info = self._describe(container)
            except InputError as exc:
                self._open_error = exc
                raise
            return container
        self.last_error = self._reason(error) if error else "closed while opening"
        self._open_error = InputError(f"cannot open live source {self.uri}: {self.last_error}")
        self._frames.close()
        self._audio.close()
        raise self._open_error

    def _open(self) -> av.container.InputContainer:
        options, fmt = ffmpeg_options(self.uri, self.open_timeout_s)
        if self._t0 is None:
            self._t0 = time.monotonic()
        return av.open(
            ffmpeg_url(self.uri),
            mode="r",
            format=fmt,
            options=options,
            timeout=(self.open_timeout_s, self.open_timeout_s),
        )

    def _describe(self, container: av.container.InputContainer) -> SourceInfo:
        video = container.streams.video[0] if container.streams.video else None
        if video is None:
            container.close()
            raise InputError(f"live source {self.uri} has no video stream")
        rate = video.average_rate or video.guessed_rate
        return SourceInfo(
            uri=self.uri,
            is_live=True,
            duration_ms=None,
            width=video.codec_context.width,
            height=video.codec_context.height,
            fps=float(rate) if rate else 0.0,
            has_audio=bool(container.streams.audio),
        )

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, av.error.ExitError):  # our own timeout interrupted the read
            return f"no data for {self.open_timeout_s:g} s"
        return str(exc) or type(exc).__name__

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff_s * 2**attempt, self.max_backoff_s))

    # -- the worker --------------------------------------------------------------------------

    def _run(self, container: av.container.InputContainer | None) -> None:
        try:
            while container is not None:
                self._connected = True
                try:
                    reason = self._pump(container)
                except (av.FFmpegError, OSError) as exc:
                    reason = self._reason(exc)
                finally:
                    self._connected = False
                    container.close()
                if self._stop.is_set():
                    return
                self.last_error = reason
                self._mark_break(reason)
                last_ms = self._last_media_ms if self._last_media_ms is not None else 0
                self._drop = (last_ms, reason)
                log.warning("live source %s dropped at %d ms: %s", self.uri, last_ms, reason)
                container = self._reconnect()
        except Exception as exc:  # a bug here must end the iterators, not hang them
            log.exception("live source %s: worker failed", self.uri)
            self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._flush_audio()
            self._frames.close()
            self._audio.close()

    def _reconnect(self) -> av.container.InputContainer | None:
        attempt = 0
        while self.max_reconnects is None or attempt < self.max_reconnects:
            if self._stop.wait(self._backoff(attempt)):
                return None
            attempt += 1
            try:
                container = self._open()
            except (av.FFmpegError, OSError) as exc:
                self.last_error = self._reason(exc)
                log.info("live source %s: reconnect %d failed: %s", self.uri, attempt, exc)
                continue
            if not container.streams.video:
                container.close()
                self.last_error = "no video stream after reconnecting"
                continue
            self.reconnects += 1
            self._begin_connection()
            return container
        log.warning("live source %s: giving up after %d reconnects", self.uri, attempt)
        return None

    def _mark_break(self, reason: str) -> None:
        """The stream dropped: let the consumer close the open window now, with its speech."""
        if self._last_video_ms < 0 or self._broken_at == self._last_video_ms:
            return  # nothing received since the last break
        self._broken_at = self._last_video_ms
        end_ms = self._last_video_ms + self.stride_ms  # the last sample stands for its stride
        if self._resampler is not None:
            # The speech recogniser reports audio as heard once it is followed: pad it with
            # silence up to the window's end, then a tiny chunk a second later, whose jump in
            # time makes it finish what it holds (as it does after a reconnect).
            # (Past the end by a margin: audio clocks drift by up to _AUDIO_DRIFT_MS.)
            self._flush_audio()
            heard_to_ms = end_ms + 2 * _AUDIO_DRIFT_MS
            if heard_to_ms > self._audio_start_ms:
                pad = (heard_to_ms - self._audio_start_ms) * AUDIO_RATE // 1000
                self._emit_audio(np.zeros(pad, np.float32))
            self._audio_start_ms = max(self._audio_start_ms, end_ms) + 1_000
            self._emit_audio(np.zeros(AUDIO_RATE // 100, np.float32))
        # The next connection's media time starts after the closed window.
        self._last_media_ms = max(self._last_media_ms or 0, end_ms - 1)
        self._frames.put(StreamBreak(ts_ms=end_ms, reason=reason))

    def _begin_connection(self) -> None:
        self._first_connection = False
        self._ref_s = None
        self._resampler = None
        self._flush_audio()

    def _pump(self, container: av.container.InputContainer) -> str:
        """Demux until the stream ends (returns why) or fails (raises)."""
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        streams = [video] if audio is None else [video, audio]
        for packet in container.demux(streams):
            if self._stop.is_set():
                return "closed"
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:  # one corrupt packet is not a dropped stream
                log.debug("live source %s: skipped a packet: %s", self.uri, exc)
                continue
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    self._on_video(frame)
                elif isinstance(frame, av.AudioFrame):
                    self._on_audio(frame)
        return "end of stream"

    def _media_ms(self, seconds: float | None) -> int | None:
        if seconds is None or self._t0 is None:
            return None
        wall_ms = round((time.monotonic() - self._t0) * 1000)
        if self._ref_s is None:
            self._rebase(seconds, wall_ms)
        assert self._ref_s is not None
        ms = self._offset_ms + round((seconds - self._ref_s) * 1000)
        last = self._last_media_ms
        if last is not None and (
            ms < last - _BACKWARD_JUMP_MS or ms > wall_ms - (self._lag_ms or 0) + _FORWARD_JUMP_MS
        ):
            self._drop = (last, "timestamp discontinuity")
            self._rebase(seconds, wall_ms)
            ms = self._offset_ms
        if self._first_connection:
            lag = wall_ms - ms
            self._lag_ms = lag if self._lag_ms is None else min(self._lag_ms, lag)
        self._last_media_ms = ms if last is None else max(last, ms)
        return ms

    def _rebase(self, seconds: float, wall_ms: int) -> None:
        """Start a new timestamp epoch: the first connection at 0, later ones at the wall clock."""
        self._ref_s = seconds
        if self._last_media_ms is None:
            self._offset_ms = 0
            return
        self._offset_ms = max(self._last_media_ms + 1, wall_ms - (self._lag_ms or 0))
        if self._drop is not None:
            start_ms, reason = self._drop
            self._drop = None
            if self._offset_ms - start_ms > self.stride_ms:
                with self._gaps_lock:
                    self._gaps.append(Gap(start_ms=start_ms, end_ms=self._offset_ms, reason=reason))

    def _on_video(self, frame: av.VideoFrame) -> None:
        ms = self._media_ms(frame.time)
        if ms is None:
            ms = self._last_video_ms + 1
        ms = max(ms, self._last_video_ms + 1)
        self._last_video_ms = ms
        if ms < self._next_slot_ms:
            return
        self._next_slot_ms = (ms // self.stride_ms + 1) * self.stride_ms
        w, h = scaled_size(frame.width, frame.height, self.max_side_px)
        rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
        self.frame_count += 1
        if not self._frames.put(Frame(ts_ms=ms, rgb=np.ascontiguousarray(rgb, dtype=np.uint8))):
            self.dropped_frames += 1

    def _on_audio(self, frame: av.AudioFrame) -> None:
        ms = self._media_ms(frame.time)
        expected_ms = self._audio_start_ms + self._audio_len * 1000 // AUDIO_RATE
        if ms is not None and (not self._audio_len or abs(ms - expected_ms) > _AUDIO_DRIFT_MS):
            self._flush_audio()
            self._audio_start_ms = ms
        if self._resampler is None:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        for out in self._resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            self._audio_buf.append(samples)
            self._audio_len += len(samples)
        while self._audio_len >= AUDIO_RATE:
            joined = np.concatenate(self._audio_buf)
            self._emit_audio(joined[:AUDIO_RATE])
            rest = joined[AUDIO_RATE:]
            self._audio_buf = [rest] if len(rest) else []
            self._audio_len = len(rest)

    def _flush_audio(self) -> None:
        if self._audio_len:
            self._emit_audio(np.concatenate(self._audio_buf))
        self._audio_buf = []
        self._audio_len = 0

    def _emit_audio(self, samples: npt.NDArray[np.float32]) -> None:
        chunk = AudioChunk(start_ms=self._audio_start_ms, samples=samples)
        self._audio_start_ms = chunk.end_ms
        if not self._audio.put(chunk):
            self.dropped_audio_chunks += 1

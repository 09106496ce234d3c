""" "Look again" at a span: denser perception of one stretch of a video, for thin evidence.

    looker = SpanLooker(store, reader=lambda: service.text_reader,
                        asr=lambda: service.speech_recognizer, captioner=lambda: None)
    looker.look("talk", TimeSpan(start_ms=60_000, end_ms=75_000), question="What was the code?")

Ingest samples a frame a second; a text flashed for half a second, or a word the event's speech
lost, can slip through. This re-decodes the span from the video file at ``fps`` frames a second,
reads the frames that changed, transcribes the span's audio, and (with a VLM configured)
captions the span's frames with the question as context. The observations are returned, not
stored: a question never changes the store. Each is tied to the stored event it falls in, so a
citation of it still points at a stored node.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import takewhile
from pathlib import Path

import numpy as np

from avas.errors import InputError, NotFoundError
from avas.graph.base import EventGraphStore
from avas.ingest.base import AUDIO_RATE, RGBImage, SourceInfo
from avas.perception.base import SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner, describe_caption
from avas.retrieval.hybrid import Evidence
from graph_schema import NodeKind, TimeSpan, normalize_name

# A frame is read again only when it differs from the last frame read by this much (mean
# absolute difference of 0-255 pixels): still frames cost nothing, a new overlay is read.
CHANGED = 4.0
MAX_SPAN_MS = 120_000  # looking again is for a moment, not a whole video
# The agent looks again around its best hit, not over the hit's whole event: a word the speech
# lost or a text flashed by sits next to the part that matched, and a few seconds of dense
# OCR and speech cost about a second on two cores where a 30 s event costs several.
MOMENT_PAD_MS = 4_000
MOMENT_MAX_MS = 12_000
MAX_CAPTION_FRAMES = 4


def moment_around(hit: TimeSpan, event: TimeSpan) -> TimeSpan:
    """The stretch to look again at for a hit: its span padded by a few seconds, within its
    event, at most ``MOMENT_MAX_MS`` long (centred on the hit when the hit itself is longer)."""
    start = max(event.start_ms, hit.start_ms - MOMENT_PAD_MS)
    end = min(event.end_ms, hit.end_ms + MOMENT_PAD_MS)
    if end - start > MOMENT_MAX_MS:
        centre = (hit.start_ms + hit.end_ms) // 2
        # Slide inside the event rather than shrink at its edges.
        latest = max(event.start_ms, event.end_ms - MOMENT_MAX_MS)
        start = min(max(event.start_ms, centre - MOMENT_MAX_MS // 2), latest)
        end = min(event.end_ms, start + MOMENT_MAX_MS)
    return TimeSpan(start_ms=start, end_ms=max(end, start + 1))


class SpanLooker:
    def __init__(
        self,
        store: EventGraphStore,
        *,
        reader: Callable[[], TextReader | None],
        asr: Callable[[], SpeechRecognizer | None],
        captioner: Callable[[], Captioner | None] = lambda: None,
        fps: float = 4.0,
        max_side_px: int = 640,
    ) -> None:
        # The components come as callables so an agent that never looks again loads no model.
        self.store = store
        self.reader = reader
        self.asr = asr
        self.captioner = captioner
        self.fps = fps
        self.max_side_px = max_side_px

    def look(self, video_id: str, span: TimeSpan, *, question: str = "") -> list[Evidence]:
        """What a denser look at ``span`` sees and hears, in time order (deduplicated)."""
        video = self.store.get_video(video_id)
        if video is None:
            raise NotFoundError(f"no video {video_id!r} in the store")
        if video.is_live or not Path(video.path).is_file():
            raise InputError(f"cannot look again at {video_id!r}: {video.path} is not a file")
        span = TimeSpan(
            start_ms=span.start_ms, end_ms=min(span.end_ms, span.start_ms + MAX_SPAN_MS)
        )
        from avas.ingest.file_source import FileSource

        # The store knows the file's geometry and audio: no probe (a subprocess) per look.
        info = SourceInfo(
            uri=video.path,
            is_live=False,
            duration_ms=video.duration_ms,
            width=video.width,
            height=video.height,
            fps=video.fps,
            has_audio=video.has_audio,
        )
        source = FileSource(info, sample_fps=self.fps, max_side_px=self.max_side_px)
        try:
            frames = [(f.ts_ms, f.rgb) for f in source.span_frames(span.start_ms, span.end_ms)]
            # takewhile, not a filter: the audio reader would otherwise decode to the file's end.
            samples = [
                c.samples
                for c in takewhile(lambda c: c.start_ms < span.end_ms, source.audio(span.start_ms))
            ]
        finally:
            source.close()
        found = self._texts(video_id, frames, span)
        found += self._speech(video_id, samples, span, video.language)
        found += self._caption(video_id, frames, span, question)
        return sorted(found, key=lambda e: (e.span.start_ms, e.kind.value, e.text))

    def _evidence(self, video_id: str, kind: NodeKind, span: TimeSpan, text: str) -> Evidence:
        # Cite the stored event the observation falls in: the span is new, the node is not.
        events = self.store.events_in_span(video_id, TimeSpan(start_ms=span.start_ms,
                                                               end_ms=span.start_ms))  # fmt: skip
        node = events[0].id if events else f"{video_id}/look/{span.start_ms}-{span.end_ms}"
        return Evidence(
            node_id=node, kind=kind, video_id=video_id, span=span, text=text, fused=0, coverage=0
        )

    def _texts(
        self, video_id: str, frames: list[tuple[int, RGBImage]], span: TimeSpan
    ) -> list[Evidence]:
        reader = self.reader()
        if reader is None or not frames:
            return []
        stride = max(1, round(1000 / self.fps))
        seen: dict[str, tuple[str, int, int]] = {}  # key -> (text, first ms, last ms)
        last: RGBImage | None = None
        lines: list[str] = []
        for ts, rgb in frames:
            diff = (
                float(np.mean(np.abs(rgb.astype(np.int16) - last.astype(np.int16))))
                if last is not None
                else CHANGED
            )
            if diff >= CHANGED:
                lines = [line.text for line in reader.read(rgb)]
                last = rgb
            for text in lines:
                key = normalize_name(text)
                if not key:
                    continue
                first = seen[key][1] if key in seen else ts
                seen[key] = (text, first, ts)
        return [
            self._evidence(
                video_id,
                NodeKind.TEXT,
                TimeSpan(start_ms=first, end_ms=min(span.end_ms, end + stride)),
                text,
            )
            for text, first, end in seen.values()
        ]

    def _speech(
        self, video_id: str, samples: list[np.ndarray], span: TimeSpan, language: str | None
    ) -> list[Evidence]:
        asr = self.asr()
        if asr is None or not samples:
            return []
        audio = np.concatenate(samples)[: span.duration_ms * AUDIO_RATE // 1000]
        found = []
        for piece in asr.transcribe(audio.astype(np.float32), language=language):
            at = TimeSpan(
                start_ms=span.start_ms + piece.span.start_ms,
                end_ms=min(span.end_ms, span.start_ms + piece.span.end_ms),
            )
            if piece.text.strip() and at.end_ms > at.start_ms:
                found.append(self._evidence(video_id, NodeKind.SPEECH, at, piece.text.strip()))
        return found

    def _caption(
        self, video_id: str, frames: list[tuple[int, RGBImage]], span: TimeSpan, question: str
    ) -> list[Evidence]:
        captioner = self.captioner()
        if captioner is None or not frames:
            return []
        step = max(1, len(frames) // MAX_CAPTION_FRAMES)
        chosen = [rgb for _, rgb in frames[::step][:MAX_CAPTION_FRAMES]]
        context = f"Look for what answers this question: {question}" if question else ""
        caption = captioner.caption(chosen, context=context)
        text = describe_caption(caption)
        return [self._evidence(video_id, NodeKind.EVENT, span, text)] if text else []

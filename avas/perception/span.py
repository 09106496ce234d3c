"""Perceiving a span of video: the text it shows, the speech in it, and (with a VLM) a caption.

One component for both callers. Ingest hands it each event's sampled frames, with its running
OCR change tracker (what changed is read, the rest reuses the last read). The agent's look-again
asks it to decode a stretch of the file again, denser, and perceive that:

    perception = SpanPerception(reader=..., asr=..., captioner=...)
    texts = perception.texts(window.frames, tracker, end_ms=window.span.end_ms, stride_ms=1000)
    seen = perception.look(info, TimeSpan(start_ms=60_000, end_ms=72_000), fps=4.0, question=q)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import numpy as np
import numpy.typing as npt

from avas.ingest.base import AUDIO_RATE, Frame, SourceInfo
from avas.perception.base import SpeechPiece, SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner, StructuredCaption
from avas.perception.ocr_tracker import TextChangeTracker
from graph_schema import TimeSpan, normalize_name

# Looking again reads a frame when it differs from the last one read by this much (mean absolute
# difference of a grey thumbnail, 0-255): still frames cost nothing, a new overlay is read.
LOOK_CHANGED = 4.0


@dataclass(frozen=True)
class TextSighting:
    """One distinct line of text over the frames that showed it."""

    text: str
    span: TimeSpan
    confidence: float


@dataclass
class SpanObservation:
    """What a look at a span saw and heard; times are the video's."""

    span: TimeSpan
    texts: list[TextSighting] = field(default_factory=list)
    speech: list[SpeechPiece] = field(default_factory=list)
    caption: StructuredCaption | None = None


def read_texts(
    frames: Sequence[Frame], tracker: TextChangeTracker, *, end_ms: int, stride_ms: int
) -> list[TextSighting]:
    """One sighting per distinct line (normalised) in ``frames``, spanning the frames that showed
    it, most common spelling kept; the first frame is always read (see ``TextChangeTracker``)."""
    seen: dict[str, tuple[int, int, Counter[str], float]] = {}
    for i, frame in enumerate(frames):
        for line in tracker.read(frame, first_of_event=i == 0):
            key = normalize_name(line.text)
            # A lone character is what the recogniser makes of texture in real footage
            # (an "X" on a shirt, an "H" in a fence), never a line worth answering from.
            if len(key) < 2:
                continue
            first, _, forms, conf = seen.get(key, (frame.ts_ms, 0, Counter(), 0.0))
            forms[line.text] += 1
            seen[key] = (first, frame.ts_ms, forms, max(conf, line.confidence))
    found = [
        TextSighting(
            text=forms.most_common(1)[0][0],
            span=TimeSpan(start_ms=first, end_ms=min(end_ms, last + stride_ms)),
            confidence=conf,
        )
        for first, last, forms, conf in seen.values()
    ]
    return sorted(found, key=lambda t: (t.span.start_ms, t.text))


def transcribe_span(
    asr: SpeechRecognizer,
    samples: npt.NDArray[np.float32],
    span: TimeSpan,
    *,
    language: str | None = None,
) -> list[SpeechPiece]:
    """The speech in ``samples`` (16 kHz, starting at ``span.start_ms``), in the video's time."""
    found = []
    for piece in asr.transcribe(samples, language=language):
        at = TimeSpan(
            start_ms=span.start_ms + piece.span.start_ms,
            end_ms=min(span.end_ms, span.start_ms + piece.span.end_ms),
        )
        text = piece.text.strip()
        if text and at.end_ms > at.start_ms:
            found.append(piece.model_copy(update={"span": at, "text": text}))
    return found


def pick_frames(frames: Sequence[Frame], limit: int) -> list[Frame]:
    """At most ``limit`` frames spread over ``frames`` (what a VLM is shown of a span)."""
    step = max(1, len(frames) // max(1, limit))
    return list(frames[::step][:limit])


class SpanPerception:
    """Text, speech and a caption over a span. The components come as callables so a caller
    that never looks loads no model."""

    def __init__(
        self,
        *,
        reader: Callable[[], TextReader | None],
        asr: Callable[[], SpeechRecognizer | None],
        captioner: Callable[[], Captioner | None] = lambda: None,
        max_side_px: int = 640,
        caption_frames: int = 4,
    ) -> None:
        self.reader = reader
        self.asr = asr
        self.captioner = captioner
        self.max_side_px = max_side_px
        self.caption_frames = caption_frames

    def texts(
        self, frames: Sequence[Frame], tracker: TextChangeTracker, *, end_ms: int, stride_ms: int
    ) -> list[TextSighting]:
        return read_texts(frames, tracker, end_ms=end_ms, stride_ms=stride_ms)

    def look(
        self, info: SourceInfo, span: TimeSpan, *, fps: float, question: str = "",
        language: str | None = None,
    ) -> SpanObservation:  # fmt: skip
        """Decode ``span`` of the file ``info`` names at ``fps`` and perceive it: the changed
        frames read, the span's audio transcribed, and (with a VLM) a caption with the question
        as context."""
        from avas.ingest.file_source import FileSource

        source = FileSource(info, sample_fps=fps, max_side_px=self.max_side_px)
        try:
            frames = list(source.span_frames(span.start_ms, span.end_ms))
            # takewhile, not a filter: the audio reader would otherwise decode to the file's end.
            chunks = [
                c.samples
                for c in takewhile(lambda c: c.start_ms < span.end_ms, source.audio(span.start_ms))
            ]
        finally:
            source.close()
        seen = SpanObservation(span=span)
        reader = self.reader()
        if reader is not None and frames:
            # Every change is read: no backoff over a few seconds looked at on purpose.
            tracker = TextChangeTracker(reader, LOOK_CHANGED, min_interval_ms=0)
            stride = max(1, round(1000 / fps))
            seen.texts = read_texts(frames, tracker, end_ms=span.end_ms, stride_ms=stride)
        asr = self.asr()
        if asr is not None and chunks:
            audio = np.concatenate(chunks)[: span.duration_ms * AUDIO_RATE // 1000]
            seen.speech = transcribe_span(asr, audio.astype(np.float32), span, language=language)
        captioner = self.captioner()
        if captioner is not None and frames:
            context = f"Look for what answers this question: {question}" if question else ""
            chosen = [f.rgb for f in pick_frames(frames, self.caption_frames)]
            seen.caption = captioner.caption(chosen, context=context)
        return seen

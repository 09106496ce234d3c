"""Speech recognition over an endless audio stream, in bounded windows.

    for piece in transcribe_stream(asr, source.audio()): print(piece.span, piece.text)

Whisper reads 30 s at a time anyway. Each window is transcribed; a sentence that may run past
the window's end is not emitted but re-read at the start of the next window, so no sentence is
cut in two and memory never holds more than one window.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avas.ingest.base import AUDIO_RATE, AudioChunk
from avas.perception.base import SpeechPiece, SpeechRecognizer
from graph_schema import TimeSpan

WINDOW_MS = 30_000
# A piece ending this close to the window's edge may continue in the next window.
EDGE_MS = 1_500


@dataclass(frozen=True, slots=True)
class Watermark:
    """Every piece of speech that starts before ``ms`` has been yielded."""

    ms: int


def _shift(piece: SpeechPiece, offset_ms: int) -> SpeechPiece:
    return piece.model_copy(
        update={
            "span": TimeSpan(
                start_ms=piece.span.start_ms + offset_ms, end_ms=piece.span.end_ms + offset_ms
            )
        }
    )


def transcribe_stream(
    asr: SpeechRecognizer, chunks: Iterable[AudioChunk], *, window_ms: int = WINDOW_MS
) -> Iterator[SpeechPiece | Watermark]:
    """Pieces in time order, each batch followed by a Watermark saying how far speech is known.

    The watermark lets a consumer close an event as soon as its audio has been heard, without
    waiting for the next sentence (which, on a live stream, may be minutes away).
    """
    window = window_ms * AUDIO_RATE // 1000
    parts: list[npt.NDArray[np.float32]] = []
    buffered = 0
    start_ms: int | None = None

    def run(samples: npt.NDArray[np.float32], final: bool) -> tuple[list[SpeechPiece], int]:
        """Pieces safe to emit, and how many samples they used up."""
        pieces = list(asr.transcribe(samples))
        used = len(samples)
        if not final and pieces and pieces[-1].span.end_ms > window_ms - EDGE_MS:
            carry_from = pieces[-1].span.start_ms * AUDIO_RATE // 1000
            if carry_from > 0:  # else one piece fills the window: cut it, or we never advance
                pieces, used = pieces[:-1], carry_from
        return pieces, used

    for chunk in chunks:
        if start_ms is not None and chunk.start_ms > start_ms + buffered * 1000 // AUDIO_RATE + 500:
            # A jump in time (a live source reconnected): finish what we have first.
            pieces, _ = run(np.concatenate(parts), final=True) if parts else ([], 0)
            yield from (_shift(p, start_ms) for p in pieces)
            yield Watermark(start_ms + buffered * 1000 // AUDIO_RATE)
            parts, buffered, start_ms = [], 0, None
        if start_ms is None:
            start_ms = chunk.start_ms
        parts.append(chunk.samples)
        buffered += len(chunk.samples)
        while buffered >= window:
            samples = np.concatenate(parts)
            pieces, used = run(samples[:window], final=False)
            yield from (_shift(p, start_ms) for p in pieces)
            rest = samples[used:]
            parts, buffered = [rest], len(rest)
            start_ms += used * 1000 // AUDIO_RATE
            yield Watermark(start_ms)
    if parts and buffered and start_ms is not None:
        pieces, _ = run(np.concatenate(parts), final=True)
        yield from (_shift(p, start_ms) for p in pieces)
        yield Watermark(start_ms + buffered * 1000 // AUDIO_RATE)

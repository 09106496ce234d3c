"""Speech for events as they close, and the time shifts of a resumed live stream."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from avas.ingest.base import AudioChunk, Frame
from avas.ingest.status import StreamBreak
from avas.perception.base import SpeechPiece
from avas.perception.speech_stream import Watermark
from graph_schema import TimeSpan


@dataclass
class SpeechFeed:
    """Hands out recognised speech to the event whose span holds each piece's midpoint.

    An event takes its speech once the recogniser's watermark has passed the event's end.
    """

    items: Iterator[SpeechPiece | Watermark]
    not_before_ms: int = 0  # pieces of events an earlier run (or chunk) committed are dropped
    _pending: list[SpeechPiece] = field(default_factory=list)
    _heard_to_ms: int = -1
    _done: bool = False
    languages: Counter[str] = field(default_factory=Counter)  # pieces per detected language

    def take(self, span: TimeSpan, *, last: bool) -> list[SpeechPiece]:
        while not self._done and (last or self._heard_to_ms < span.end_ms):
            item = next(self.items, None)
            if item is None:
                self._done = True
            elif isinstance(item, Watermark):
                self._heard_to_ms = item.ms
            elif _mid(item) >= self.not_before_ms:
                self._pending.append(item)
                if item.language:
                    self.languages[item.language] += 1
        if last:
            taken, self._pending = self._pending, []
        else:
            taken = [p for p in self._pending if _mid(p) < span.end_ms]
            self._pending = [p for p in self._pending if _mid(p) >= span.end_ms]
        return taken


def video_language(pieces_per_language: Counter[str], *, share: float = 0.8) -> str | None:
    """The language a video is in, when at least ``share`` of its speech pieces agree.

    A later look at one of its moments then skips detecting it; a video in several languages
    gets none, and each look detects its own moment's.
    """
    if not pieces_per_language:
        return None
    top, count = pieces_per_language.most_common(1)[0]
    return top if count >= share * pieces_per_language.total() else None


def _mid(piece: SpeechPiece) -> int:
    return (piece.span.start_ms + piece.span.end_ms) // 2


def shift_frames(
    frames: Iterator[Frame | StreamBreak], offset_ms: int
) -> Iterator[Frame | StreamBreak]:
    for frame in frames:
        if not offset_ms:
            yield frame
        elif isinstance(frame, StreamBreak):
            yield StreamBreak(ts_ms=frame.ts_ms + offset_ms, reason=frame.reason)
        else:
            yield Frame(ts_ms=frame.ts_ms + offset_ms, rgb=frame.rgb)


def shift_audio(chunks: Iterator[AudioChunk], offset_ms: int) -> Iterator[AudioChunk]:
    for chunk in chunks:
        yield AudioChunk(chunk.start_ms + offset_ms, chunk.samples) if offset_ms else chunk

""" "Look again" at a span: denser perception of one stretch of a video, for thin evidence.

    looker = SpanLooker(store, reader=lambda: service.text_reader,
                        asr=lambda: service.speech_recognizer, captioner=lambda: None)
    looker.look("talk", TimeSpan(start_ms=60_000, end_ms=75_000), question="What was the code?")

Ingest samples a frame a second; a text flashed for half a second, or a word the event's speech
lost, can slip through. This asks the span-perception component ingest uses
(``avas.perception.span``) to decode the span again at ``fps`` frames a second, read the frames
that changed, transcribe the span's audio, and (with a VLM configured) caption the span's
frames with the question as context. The observations are returned, not
stored: a question never changes the store. Each is tied to the stored event it falls in, so a
citation of it still points at a stored node.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from avas.errors import InputError, NotFoundError
from avas.graph.base import EventGraphStore
from avas.ingest.base import SourceInfo
from avas.perception.base import SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner, describe_caption
from avas.perception.span import SpanPerception
from avas.retrieval.hybrid import Evidence
from graph_schema import NodeKind, TimeSpan

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
        self.fps = fps
        self.perception = SpanPerception(
            reader=reader,
            asr=asr,
            captioner=captioner,
            max_side_px=max_side_px,
            caption_frames=MAX_CAPTION_FRAMES,
        )

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
        seen = self.perception.look(
            info, span, fps=self.fps, question=question, language=video.language
        )
        found = [self._evidence(video_id, NodeKind.TEXT, t.span, t.text) for t in seen.texts]
        found += [self._evidence(video_id, NodeKind.SPEECH, p.span, p.text) for p in seen.speech]
        caption = describe_caption(seen.caption) if seen.caption is not None else ""
        if caption:
            found.append(self._evidence(video_id, NodeKind.EVENT, span, caption))
        return sorted(found, key=lambda e: (e.span.start_ms, e.kind.value, e.text))

    def _evidence(self, video_id: str, kind: NodeKind, span: TimeSpan, text: str) -> Evidence:
        # Cite the stored event the observation falls in: the span is new, the node is not.
        events = self.store.events_in_span(video_id, TimeSpan(start_ms=span.start_ms,
                                                               end_ms=span.start_ms))  # fmt: skip
        node = events[0].id if events else f"{video_id}/look/{span.start_ms}-{span.end_ms}"
        return Evidence(
            node_id=node, kind=kind, video_id=video_id, span=span, text=text, fused=0, coverage=0
        )

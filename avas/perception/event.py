"""Perceiving one event: every configured perceiver over the frames and speech of one window.

    perceivers = Perceivers(reader=ocr, asr=whisper, detectors=[people, faces])
    observer = perceivers.observer(settings.perception, stride_ms=1000, listening=True)
    seen = observer.observe(window, speech_pieces)     # -> EventObservation

An ``EventObserver`` lives for one ingest run: it keeps that run's OCR change tracker (what did
not change is not read again) and presence state (a background model of the scene) across the
run's events. Turning an observation into graph records is ``avas.pipeline.records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from avas.config import PerceptionSettings
from avas.perception.base import SpeechPiece, SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner, StructuredCaption, describe_caption
from avas.perception.describe import describe
from avas.perception.detect_base import Detector, detect_event
from avas.perception.image_embed_base import ImageEmbedder, pick_keyframes
from avas.perception.ocr_tracker import TextChangeTracker
from avas.perception.presence import PRESENT, PresenceDetector, presence_runs
from avas.perception.span import TextSighting, read_texts
from avas.perception.visual import colour_words, motion_words
from avas.segment.base import EventWindow
from graph_schema import TimeSpan


@dataclass
class EventObservation:
    """What the perceivers found in one event window, with the model that found each part."""

    keyframe_ms: int
    description: str
    signals: dict[str, float]
    observers: list[str]
    texts: list[TextSighting] = field(default_factory=list)
    text_model: str = ""
    speech: list[SpeechPiece] = field(default_factory=list)
    speech_model: str = ""
    presence: list[TimeSpan] = field(default_factory=list)
    caption: StructuredCaption | None = None
    caption_model: str = ""
    frame_vectors: dict[int, list[float]] = field(default_factory=dict)
    frame_model: str = ""


@dataclass
class Perceivers:
    """The models an ingest perceives with; the composition root (``avas.service``) builds them."""

    reader: TextReader | None = None
    asr: SpeechRecognizer | None = None
    captioner: Captioner | None = None
    image_embedder: ImageEmbedder | None = None
    detectors: Sequence[Detector] = ()
    # The detectors run in this thread while the event's OCR waits on its worker process:
    # OpenCV releases the GIL, so the two overlap instead of adding up (they were the
    # critical path of ingest on real footage).
    _detecting: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="avas-detect")
    )

    def observer(
        self,
        settings: PerceptionSettings,
        *,
        stride_ms: int,
        listening: bool,
        frames_per_event: int = 1,
    ) -> EventObserver:
        """A fresh observer for one run (its own OCR tracker and presence state)."""
        return EventObserver(
            self,
            settings,
            stride_ms=stride_ms,
            listening=listening,
            frames_per_event=frames_per_event,
        )


class EventObserver:
    def __init__(
        self,
        parts: Perceivers,
        settings: PerceptionSettings,
        *,
        stride_ms: int,
        listening: bool,
        frames_per_event: int,
    ) -> None:
        self.parts = parts
        self.settings = settings
        self.stride_ms = stride_ms
        self.listening = listening  # False: no audio track, speech recognition never ran
        self.frames_per_event = frames_per_event
        self.tracker = (
            TextChangeTracker(
                parts.reader,
                settings.ocr_change_threshold,
                settings.ocr_min_interval_ms,
                settings.ocr_max_interval_ms,
            )
            if parts.reader
            else None
        )
        self.presence = PresenceDetector() if settings.presence else None

    @property
    def frames_read(self) -> int:
        return self.tracker.frames_read if self.tracker else 0

    def observe(self, window: EventWindow, pieces: list[SpeechPiece]) -> EventObservation:
        parts = self.parts
        frames = window.frames
        detected = (
            parts._detecting.submit(
                detect_event, frames, parts.detectors, every_n=self.settings.detector_every_n
            )
            if parts.detectors
            else None
        )
        keyframe = frames[len(frames) // 2]
        seen = EventObservation(
            keyframe_ms=keyframe.ts_ms, description="", signals={}, observers=[]
        )
        if self.tracker is not None:
            seen.observers.append(self.tracker.reader.model_id)
            seen.text_model = self.tracker.reader.model_id
            seen.texts = read_texts(
                frames, self.tracker, end_ms=window.span.end_ms, stride_ms=self.stride_ms
            )
        if parts.asr is not None:
            seen.speech = pieces
            seen.speech_model = parts.asr.model_id
            if self.listening:
                seen.observers.append(parts.asr.model_id)

        seen.observers.append("avas/visual-signals")
        seen.signals["motion"] = round(float(np.mean(window.motion)) if window.motion else 0.0, 2)
        if self.presence is not None:
            seen.observers.append(self.presence.model_id)
            shares = [self.presence.update(f) for f in frames]
            seen.signals["foreground"] = round(sum(s >= PRESENT for s in shares) / len(shares), 3)
            seen.presence = presence_runs(
                [f.ts_ms for f in frames], shares, end_ms=window.span.end_ms
            )
        if detected is not None:  # "people" / "faces": the most seen at once in checked frames
            seen.observers += [d.model_id for d in parts.detectors]
            seen.signals |= detected.result()
        signals = seen.signals
        seen.description = describe(
            visual=colour_words(keyframe.rgb),
            motion=motion_words(window.motion),
            texts=[t.text for t in seen.texts],
            speech=[p.text for p in seen.speech],
            foreground=signals.get("foreground", 0.0),
            people=int(signals["people"]) if "people" in signals else None,
            faces=int(signals["faces"]) if "faces" in signals else None,
        )
        if parts.captioner is not None:
            # The observations go along as context: they help the VLM read what it sees.
            seen.caption = parts.captioner.caption(
                [f.rgb for f in frames], context=seen.description
            )
            seen.caption_model = parts.captioner.model_id
            seen.observers.append(parts.captioner.model_id)
            seen.description = f"{describe_caption(seen.caption)} {seen.description}"
        if parts.image_embedder is not None:
            picked = [frames[i] for i in pick_keyframes(len(frames), self.frames_per_event)]
            rows = parts.image_embedder.embed_images([f.rgb for f in picked])
            seen.frame_vectors = {
                f.ts_ms: row.tolist() for f, row in zip(picked, rows, strict=True)
            }
            seen.frame_model = parts.image_embedder.model_id
            seen.observers.append(parts.image_embedder.model_id)
        return seen

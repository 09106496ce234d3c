"""Ingest: decode -> segment -> perceive -> commit, one event at a time.

    pipeline = IngestPipeline(settings, store, embedder=..., reader=..., asr=...)
    report = pipeline.ingest(Path("talk.mp4"), name="talk")

Each event is committed with all its results in one transaction and has a deterministic id, so
re-running an interrupted ingest skips what is already stored and never duplicates.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from avas.config import Settings
from avas.errors import InputError
from avas.graph.base import EventGraphStore
from avas.ingest.audio import load_audio_16k
from avas.ingest.base import Frame
from avas.ingest.decord_source import DecordFileSource
from avas.ingest.probe import VideoInfo, probe_video
from avas.perception.base import Embedder, SpeechPiece, SpeechRecognizer, TextLine, TextReader
from avas.perception.describe import describe
from avas.perception.visual import colour_words, motion_words
from avas.segment.base import EventWindow
from avas.segment.scene_cut import SceneCutSegmenter
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    Event,
    EventRecord,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    Video,
    entity_id,
    event_id,
    normalize_name,
    speech_id,
    text_id,
)

_VIDEO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def validate_video_id(video_id: str) -> str:
    if not _VIDEO_ID.match(video_id):
        raise InputError(
            f"invalid video id {video_id!r}: use 1-80 letters, digits, '.', '_' or '-'"
        )
    return video_id


def default_video_id(path: Path, size_bytes: int) -> str:
    """``<file stem>-<8 hex of a content hash>``: readable, and stable for the same content.

    Hashing the size plus the first and last MiB identifies a video without reading hours of it.
    """
    digest = hashlib.sha1(str(size_bytes).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        fh.seek(max(0, size_bytes - (1 << 20)))
        digest.update(fh.read(1 << 20))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._")[:40] or "video"
    return f"{stem}-{digest.hexdigest()[:8]}"


class IngestReport(BaseModel):
    video_id: str
    duration_ms: int
    events: int
    events_skipped: int
    speech_segments: int
    texts: int
    frames_sampled: int
    frames_ocr: int
    seconds: float

    @property
    def x_realtime(self) -> float:
        return self.duration_ms / 1000 / self.seconds if self.seconds > 0 else 0.0


ProgressFn = Callable[[int, int], None]  # (media ms done, media ms total)


def _grey_thumb(frame: Frame) -> npt.NDArray[np.int16]:
    grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (160, 90), interpolation=cv2.INTER_AREA).astype(np.int16)


@dataclass
class _TextTracker:
    """Reads text only on frames that changed; an unchanged frame shows what was last read."""

    reader: TextReader
    change_threshold: float
    frames_read: int = 0
    _thumb: npt.NDArray[np.int16] | None = None
    _lines: list[TextLine] = field(default_factory=list)

    def read(self, frame: Frame) -> list[TextLine]:
        thumb = _grey_thumb(frame)
        if (
            self._thumb is None
            or float(np.abs(thumb - self._thumb).mean()) >= self.change_threshold
        ):
            self._lines = self.reader.read(frame.rgb)
            self._thumb = thumb
            self.frames_read += 1
        return self._lines


@dataclass
class _SpeechFeed:
    """Hands out lazily recognised speech to the event whose span holds each piece's midpoint."""

    pieces: Iterator[SpeechPiece]
    _pending: list[SpeechPiece] = field(default_factory=list)
    _done: bool = False

    def take(self, span: TimeSpan, *, last: bool) -> list[SpeechPiece]:
        while not self._done and (
            last or not self._pending or _mid(self._pending[-1]) < span.end_ms
        ):
            piece = next(self.pieces, None)
            if piece is None:
                self._done = True
            else:
                self._pending.append(piece)
        if last:
            taken, self._pending = self._pending, []
        else:
            taken = [p for p in self._pending if _mid(p) < span.end_ms]
            self._pending = [p for p in self._pending if _mid(p) >= span.end_ms]
        return taken


def _mid(piece: SpeechPiece) -> int:
    return (piece.span.start_ms + piece.span.end_ms) // 2


class IngestPipeline:
    def __init__(
        self,
        settings: Settings,
        store: EventGraphStore,
        *,
        embedder: Embedder,
        reader: TextReader | None,
        asr: SpeechRecognizer | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.reader = reader
        self.asr = asr

    def ingest(
        self, path: Path, *, name: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        started = time.perf_counter()
        path = path.expanduser()
        info = probe_video(path)  # every input check happens before the store is touched
        video_id = validate_video_id(name) if name else default_video_id(path, info.size_bytes)
        # Decode the first batch before writing anything, so an undecodable file changes nothing.
        frames = self._frames(info)
        first = next(frames, None)
        if first is None:
            raise InputError(f"no decodable frames in {path}")

        existing = self.store.get_video(video_id)
        if existing is not None and existing.status == "complete":
            if name and existing.path != str(path.resolve()):
                raise InputError(
                    f"video id {video_id!r} already names {existing.path}; pick another --name"
                )
            return IngestReport(
                video_id=video_id,
                duration_ms=info.duration_ms,
                events=0,
                events_skipped=len(self.store.events(video_id)),
                speech_segments=0,
                texts=0,
                frames_sampled=0,
                frames_ocr=0,
                seconds=round(time.perf_counter() - started, 3),
            )
        self.store.upsert_video(self._video(video_id, info))

        counts: Counter[str] = Counter()
        tracker = (
            _TextTracker(self.reader, self.settings.perception.ocr_change_threshold)
            if (self.reader)
            else None
        )
        feed = _SpeechFeed(self._speech(path, info))
        segmenter = SceneCutSegmenter(
            min_event_ms=self.settings.segment.min_event_ms,
            max_event_ms=self.settings.segment.max_event_ms,
            threshold=self.settings.segment.cut_threshold,
        )
        previous: Event | None = None

        def handle(window: EventWindow, *, last: bool) -> None:
            nonlocal previous
            speech = feed.take(window.span, last=last)
            eid = event_id(video_id, window.span)
            if self.store.has_event(eid):
                counts["skipped"] += 1  # committed by an earlier, interrupted run
                previous = self.store.event_details(eid).event
            else:
                record = self._perceive(video_id, window, speech, tracker, previous)
                self.store.commit_event(record)
                counts["events"] += 1
                counts["speech"] += len(record.speech)
                counts["texts"] += len(record.texts)
                previous = record.event
            if progress:
                progress(window.span.end_ms, info.duration_ms)

        sampled = 0
        for frame in _chain(first, frames):
            sampled += 1
            for window in segmenter.push(frame):
                handle(window, last=False)
        for window in segmenter.flush(info.duration_ms):
            handle(window, last=True)

        self.store.upsert_video(self._video(video_id, info, status="complete"))
        return IngestReport(
            video_id=video_id,
            duration_ms=info.duration_ms,
            events=counts["events"],
            events_skipped=counts["skipped"],
            speech_segments=counts["speech"],
            texts=counts["texts"],
            frames_sampled=sampled,
            frames_ocr=tracker.frames_read if tracker else 0,
            seconds=round(time.perf_counter() - started, 3),
        )

    # -- stages ----------------------------------------------------------------------------

    def _video(self, video_id: str, info: VideoInfo, status: str = "ingesting") -> Video:
        return Video(
            id=video_id,
            path=str(info.path.resolve()),
            duration_ms=info.duration_ms,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            status="complete" if status == "complete" else "ingesting",
        )

    def _frames(self, info: VideoInfo) -> Iterator[Frame]:
        cfg = self.settings.ingest
        return DecordFileSource(
            info.path,
            sample_fps=cfg.sample_fps,
            max_side_px=cfg.max_side_px,
            width=info.width,
            height=info.height,
            batch=cfg.decode_batch,
        ).frames()

    def _speech(self, path: Path, info: VideoInfo) -> Iterator[SpeechPiece]:
        if self.asr is None or not info.has_audio:
            return iter(())
        return self.asr.transcribe(load_audio_16k(path))

    def _perceive(
        self,
        video_id: str,
        window: EventWindow,
        pieces: list[SpeechPiece],
        tracker: _TextTracker | None,
        previous: Event | None,
    ) -> EventRecord:
        span = window.span
        eid = event_id(video_id, span)
        observers: list[str] = []

        texts: list[OnScreenText] = []
        if tracker is not None:
            observers.append(tracker.reader.model_id)
            texts = self._texts(video_id, window, tracker)

        speech = [
            SpeechSegment(
                id=speech_id(video_id, p.span),
                video_id=video_id,
                span=p.span,
                text=p.text,
                model=self.asr.model_id,
                confidence=p.confidence,
            )
            for p in pieces
            if self.asr is not None
        ]
        if self.asr is not None:
            observers.append(self.asr.model_id)

        keyframe = window.frames[len(window.frames) // 2]
        observers.append("avas/visual-signals")
        description = describe(
            visual=colour_words(keyframe.rgb),
            motion=motion_words(window.motion),
            texts=[t.text for t in texts],
            speech=[s.text for s in speech],
        )
        event = Event(
            id=eid,
            video_id=video_id,
            span=span,
            description=description,
            keyframes_ms=[keyframe.ts_ms],
            observers=observers,
        )
        entities = {
            entity_id(EntityKind.TEXT, t.text): Entity(
                id=entity_id(EntityKind.TEXT, t.text),
                kind=EntityKind.TEXT,
                name=t.text,
                model=t.model,
            )
            for t in texts
        }
        edges = [Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT)]
        if previous is not None:
            gap = max(0, span.start_ms - previous.span.end_ms)
            edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": gap}))
        edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in speech]
        edges += [Edge(src=eid, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in texts]
        edges += [
            Edge(src=eid, dst=ent, type=EdgeType.INVOLVES, props={"role": "shown"})
            for ent in entities
        ]
        bodies = {eid: description} | {s.id: s.text for s in speech} | {t.id: t.text for t in texts}
        vectors = self.embedder.embed(bodies.values())
        return EventRecord(
            event=event,
            speech=speech,
            texts=texts,
            entities=list(entities.values()),
            edges=edges,
            vectors={k: v.tolist() for k, v in zip(bodies, vectors, strict=True)},
            embedding_model=self.embedder.model_id,
        )

    def _texts(
        self, video_id: str, window: EventWindow, tracker: _TextTracker
    ) -> list[OnScreenText]:
        """One OnScreenText per distinct line in the event, spanning the frames that showed it."""
        stride = round(1000 / self.settings.ingest.sample_fps)
        seen: dict[str, tuple[int, int, Counter[str], float]] = {}
        for frame in window.frames:
            for line in tracker.read(frame):
                key = normalize_name(line.text)
                if not key:
                    continue
                first, _, forms, conf = seen.get(key, (frame.ts_ms, 0, Counter(), 0.0))
                forms[line.text] += 1
                seen[key] = (first, frame.ts_ms, forms, max(conf, line.confidence))
        found = []
        for first, last, forms, conf in seen.values():
            text = forms.most_common(1)[0][0]
            span = TimeSpan(start_ms=first, end_ms=min(window.span.end_ms, last + stride))
            found.append(
                OnScreenText(
                    id=text_id(video_id, span, text),
                    video_id=video_id,
                    span=span,
                    text=text,
                    model=tracker.reader.model_id,
                    confidence=conf,
                )
            )
        return sorted(found, key=lambda t: (t.span.start_ms, t.text))


def _chain(first: Frame, rest: Iterator[Frame]) -> Iterator[Frame]:
    yield first
    yield from rest

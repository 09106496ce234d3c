"""Ingest: decode -> segment -> perceive -> commit, one event at a time.

    pipeline = IngestPipeline(settings, store, embedder=..., reader=..., asr=...)
    report = pipeline.ingest(Path("talk.mp4"), name="talk")

Each event is committed with all its results in one transaction and has a deterministic id, so
re-running an interrupted ingest skips what is already stored and never duplicates.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from avas.config import Settings
from avas.errors import InputError
from avas.graph.base import EventGraphStore
from avas.ingest import open_source
from avas.ingest.base import AudioChunk, Frame, Gap, MediaSource, SourceInfo
from avas.ingest.memory import release_freed_memory
from avas.ingest.prefetch import prefetch
from avas.ingest.status import StreamBreak
from avas.knowledge.linking import EntityLinker
from avas.knowledge.summaries import SummaryBuilder, make_summariser
from avas.perception.base import Embedder, SpeechPiece, SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner, StructuredCaption, describe_caption
from avas.perception.describe import describe
from avas.perception.detect_base import Detector, detect_event
from avas.perception.image_embed_base import ImageEmbedder, pick_keyframes
from avas.perception.names import MODEL as NAMES_MODEL
from avas.perception.names import speech_names
from avas.perception.ocr_tracker import TextChangeTracker
from avas.perception.presence import PRESENT, PresenceDetector, presence_runs
from avas.perception.speech_stream import Watermark, transcribe_stream
from avas.perception.visual import colour_words, motion_words
from avas.segment.base import EventWindow
from avas.segment.merge import EventMerger
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
    involves_role,
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


def _location(info: SourceInfo) -> str:
    return info.uri if info.is_live else str(Path(info.uri).resolve())


def live_video_id(uri: str) -> str:
    """A readable id for a stream: its address, made safe."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", uri.split("://", 1)[-1]).strip("-._")[:60]
    return f"live-{slug or 'stream'}"


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
    duration_ms: int | None
    media_ms: int = Field(description="media time processed by this run")
    events: int
    events_skipped: int
    events_merged: int = Field(0, description="events folded into the one before them")
    speech_segments: int
    texts: int
    frames_sampled: int
    frames_ocr: int
    seconds: float
    resumed_from_ms: int = 0
    stopped: str | None = Field(None, description="why the input ended early, if it did")
    gaps: list[Gap] = Field(default_factory=list)

    @property
    def x_realtime(self) -> float:
        return self.media_ms / 1000 / self.seconds if self.seconds > 0 else 0.0


class Progress(BaseModel):
    video_id: str
    media_ms: int
    total_ms: int | None
    events: int
    elapsed_s: float


ProgressFn = Callable[[Progress], None]
EventHook = Callable[[EventRecord], None]


@dataclass
class _SpeechFeed:
    """Hands out recognised speech to the event whose span holds each piece's midpoint.

    An event takes its speech once the recogniser's watermark has passed the event's end.
    """

    items: Iterator[SpeechPiece | Watermark]
    not_before_ms: int = 0  # pieces of events an earlier run already committed are dropped
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


class IngestPipeline:
    def __init__(
        self,
        settings: Settings,
        store: EventGraphStore,
        *,
        embedder: Embedder,
        reader: TextReader | None,
        asr: SpeechRecognizer | None,
        captioner: Captioner | None = None,
        image_embedder: ImageEmbedder | None = None,
        detectors: Sequence[Detector] = (),
    ) -> None:
        self.settings = settings
        self.detectors = list(detectors)
        # The detectors run in this thread while the event's OCR waits on its worker process:
        # OpenCV releases the GIL, so the two overlap instead of adding up (they were the
        # critical path of ingest on real footage).
        self._detecting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="avas-detect")
        self.store = store
        self.embedder = embedder
        self.reader = reader
        self.asr = asr
        self.captioner = captioner
        self.image_embedder = image_embedder
        linking = settings.linking
        self.linker = EntityLinker(
            store,
            embedder,
            min_similarity=linking.min_similarity,
            candidates=linking.candidates,
            enabled=linking.enabled,
        )
        self.summariser = make_summariser(settings.summary)

    def ingest(
        self,
        uri: str | Path,
        *,
        name: str | None = None,
        progress: ProgressFn | None = None,
        realtime: bool = False,
        on_event: EventHook | None = None,
    ) -> IngestReport:
        """Ingest a file or a live URL. Every input check happens before the store is touched.

        ``on_event`` sees each record right after it is committed (monitoring rules use it).
        """
        source = open_source(uri, self.settings.ingest, realtime=realtime)
        try:
            return self.run(source, name=name, progress=progress, on_event=on_event)
        finally:
            source.close()

    def run(
        self,
        source: MediaSource,
        *,
        name: str | None = None,
        progress: ProgressFn | None = None,
        on_event: EventHook | None = None,
        merge: bool | None = None,
    ) -> IngestReport:
        """Ingest from an open source (the caller closes it). ``merge`` overrides the
        segment settings' online merge (the monitor turns it off: a held event alerts late)."""
        started = time.perf_counter()
        info = source.info
        if name:
            video_id = validate_video_id(name)
        elif info.is_live:
            video_id = live_video_id(info.uri)
        else:
            video_id = default_video_id(Path(info.uri), info.size_bytes)

        existing = self.store.get_video(video_id)
        if existing is not None and existing.path != _location(info):
            raise InputError(
                f"video id {video_id!r} already names {existing.path}; pick another --name"
            )
        if existing is not None and existing.status == "complete" and not info.is_live:
            return IngestReport(
                video_id=video_id,
                duration_ms=info.duration_ms,
                media_ms=0,
                events=0,
                events_skipped=len(self.store.events(video_id)),
                speech_segments=0,
                texts=0,
                frames_sampled=0,
                frames_ocr=0,
                seconds=round(time.perf_counter() - started, 3),
            )
        # Resume after the last committed event of an interrupted run.
        committed = self.store.events(video_id) if existing is not None else []
        previous: Event | None = committed[-1] if committed else None
        resume_ms = previous.span.end_ms if previous else 0

        # A live stream's clock restarts with every connection: continue the stored timeline.
        offset_ms = resume_ms if info.is_live else 0
        source_from_ms = 0 if info.is_live else resume_ms
        # A live source also marks where its stream dropped (StreamBreak): see the loop below.
        with_breaks = getattr(source, "frames_and_breaks", None)
        raw = with_breaks(source_from_ms) if with_breaks else source.frames(source_from_ms)
        frames = prefetch(
            _shift_frames(raw, offset_ms),
            maxsize=self.settings.ingest.decode_batch * 2,
        )
        try:
            first = next(frames, None)
        except InputError:
            frames.close()
            raise
        if first is None and not committed:
            frames.close()
            raise InputError(f"no decodable frames in {info.uri}")
        if existing is None:
            self.store.upsert_video(self._video(video_id, info, status="ingesting"))
        elif existing.status != "ingesting":  # a live stream that is back: same timeline
            self.store.upsert_video(existing.model_copy(update={"status": "ingesting"}))

        counts: Counter[str] = Counter()
        tracker = (
            TextChangeTracker(
                self.reader,
                self.settings.perception.ocr_change_threshold,
                self.settings.perception.ocr_min_interval_ms,
                self.settings.perception.ocr_max_interval_ms,
            )
            if self.reader
            else None
        )
        speech: Iterator[SpeechPiece | Watermark] = iter(())
        listening = self.asr is not None and info.has_audio
        if self.asr is not None and info.has_audio:
            perception = self.settings.perception
            window_ms = perception.live_asr_window_ms if info.is_live else perception.asr_window_ms
            audio = _shift_audio(source.audio(source_from_ms), offset_ms)
            speech = prefetch(transcribe_stream(self.asr, audio, window_ms=window_ms), maxsize=64)
        feed = _SpeechFeed(speech, not_before_ms=resume_ms)
        presence = PresenceDetector() if self.settings.perception.presence else None
        summaries = SummaryBuilder(
            self.store,
            self.embedder,
            video_id=video_id,
            segment_ms=self.settings.segment.summary_segment_ms,
            summariser=self.summariser,
        )
        segmenter = SceneCutSegmenter(
            min_event_ms=self.settings.segment.min_event_ms,
            # A live event closes sooner: what was said is committed (answerable) within seconds.
            max_event_ms=(
                self.settings.segment.live_max_event_ms
                if info.is_live
                else self.settings.segment.max_event_ms
            ),
            threshold=self.settings.segment.cut_threshold,
        )
        stride_ms = round(1000 / self.settings.ingest.sample_fps)
        last_ms = resume_ms

        seg = self.settings.segment
        merger = (
            EventMerger(
                max_ms=seg.merge_max_ms,
                min_similarity=seg.merge_min_similarity,
                embed=lambda text: self.embedder.embed([text])[0].tolist(),
            )
            # Not on live streams unless asked: a held-back event would trail the stream.
            if (seg.merge and not info.is_live if merge is None else merge)
            else None
        )

        def handle(window: EventWindow, *, last: bool) -> None:
            nonlocal previous
            pieces = feed.take(window.span, last=last)
            record = self._perceive(
                video_id, window, pieces, tracker, previous, listening, presence
            )
            # The merger may hold the newest event back, to fold the next one into it.
            ready = merger.push(record, cut_after=window.cut) if merger is not None else [record]
            # The event the next one follows: the held one, else the last released (merged) one.
            newest = merger.pending if merger is not None and merger.pending else ready[-1]
            previous = newest.event
            for held in ready:
                commit(held)

        def commit(record: EventRecord) -> None:
            record = self.linker.link(record)  # entities seen before: same node, or an alias
            self.store.commit_event(record)
            release_freed_memory()  # else freed frame buffers stay resident: see its docstring
            summaries.note(record.event)
            if on_event is not None:
                on_event(record)
            counts["events"] += 1
            counts["speech"] += len(record.speech)
            counts["texts"] += len(record.texts)
            if progress:
                progress(
                    Progress(
                        video_id=video_id,
                        media_ms=record.event.span.end_ms,
                        total_ms=info.duration_ms,
                        events=len(committed) + counts["events"],
                        elapsed_s=round(time.perf_counter() - started, 3),
                    )
                )

        sampled = 0
        try:
            for frame in itertools.chain([first] if first else [], frames):
                if isinstance(frame, StreamBreak):  # commit what the stream sent, don't wait
                    for window in segmenter.flush(frame.ts_ms):
                        window.partial = True
                        handle(window, last=False)
                    for held in merger.flush() if merger is not None else []:
                        commit(held)
                    continue
                sampled += 1
                last_ms = frame.ts_ms
                for window in segmenter.push(frame):
                    handle(window, last=False)
                for held in merger.due(frame.ts_ms) if merger is not None else []:
                    commit(held)  # nothing can join it any more: no need to keep a stream waiting
            stopped = getattr(source, "stopped", None)
            end_ms = last_ms + stride_ms
            if info.duration_ms is not None and not stopped:
                end_ms = max(end_ms, info.duration_ms)
            for window in segmenter.flush(end_ms):
                window.partial = bool(stopped) and info.is_live
                handle(window, last=True)
            for held in merger.flush() if merger is not None else []:
                commit(held)
        finally:
            frames.close()
            if isinstance(speech, Generator):
                speech.close()

        gaps = [
            g.model_copy(
                update={"start_ms": g.start_ms + offset_ms, "end_ms": g.end_ms + offset_ms}
            )
            for g in source.gaps()
        ]
        summaries.finish()
        stored = self.store.get_video(video_id)
        done = self._video(video_id, info, status="complete", gaps=gaps)
        if info.is_live:  # a stream has no end of its own: it stopped, and lasted this long
            done = done.model_copy(
                update={"status": "stopped", "duration_ms": previous.span.end_ms if previous else 0}
            )
        language = video_language(feed.languages)
        if stored is not None:  # keep when ingestion first began (and a resumed run's language)
            done = done.model_copy(
                update={"ingested_at": stored.ingested_at, "language": language or stored.language}
            )
        else:
            done = done.model_copy(update={"language": language})
        self.store.upsert_video(done)
        return IngestReport(
            video_id=video_id,
            duration_ms=info.duration_ms,
            media_ms=max(0, (previous.span.end_ms if previous else 0) - resume_ms),
            events=counts["events"],
            events_skipped=len(committed),
            events_merged=merger.merged if merger is not None else 0,
            speech_segments=counts["speech"],
            texts=counts["texts"],
            frames_sampled=sampled,
            frames_ocr=tracker.frames_read if tracker else 0,
            seconds=round(time.perf_counter() - started, 3),
            resumed_from_ms=resume_ms,
            stopped=stopped,
            gaps=gaps,
        )

    # -- stages ----------------------------------------------------------------------------

    def _video(
        self, video_id: str, info: SourceInfo, *, status: str, gaps: Sequence[Gap] = ()
    ) -> Video:
        return Video(
            id=video_id,
            path=_location(info),
            duration_ms=info.duration_ms or 0,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            is_live=info.is_live,
            status="complete" if status == "complete" else "ingesting",
            gaps=[TimeSpan(start_ms=g.start_ms, end_ms=g.end_ms) for g in gaps],
        )

    def _perceive(
        self,
        video_id: str,
        window: EventWindow,
        pieces: list[SpeechPiece],
        tracker: TextChangeTracker | None,
        previous: Event | None,
        listening: bool,
        presence: PresenceDetector | None = None,
    ) -> EventRecord:
        span = window.span
        eid = event_id(video_id, span)
        observers: list[str] = []

        texts: list[OnScreenText] = []
        detected = (
            self._detecting.submit(
                detect_event,
                window.frames,
                self.detectors,
                every_n=self.settings.perception.detector_every_n,
            )
            if self.detectors
            else None
        )
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
        if self.asr is not None and listening:  # no audio track: speech recognition never ran
            observers.append(self.asr.model_id)

        keyframe = window.frames[len(window.frames) // 2]
        observers.append("avas/visual-signals")
        signals = {"motion": round(float(np.mean(window.motion)) if window.motion else 0.0, 2)}
        present_runs: list[TimeSpan] = []
        if presence is not None:
            observers.append(presence.model_id)
            shares = [presence.update(f) for f in window.frames]
            signals["foreground"] = round(sum(s >= PRESENT for s in shares) / len(shares), 3)
            present_runs = presence_runs(
                [f.ts_ms for f in window.frames], shares, end_ms=window.span.end_ms
            )
        if detected is not None:  # "people" / "faces": the most seen at once in checked frames
            observers += [d.model_id for d in self.detectors]
            signals |= detected.result()
        description = describe(
            visual=colour_words(keyframe.rgb),
            motion=motion_words(window.motion),
            texts=[t.text for t in texts],
            speech=[s.text for s in speech],
            foreground=signals.get("foreground", 0.0),
            people=int(signals["people"]) if "people" in signals else None,
            faces=int(signals["faces"]) if "faces" in signals else None,
        )
        caption: StructuredCaption | None = None
        if self.captioner is not None:
            # The observations go along as context: they help the VLM read what it sees.
            caption = self.captioner.caption([f.rgb for f in window.frames], context=description)
            observers.append(self.captioner.model_id)
            description = f"{describe_caption(caption)} {description}"
        frame_vectors: dict[int, list[float]] = {}
        if self.image_embedder is not None:
            wanted = self.settings.image_embedding.frames_per_event
            picked = [window.frames[i] for i in pick_keyframes(len(window.frames), wanted)]
            rows = self.image_embedder.embed_images([f.rgb for f in picked])
            frame_vectors = {f.ts_ms: row.tolist() for f, row in zip(picked, rows, strict=True)}
            observers.append(self.image_embedder.model_id)
        event = Event(
            id=eid,
            video_id=video_id,
            span=span,
            description=description,
            keyframes_ms=[keyframe.ts_ms],
            observers=observers,
            signals=signals,
            presence=present_runs,
            partial=window.partial,
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
        if self.settings.perception.speech_names:
            for name in (n for s in speech for n in speech_names(s.text)):
                key = entity_id(EntityKind.NAME, name)
                entity = Entity(id=key, kind=EntityKind.NAME, name=name, model=NAMES_MODEL)
                entities.setdefault(key, entity)
        if caption is not None:
            model = self.captioner.model_id if self.captioner else ""
            for ce in caption.entities:
                kind = EntityKind.PERSON if ce.type.lower() == "person" else EntityKind.OBJECT
                eid_ = entity_id(kind, ce.name)
                entities.setdefault(eid_, Entity(id=eid_, kind=kind, name=ce.name, model=model))
        edges = [Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT)]
        if previous is not None:
            gap = max(0, span.start_ms - previous.span.end_ms)
            edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": gap}))
        edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in speech]
        edges += [Edge(src=eid, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in texts]
        edges += [
            Edge(
                src=eid,
                dst=ent.id,
                type=EdgeType.INVOLVES,
                props={"role": involves_role(ent.kind)},
            )
            for ent in entities.values()
        ]
        if caption is not None:
            names = {normalize_name(e.name): e.id for e in entities.values()}
            for rel in caption.relations:
                src, dst = (
                    names.get(normalize_name(rel.subject)),
                    names.get(normalize_name(rel.object)),
                )
                if src and dst:  # relations between things the caption also listed
                    edges.append(
                        Edge(
                            src=src,
                            dst=dst,
                            type=EdgeType.RELATES_TO,
                            props={
                                "predicate": rel.predicate,
                                "event_id": eid,
                                "video_id": video_id,
                            },
                        )
                    )
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
            frame_vectors=frame_vectors,
            frame_model=self.image_embedder.model_id if self.image_embedder else "",
        )

    def _texts(
        self, video_id: str, window: EventWindow, tracker: TextChangeTracker
    ) -> list[OnScreenText]:
        """One OnScreenText per distinct line in the event, spanning the frames that showed it."""
        stride = round(1000 / self.settings.ingest.sample_fps)
        seen: dict[str, tuple[int, int, Counter[str], float]] = {}
        for i, frame in enumerate(window.frames):
            for line in tracker.read(frame, first_of_event=i == 0):
                key = normalize_name(line.text)
                # A lone character is what the recogniser makes of texture in real footage
                # (an "X" on a shirt, an "H" in a fence), never a line worth answering from.
                if len(key) < 2:
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


def _shift_frames(
    frames: Iterator[Frame | StreamBreak], offset_ms: int
) -> Iterator[Frame | StreamBreak]:
    for frame in frames:
        if not offset_ms:
            yield frame
        elif isinstance(frame, StreamBreak):
            yield StreamBreak(ts_ms=frame.ts_ms + offset_ms, reason=frame.reason)
        else:
            yield Frame(ts_ms=frame.ts_ms + offset_ms, rgb=frame.rgb)


def _shift_audio(chunks: Iterator[AudioChunk], offset_ms: int) -> Iterator[AudioChunk]:
    for chunk in chunks:
        yield AudioChunk(chunk.start_ms + offset_ms, chunk.samples) if offset_ms else chunk

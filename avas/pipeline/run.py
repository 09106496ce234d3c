"""Ingest: decode -> segment -> perceive -> assemble -> commit, one event at a time.

    pipeline = IngestPipeline(settings, store, embedder=..., reader=..., asr=...)
    report = pipeline.ingest(Path("talk.mp4"), name="talk")

Each event is committed with all its results in one transaction and has a deterministic id, so
re-running an interrupted ingest skips what is already stored and never duplicates.
``records()`` is the same run without the store: the event records of a stretch of a file, for
a caller that commits them elsewhere (chunk-parallel ingest).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path

import cv2

from avas.config import Settings
from avas.errors import InputError
from avas.graph.base import EventGraphStore
from avas.ingest import open_source
from avas.ingest.base import Frame, Gap, MediaSource, SourceInfo
from avas.ingest.ids import location, source_video_id
from avas.ingest.memory import release_freed_memory
from avas.ingest.prefetch import prefetch
from avas.ingest.progress import IngestReport, Progress, ProgressFn
from avas.ingest.status import StreamBreak
from avas.knowledge.summaries import SummaryBuilder
from avas.perception.base import Embedder, SpeechPiece, SpeechRecognizer, TextReader
from avas.perception.captioner_base import Captioner
from avas.perception.detect_base import Detector
from avas.perception.event import EventObserver, Perceivers
from avas.perception.image_embed_base import ImageEmbedder
from avas.perception.speech_stream import Watermark, transcribe_stream
from avas.pipeline.feed import SpeechFeed, shift_audio, shift_frames, video_language
from avas.pipeline.records import assemble_record
from avas.pipeline.stages import Stages
from avas.segment.base import EventWindow
from graph_schema import Event, EventRecord, TimeSpan, Video

EventHook = Callable[[EventRecord], None]


@dataclass
class RunStats:
    """What one pass over a source saw; filled in as ``records()`` runs."""

    frames_sampled: int = 0
    frames_ocr: int = 0
    events_merged: int = 0
    last_frame_ms: int = 0
    languages: Counter[str] = field(default_factory=Counter)


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
        stages: Stages | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        # OpenCV's own thread pool off: ingest already runs decode, speech, OCR and the detectors
        # side by side on every core, and the pool's workers spin waiting for each small call
        # (resize, colour conversion, MOG2); one thread per call gives the same results for
        # less CPU (see benchmarks/README.md, issue 15).
        cv2.setNumThreads(1)
        self.perceivers = Perceivers(
            reader=reader,
            asr=asr,
            captioner=captioner,
            image_embedder=image_embedder,
            detectors=list(detectors),
        )
        self.stages = stages or Stages.from_settings(settings, store, embedder)

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
        video_id = source_video_id(info, name)
        existing = self.store.get_video(video_id)
        if existing is not None and existing.path != location(info):
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
        frames = self._open_frames(source, 0 if info.is_live else resume_ms, offset_ms)
        first = frames.first()
        if first is None and not committed:
            frames.close()
            raise InputError(f"no decodable frames in {info.uri}")
        if existing is None:
            self.store.upsert_video(self._video(video_id, info, status="ingesting"))
        elif existing.status != "ingesting":  # a live stream that is back: same timeline
            self.store.upsert_video(existing.model_copy(update={"status": "ingesting"}))

        summaries = SummaryBuilder(
            self.store,
            self.embedder,
            video_id=video_id,
            segment_ms=self.settings.segment.summary_segment_ms,
            summariser=self.stages.summariser,
        )
        counts: Counter[str] = Counter()
        stats = RunStats()
        last: Event | None = previous
        for record in self._produce(
            source,
            frames,
            video_id=video_id,
            not_before_ms=resume_ms,
            offset_ms=offset_ms,
            previous=previous,
            merge=merge,
            stats=stats,
        ):
            record = self.stages.linker.link(record)  # entities seen before: same node or alias
            self.store.commit_event(record)
            release_freed_memory()  # else freed frame buffers stay resident: see its docstring
            summaries.note(record.event)
            if on_event is not None:
                on_event(record)
            last = record.event
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

        stopped = getattr(source, "stopped", None)
        gaps = [
            g.model_copy(
                update={"start_ms": g.start_ms + offset_ms, "end_ms": g.end_ms + offset_ms}
            )
            for g in source.gaps()
        ]
        summaries.finish()
        self._finish_video(video_id, info, gaps, last, video_language(stats.languages))
        return IngestReport(
            video_id=video_id,
            duration_ms=info.duration_ms,
            media_ms=max(0, (last.span.end_ms if last else 0) - resume_ms),
            events=counts["events"],
            events_skipped=len(committed),
            events_merged=stats.events_merged,
            speech_segments=counts["speech"],
            texts=counts["texts"],
            frames_sampled=stats.frames_sampled,
            frames_ocr=stats.frames_ocr,
            seconds=round(time.perf_counter() - started, 3),
            resumed_from_ms=resume_ms,
            stopped=stopped,
            gaps=gaps,
        )

    def records(
        self,
        source: MediaSource,
        *,
        video_id: str,
        from_ms: int = 0,
        to_ms: int | None = None,
        previous: Event | None = None,
        merge: bool | None = None,
        stats: RunStats | None = None,
    ) -> Iterator[EventRecord]:
        """The event records of ``[from_ms, to_ms)`` of a file, in order, neither linked to
        stored entities nor committed. The first event starts at the first frame sampled at or
        after ``from_ms``; the last ends at ``to_ms`` (or the file's end). Speech is kept when
        its midpoint falls in the stretch, so neighbouring stretches never share a piece."""
        frames = self._open_frames(source, from_ms, 0, to_ms)
        if frames.first() is None:
            frames.close()
            raise InputError(f"no decodable frames in {source.info.uri} from {from_ms} ms")
        yield from self._produce(
            source,
            frames,
            video_id=video_id,
            not_before_ms=from_ms,
            offset_ms=0,
            previous=previous,
            merge=merge,
            stats=stats or RunStats(),
            to_ms=to_ms,
        )

    # -- the run ---------------------------------------------------------------------------

    def _open_frames(
        self, source: MediaSource, from_ms: int, offset_ms: int, to_ms: int | None = None
    ) -> _Frames:
        # A live source also marks where its stream dropped (StreamBreak): see _produce.
        with_breaks = getattr(source, "frames_and_breaks", None)
        raw: Iterator[Frame | StreamBreak] = (
            with_breaks(from_ms) if with_breaks else source.frames(from_ms)
        )
        if to_ms is not None:
            raw = takewhile(lambda f: f.ts_ms < to_ms, raw)
        shifted = shift_frames(raw, offset_ms)
        return _Frames(prefetch(shifted, maxsize=self.settings.ingest.decode_batch * 2))

    def _produce(
        self,
        source: MediaSource,
        frames: _Frames,
        *,
        video_id: str,
        not_before_ms: int,
        offset_ms: int,
        previous: Event | None,
        merge: bool | None,
        stats: RunStats,
        to_ms: int | None = None,
    ) -> Iterator[EventRecord]:
        info = source.info
        settings = self.settings
        asr = self.perceivers.asr
        listening = asr is not None and info.has_audio
        speech: Iterator[SpeechPiece | Watermark] = iter(())
        if asr is not None and info.has_audio:
            perception = settings.perception
            window_ms = perception.live_asr_window_ms if info.is_live else perception.asr_window_ms
            audio_from_ms = 0 if info.is_live else not_before_ms
            audio = shift_audio(source.audio(audio_from_ms), offset_ms)
            if to_ms is not None:
                audio = takewhile(lambda c: c.start_ms < to_ms, audio)
            speech = prefetch(transcribe_stream(asr, audio, window_ms=window_ms), maxsize=64)
        feed = SpeechFeed(speech, not_before_ms=not_before_ms)
        stride_ms = round(1000 / settings.ingest.sample_fps)
        observer = self.perceivers.observer(
            settings.perception,
            stride_ms=stride_ms,
            listening=listening,
            frames_per_event=settings.image_embedding.frames_per_event,
        )
        segmenter = self.stages.segmenter(info.is_live)
        merging = (
            (self.stages.merge_files and not info.is_live) if merge is None else merge
        )  # not on live streams unless asked: a held-back event would trail the stream
        merger = self.stages.merger() if merging else None
        last_ms = not_before_ms

        def handle(window: EventWindow, *, last: bool) -> Iterator[EventRecord]:
            nonlocal previous
            record = self._assemble(video_id, window, feed.take(window.span, last=last),
                                    observer, previous)  # fmt: skip
            # The merger may hold the newest event back, to fold the next one into it.
            ready = merger.push(record, cut_after=window.cut) if merger is not None else [record]
            # The event the next one follows: the held one, else the last released (merged) one.
            newest = merger.pending if merger is not None and merger.pending else ready[-1]
            previous = newest.event
            yield from ready

        try:
            for frame in frames:
                if isinstance(frame, StreamBreak):  # commit what the stream sent, don't wait
                    for window in segmenter.flush(frame.ts_ms):
                        window.partial = True
                        yield from handle(window, last=False)
                    yield from merger.flush() if merger is not None else []
                    continue
                stats.frames_sampled += 1
                last_ms = frame.ts_ms
                for window in segmenter.push(frame):
                    yield from handle(window, last=False)
                # What nothing can join any more is released: no need to keep a stream waiting.
                yield from merger.due(frame.ts_ms) if merger is not None else []
            stopped = getattr(source, "stopped", None)
            end_ms = last_ms + stride_ms
            if to_ms is not None:
                end_ms = to_ms if info.duration_ms is None else min(to_ms, info.duration_ms)
            elif info.duration_ms is not None and not stopped:
                end_ms = max(end_ms, info.duration_ms)
            for window in segmenter.flush(end_ms):
                window.partial = bool(stopped) and info.is_live
                yield from handle(window, last=True)
            yield from merger.flush() if merger is not None else []
        finally:
            frames.close()
            if isinstance(speech, Generator):
                speech.close()
            stats.frames_ocr = observer.frames_read
            stats.events_merged = merger.merged if merger is not None else 0
            stats.last_frame_ms = last_ms
            stats.languages = feed.languages

    def _assemble(
        self,
        video_id: str,
        window: EventWindow,
        pieces: list[SpeechPiece],
        observer: EventObserver,
        previous: Event | None,
    ) -> EventRecord:
        return assemble_record(
            video_id,
            window.span,
            observer.observe(window, pieces),
            previous=previous,
            embedder=self.embedder,
            partial=window.partial,
            speech_names_on=self.settings.perception.speech_names,
        )

    def _finish_video(
        self,
        video_id: str,
        info: SourceInfo,
        gaps: list[Gap],
        last: Event | None,
        language: str | None,
    ) -> None:
        stored = self.store.get_video(video_id)
        done = self._video(video_id, info, status="complete", gaps=gaps)
        if info.is_live:  # a stream has no end of its own: it stopped, and lasted this long
            done = done.model_copy(
                update={"status": "stopped", "duration_ms": last.span.end_ms if last else 0}
            )
        if stored is not None:  # keep when ingestion first began (and a resumed run's language)
            done = done.model_copy(
                update={"ingested_at": stored.ingested_at, "language": language or stored.language}
            )
        else:
            done = done.model_copy(update={"language": language})
        self.store.upsert_video(done)

    def _video(
        self, video_id: str, info: SourceInfo, *, status: str, gaps: Sequence[Gap] = ()
    ) -> Video:
        return Video(
            id=video_id,
            path=location(info),
            duration_ms=info.duration_ms or 0,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            is_live=info.is_live,
            status="complete" if status == "complete" else "ingesting",
            gaps=[TimeSpan(start_ms=g.start_ms, end_ms=g.end_ms) for g in gaps],
        )


class _Frames:
    """Decoded frames with the first one taken early: a file with no decodable frame is refused
    before the store is touched."""

    def __init__(self, frames: Generator[Frame | StreamBreak, None, None]) -> None:
        self._frames = frames
        self._first: list[Frame | StreamBreak] | None = None

    def first(self) -> Frame | StreamBreak | None:
        if self._first is None:
            try:
                item = next(self._frames, None)
            except InputError:
                self._frames.close()
                raise
            self._first = [item] if item is not None else []
        return self._first[0] if self._first else None

    def __iter__(self) -> Iterator[Frame | StreamBreak]:
        self.first()
        return itertools.chain(self._first or [], self._frames)

    def close(self) -> None:
        self._frames.close()

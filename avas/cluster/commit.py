"""The one writer of a video's events: records from any number of tasks, committed in time order.

    committer = VideoCommitter(service, video_id, info)     # checks the id, finds the resume point
    committer.add(records, cuts)                            # chunk by chunk, in time order
    committer.finish(languages)                             # last summaries, status "complete"

It does what ``IngestPipeline.run`` does around perception: NEXT edges from the event before,
the online merge of like events (across seams too), entity linking against the store, segment
and video summaries, and the video node. The embedded store has one committing process, the
driver, so this runs there; tasks only perceive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from avas.errors import InputError
from avas.ingest.base import SourceInfo
from avas.ingest.ids import location
from avas.ingest.memory import release_freed_memory
from avas.knowledge.linking import EntityLinker
from avas.knowledge.summaries import SummaryBuilder, make_summariser
from avas.pipeline.feed import video_language
from avas.segment.merge import EventMerger
from avas.service import Service
from graph_schema import Event, EventRecord, Video

from .seams import with_previous


class VideoCommitter:
    def __init__(
        self,
        service: Service,
        video_id: str,
        info: SourceInfo,
        *,
        on_event: Callable[[EventRecord], None] | None = None,
        merge: bool | None = None,
    ) -> None:
        """``merge``: fold like events as the records arrive (default: the segment settings);
        off where the records come merged already (a stream's actor merges its own)."""
        settings = service.settings
        self.store = service.store
        self.video_id = video_id
        self.info = info
        self.on_event = on_event
        self.existing = self.store.get_video(video_id)
        if self.existing is not None and self.existing.path != location(info):
            raise InputError(
                f"video id {video_id!r} already names {self.existing.path}; pick another --name"
            )
        committed = self.store.events(video_id) if self.existing is not None else []
        self.skipped = len(committed)
        # An interrupted run resumes after its last committed event: a true event start.
        self.previous: Event | None = committed[-1] if committed else None
        self.resume_ms = self.previous.span.end_ms if self.previous else 0
        self.committed = 0
        embedder = service.embedder
        linking = settings.linking
        self.linker = EntityLinker(
            self.store,
            embedder,
            min_similarity=linking.min_similarity,
            candidates=linking.candidates,
            enabled=linking.enabled,
        )
        self.summaries = SummaryBuilder(
            self.store,
            embedder,
            video_id=video_id,
            segment_ms=settings.segment.summary_segment_ms,
            summariser=make_summariser(settings.summary),
        )
        seg = settings.segment
        self.merger = (
            EventMerger(
                max_ms=seg.merge_max_ms,
                min_similarity=seg.merge_min_similarity,
                embed=lambda text: embedder.embed([text])[0].tolist(),
            )
            if (seg.merge if merge is None else merge) and not info.is_live
            else None
        )

    @property
    def complete(self) -> bool:
        return self.existing is not None and self.existing.status == "complete"

    def begin(self) -> None:
        if self.existing is None:
            self.store.upsert_video(self._video("ingesting"))
        elif self.existing.status != "ingesting":  # a live stream that is back: same timeline
            self.store.upsert_video(self.existing.model_copy(update={"status": "ingesting"}))

    def add(self, records: Sequence[EventRecord], cuts: Sequence[bool]) -> None:
        """The next records in time order; ``cuts[i]``: record i's window ended at a shot cut."""
        for record, cut in zip(records, cuts, strict=True):
            record = with_previous(record, self.previous)
            if self.merger is None:
                self._commit(record)
                self.previous = record.event
                continue
            ready = self.merger.push(record, cut_after=cut)
            newest = self.merger.pending if self.merger.pending else ready[-1]
            self.previous = newest.event
            for held in ready:
                self._commit(held)

    def finish(self, languages: Counter[str], *, stopped: bool = False) -> None:
        """The video is complete (a stream ``stopped``: it lasted until its last event)."""
        for held in self.merger.flush() if self.merger is not None else []:
            self._commit(held)
        self.summaries.finish()
        stored = self.store.get_video(self.video_id)
        language = video_language(languages)
        done = self._video("complete")
        if stopped:
            end_ms = self.previous.span.end_ms if self.previous else 0
            done = done.model_copy(update={"status": "stopped", "duration_ms": end_ms})
        if stored is not None:  # keep when ingestion first began (and a resumed run's language)
            done = done.model_copy(
                update={"ingested_at": stored.ingested_at, "language": language or stored.language}
            )
        else:
            done = done.model_copy(update={"language": language})
        self.store.upsert_video(done)

    def _commit(self, record: EventRecord) -> None:
        record = self.linker.link(record)  # against this store: the tasks' links are dropped
        self.store.commit_event(record)
        release_freed_memory()
        self.summaries.note(record.event)
        self.committed += 1
        if self.on_event is not None:
            self.on_event(record)

    def _video(self, status: str) -> Video:
        info = self.info
        return Video(
            id=self.video_id,
            path=location(info),
            duration_ms=info.duration_ms or 0,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            is_live=info.is_live,
            status="complete" if status == "complete" else "ingesting",
            gaps=[],
        )

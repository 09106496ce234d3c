"""The per-run collaborators of an ingest, built by the composition root (``avas.service``).

A segmenter and a merger keep state across one run's frames, so the pipeline gets factories
for them; the entity linker and the summariser are shared by every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from avas.config import Settings
from avas.graph.base import EventGraphStore
from avas.knowledge.linking import EntityLinker
from avas.knowledge.summaries import make_summariser
from avas.knowledge.summary_base import Summariser
from avas.perception.base import Embedder
from avas.segment.base import Segmenter
from avas.segment.merge import EventMerger
from avas.segment.scene_cut import SceneCutSegmenter


@dataclass
class Stages:
    segmenter: Callable[[bool], Segmenter]  # is the source live?
    merger: Callable[[], EventMerger]
    merge_files: bool  # merge online by default on files (never by default on live streams)
    linker: EntityLinker
    summariser: Summariser

    @classmethod
    def from_settings(
        cls, settings: Settings, store: EventGraphStore, embedder: Embedder
    ) -> Stages:
        seg = settings.segment

        def segmenter(live: bool) -> Segmenter:
            return SceneCutSegmenter(
                min_event_ms=seg.min_event_ms,
                # A live event closes sooner: what was said is committed within seconds.
                max_event_ms=seg.live_max_event_ms if live else seg.max_event_ms,
                threshold=seg.cut_threshold,
            )

        def merger() -> EventMerger:
            return EventMerger(
                max_ms=seg.merge_max_ms,
                min_similarity=seg.merge_min_similarity,
                embed=lambda text: embedder.embed([text])[0].tolist(),
            )

        linking = settings.linking
        return cls(
            segmenter=segmenter,
            merger=merger,
            merge_files=seg.merge,
            linker=EntityLinker(
                store,
                embedder,
                min_similarity=linking.min_similarity,
                candidates=linking.candidates,
                enabled=linking.enabled,
            ),
            summariser=make_summariser(settings.summary),
        )

"""The agent's tools: thin, typed wrappers over the retrievers and the store.

tools = Toolkit(store, service.moment_finder())  # the retriever `avas find` uses
tools.search("budget", modality="speech", video_id="talk")

The retriever is passed in (any ``EvidenceSearch``): the composition root hands over the one
`avas find` uses, so the frame modality and the re-ranker serve the agent when configured; a
bare ``HybridRetriever`` is the first stage alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.state import Modality
from avas.graph.base import EventDetails, EventGraphStore, Relation
from avas.retrieval.hybrid import Evidence, EvidenceSearch
from graph_schema import Entity, EntityKind, Event, NodeKind, TimeSpan, normalize_name

if TYPE_CHECKING:
    from agents.look import SpanLooker

KINDS: dict[Modality, tuple[NodeKind, ...]] = {
    "speech": (NodeKind.SPEECH,),
    "text": (NodeKind.TEXT,),
    "observed": (NodeKind.SPEECH, NodeKind.TEXT),
    "any": (NodeKind.SPEECH, NodeKind.TEXT, NodeKind.EVENT),
}


@dataclass(frozen=True)
class Toolkit:
    store: EventGraphStore
    retriever: EvidenceSearch
    top_k: int = 8
    looker: SpanLooker | None = None  # "look again"; None: no denser look (e.g. no media)

    def search(
        self,
        query: str,
        *,
        modality: Modality,
        video_id: str | None,
        keywords: list[str] | None = None,
        k: int | None = None,
    ) -> list[Evidence]:
        return self.retriever.search(
            query, kinds=KINDS[modality], video_id=video_id, k=k or self.top_k, keywords=keywords
        )

    def dense_bar(
        self, query: str, *, modality: Modality, video_id: str | None, floor: float
    ) -> float:
        """The similarity a hit needs to stand out from this video's observations."""
        return self.retriever.dense_bar(
            query, kinds=KINDS[modality], video_id=video_id, floor=floor
        )

    def heard_names(self, name: str, *, k: int = 10) -> list[str]:
        """Names heard in speech whose embedding is near ``name`` (for misheard spellings)."""
        vector = self.retriever.embedder.embed([name])[0]
        return [h.entity.name for h in self.store.entity_candidates(EntityKind.NAME, vector, k=k)]

    def event_signals(self, video_id: str | None) -> list[Event]:
        """Every event in time order (per video), for answers from the detectors' signals."""
        videos = [video_id] if video_id else [v.id for v in self.store.videos()]
        return [e for vid in videos for e in self.store.events(vid)]

    def event_of(self, node_id: str) -> Event:
        return self.store.event_of(node_id)

    def details(self, event_id: str) -> EventDetails:
        return self.store.event_details(event_id)

    def following(self, event_id: str, n: int) -> list[Event]:
        return self.store.neighbors(event_id, before=0, after=n)

    def preceding(self, event_id: str, n: int) -> list[Event]:
        return list(reversed(self.store.neighbors(event_id, before=n, after=0)))

    def evidence(self, node_id: str) -> Evidence:
        """A stored speech, text or event node as evidence (for a follow-up's anchor)."""
        hit = self.store.node_hit(node_id)
        return Evidence(
            node_id=hit.id,
            kind=hit.kind,
            video_id=hit.video_id,
            span=hit.span,
            text=hit.text,
            fused=0,
            coverage=1.0,
        )

    def timeline(
        self,
        *,
        modality: Modality,
        video_id: str | None,
        limit: int,
        keep: Callable[[Evidence], bool] = lambda _: True,
    ) -> list[Evidence]:
        """The first ``limit`` distinct observations in time order: for questions with no topic."""
        videos = [video_id] if video_id else [v.id for v in self.store.videos()]
        found: list[Evidence] = []
        seen: set[tuple[str, str]] = set()
        for vid in videos:
            for event in self.store.events(vid):
                details = self.store.event_details(event.id)
                items: list[tuple[NodeKind, str, str, TimeSpan]] = []
                if modality in ("speech", "any"):
                    items += [(NodeKind.SPEECH, s.id, s.text, s.span) for s in details.speech]
                if modality in ("text", "any"):
                    items += [(NodeKind.TEXT, t.id, t.text, t.span) for t in details.texts]
                for kind, node_id, text, span in sorted(items, key=lambda i: i[3].start_ms):
                    key = (vid, normalize_name(text))
                    item = Evidence(
                        node_id=node_id, kind=kind, video_id=vid, span=span, text=text, fused=0
                    )
                    if key in seen or not keep(item):
                        continue
                    seen.add(key)
                    found.append(item)
                    if len(found) >= limit:
                        return found
        return found

    def summaries(self, *, video_id: str | None, window: TimeSpan | None) -> list[Evidence]:
        """The video summary, or the segment summaries overlapping ``window``."""
        videos = [video_id] if video_id else [v.id for v in self.store.videos()]
        found = []
        for vid in videos:
            level = "segment" if window is not None else "video"
            for s in self.store.summaries(vid, level=level):
                if window is None or s.span.overlaps(window):
                    found.append(
                        Evidence(
                            node_id=s.id,
                            kind=NodeKind.SUMMARY,
                            video_id=vid,
                            span=s.span,
                            text=s.text,
                            fused=0,
                            coverage=1.0,
                        )
                    )
        return found

    def entities(self, name: str, *, k: int = 5) -> list[Entity]:
        """Entities whose name matches ``name`` (normalised; whole name, then shared words)."""
        return self.store.find_entities(name, k=k)

    def entity_events(self, entity_id: str, *, video_id: str | None = None) -> list[Evidence]:
        """The events that involve an entity, as evidence (the event's description)."""
        return [
            Evidence(
                node_id=e.id,
                kind=NodeKind.EVENT,
                video_id=e.video_id,
                span=e.span,
                text=e.description,
                fused=0,
                coverage=1.0,
            )
            for e in self.store.entity_events(entity_id)
            if video_id is None or e.video_id == video_id
        ]

    def relations(self, entity_id: str, *, video_id: str | None = None) -> list[Relation]:
        return [
            r for r in self.store.relations(entity_id) if video_id is None or r.video_id == video_id
        ]

    @staticmethod
    def relation_evidence(r: Relation) -> Evidence | None:
        """A relation as evidence citing the event where it holds (None if that event is gone)."""
        if r.span is None:
            return None
        return Evidence(
            node_id=r.event_id,
            kind=NodeKind.EVENT,
            video_id=r.video_id,
            span=r.span,
            text=f"{r.subject.name} {r.predicate} {r.object.name}",
            fused=0,
            coverage=1.0,
        )

    def look_again(self, video_id: str, span: TimeSpan, *, question: str) -> list[Evidence]:
        """Denser OCR/speech (or a VLM caption, when configured) of one span; not stored."""
        if self.looker is None:
            return []
        return self.looker.look(video_id, span, question=question)

    def models(self) -> list[str]:
        return self.retriever.model_ids()

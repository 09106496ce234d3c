"""Acceptance for issue 5's entity linking, through the real pipeline on a generated video.

The same on-screen name in three separate events is one entity with three INVOLVES edges; a name
that differs by one letter ("LOADING DOCK C", which the embedder scores 0.78 against "... B")
stays another entity; names heard in speech become entities with the role "mentioned".

.venv/bin/pytest tests/integration/test_entity_linking.py -q
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from avas.config import IngestSettings, Settings
from avas.graph.networkx_store import NetworkxEventStore
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.pipeline import IngestPipeline
from avas.service import Service
from graph_schema import EdgeType, EntityKind, Event, entity_id

B, C = "LOADING DOCK B", "LOADING DOCK C"
SAID = "The inspectors from London will visit Harbor Bridge with Peter Smith on Monday."


@pytest.fixture(scope="module")
def docks(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    """32 s at 5 fps: B, C, B, C (with a spoken sentence), B, each on its own background."""
    scenes = [
        SceneSpec(duration_ms=6_000, background="purple", text=B),
        SceneSpec(duration_ms=6_000, background="blue", text=C),
        SceneSpec(duration_ms=6_000, background="green", text=B),
        SceneSpec(
            duration_ms=8_000,
            background="red",
            text=C,
            speech=[SpeechSpec(offset_ms=500, text=SAID)],
        ),
        SceneSpec(duration_ms=6_000, background="gray", text=B),
    ]
    path = tmp_path_factory.mktemp("docks") / "docks.mp4"
    return make_sample_video(path, SampleSpec(scenes=scenes, fps=5))


@pytest.fixture(scope="module")
def store(
    docks: SampleManifest, service: Service, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NetworkxEventStore]:
    # A store of its own (the session store's other tests count entities); the session's models.
    home = tmp_path_factory.mktemp("docks-home")
    settings = Settings(home=home, ingest=IngestSettings(sample_fps=1.0))
    s = NetworkxEventStore(settings.store_path)
    pipeline = IngestPipeline(
        settings,
        s,
        embedder=service.embedder,
        reader=service.text_reader,
        asr=service.speech_recognizer,
    )
    pipeline.ingest(Path(docks.path), name="docks")
    yield s
    s.close()


def _scene_of(manifest: SampleManifest, event: Event) -> int:
    """The index of the planted text whose span holds most of the event."""
    overlaps = [event.span.overlap_ms(fact.span) for fact in manifest.texts()]
    return overlaps.index(max(overlaps))


def test_one_name_in_three_events_is_one_entity(
    store: NetworkxEventStore, docks: SampleManifest
) -> None:
    b_events = store.entity_events(entity_id(EntityKind.TEXT, B))
    c_events = store.entity_events(entity_id(EntityKind.TEXT, C))
    assert [_scene_of(docks, e) for e in b_events] == [0, 2, 4]
    assert [_scene_of(docks, e) for e in c_events] == [1, 3]
    # Three events, three INVOLVES edges into the one node (OCR read the sign the same way).
    b_in = [
        src
        for src, _, key in store._graph.in_edges(entity_id(EntityKind.TEXT, B), keys=True)
        if key == EdgeType.INVOLVES.value
    ]
    assert sorted(b_in) == sorted(e.id for e in b_events)

    # Two names, two entities: no merge joins them, whatever else was linked.
    def root(entity: str) -> str:
        return {m.alias_id: m.canonical_id for m in store.merges()}.get(entity, entity)

    assert root(entity_id(EntityKind.TEXT, B)) != root(entity_id(EntityKind.TEXT, C))
    texts = {
        root(ent.id)
        for event in store.events("docks")
        for ent in store.event_details(event.id).entities
        if ent.kind is EntityKind.TEXT
    }
    assert texts == {entity_id(EntityKind.TEXT, B), entity_id(EntityKind.TEXT, C)}


def test_names_heard_are_entities_mentioned_in_their_event(
    store: NetworkxEventStore, docks: SampleManifest
) -> None:
    for name in ("Peter Smith", "London"):
        key = entity_id(EntityKind.NAME, name)
        entity = store.entity(key)
        assert entity is not None and entity.kind is EntityKind.NAME, name
        (event,) = store.entity_events(key)
        assert event.span.overlaps(docks.speech()[0].span)
        assert store._graph.get_edge_data(event.id, key, key="INVOLVES") == {"role": "mentioned"}

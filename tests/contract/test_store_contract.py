"""The EventGraphStore contract: every backend (see conftest's factories) must pass all of it.

    .venv/bin/pytest tests/contract -q                       # the embedded networkx store
    AVAS_NEO4J__URI=bolt://localhost:7687 .venv/bin/pytest tests/contract -m neo4j

Records are built by ``make_record`` the way the pipeline builds them; vectors are deterministic
fake 8-dim unit vectors (data here, not a model's output).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from avas.errors import InputError, NotFoundError
from avas.graph.base import EventDetails, EventGraphStore, SearchHit
from graph_schema import (
    Edge,
    EdgeType,
    Entity,
    EntityKind,
    Event,
    EventRecord,
    GraphStats,
    NodeKind,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    Video,
    entity_id,
    event_id,
    speech_id,
    text_id,
)

DIM = 8
VIDEO = "talk"
OTHER = "other"
EVERYTHING = 10_000  # a k larger than any test graph


# -- record building ---------------------------------------------------------------------------


def make_video(video_id: str = VIDEO) -> Video:
    return Video(
        id=video_id,
        path=f"/media/{video_id}.mp4",
        duration_ms=600_000,
        width=640,
        height=360,
        fps=25.0,
        has_audio=True,
    )


def unit_vector(key: str) -> list[float]:
    """A deterministic pseudo-random unit vector named by ``key``."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    vec = np.random.default_rng(seed).normal(size=DIM)
    return [float(x) for x in vec / np.linalg.norm(vec)]


def query(vec: Sequence[float]) -> npt.NDArray[np.float32]:
    return np.asarray(vec, dtype=np.float32)


def make_record(
    start_ms: int,
    end_ms: int,
    description: str | None = None,
    *,
    video_id: str = VIDEO,
    speech: Sequence[str] = (),
    texts: Sequence[str] = (),
    entities: Sequence[str] = (),
    previous: Event | None = None,
    event_vector: Sequence[float] | None = None,
    observers: Sequence[str] = ("test/visual",),
) -> EventRecord:
    """One event; speech pieces split its span evenly, texts span all of it; vectors by node id."""
    span = TimeSpan(start_ms=start_ms, end_ms=end_ms)
    eid = event_id(video_id, span)
    event = Event(
        id=eid,
        video_id=video_id,
        span=span,
        description=description or f"event from {start_ms} to {end_ms}",
        keyframes_ms=[(start_ms + end_ms) // 2],
        observers=list(observers),
    )
    step = span.duration_ms // max(1, len(speech))
    segments = []
    for j, said in enumerate(speech):
        piece = TimeSpan(start_ms=start_ms + j * step, end_ms=start_ms + (j + 1) * step)
        segments.append(
            SpeechSegment(
                id=speech_id(video_id, piece),
                video_id=video_id,
                span=piece,
                text=said,
                model="test/asr",
                confidence=0.9,
            )
        )
    shown = [
        OnScreenText(
            id=text_id(video_id, span, t),
            video_id=video_id,
            span=span,
            text=t,
            model="test/ocr",
            confidence=0.8,
        )
        for t in texts
    ]
    involved = {
        entity_id(EntityKind.TEXT, name): Entity(
            id=entity_id(EntityKind.TEXT, name), kind=EntityKind.TEXT, name=name, model="test/ocr"
        )
        for name in entities
    }
    edges = [Edge(src=video_id, dst=eid, type=EdgeType.HAS_EVENT)]
    if previous is not None:
        gap = max(0, start_ms - previous.span.end_ms)
        edges.append(Edge(src=previous.id, dst=eid, type=EdgeType.NEXT, props={"gap_ms": gap}))
    edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in segments]
    edges += [Edge(src=eid, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in shown]
    edges += [
        Edge(src=eid, dst=ent, type=EdgeType.INVOLVES, props={"role": "shown"}) for ent in involved
    ]
    vectors = {eid: list(event_vector) if event_vector else unit_vector(eid)}
    children = [s.id for s in segments] + [t.id for t in shown]
    vectors |= {child: unit_vector(child) for child in children}
    return EventRecord(
        event=event,
        speech=segments,
        texts=shown,
        entities=list(involved.values()),
        edges=edges,
        vectors=vectors,
        embedding_model="test/embed",
    )


def timeline(
    store: EventGraphStore, bounds_ms: Sequence[int], *, video_id: str = VIDEO
) -> list[Event]:
    """Commits contiguous bare events [b0, b1), [b1, b2), ... chained by NEXT edges."""
    events: list[Event] = []
    for start, end in itertools.pairwise(bounds_ms):
        rec = make_record(start, end, video_id=video_id, previous=events[-1] if events else None)
        store.commit_event(rec)
        events.append(rec.event)
    return events


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    """Stats without zero counts: a backend may report a kind it has none of as 0 or omit it."""
    return {k: v for k, v in counts.items() if v}


def ids(hits: Sequence[SearchHit]) -> list[str]:
    return [h.id for h in hits]


def details_of(rec: EventRecord) -> EventDetails:
    return EventDetails(
        event=rec.event,
        speech=sorted(rec.speech, key=lambda s: s.span.start_ms),
        texts=sorted(rec.texts, key=lambda t: (t.span.start_ms, t.text)),
        entities=sorted(rec.entities, key=lambda e: e.name),
    )


def assert_ranked(hits: Sequence[SearchHit]) -> None:
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True), "hits must come best (highest score) first"
    assert len(set(ids(hits))) == len(hits), f"duplicate hits: {ids(hits)}"


def known_bug(request: pytest.FixtureRequest, backend: str, reason: str) -> None:
    """Expect this test to fail on one backend (strictly): when the store is fixed, drop the call.

    Per backend, not a static mark: the same test must pass on every other store.
    """
    if request.getfixturevalue("store_factory").name == backend:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"{backend} store: {reason}"))


@pytest.fixture
def video(store: EventGraphStore) -> Video:
    v = make_video()
    store.upsert_video(v)
    return v


# -- videos and round trips --------------------------------------------------------------------


def test_upsert_video_round_trip(store: EventGraphStore) -> None:
    assert store.get_video(VIDEO) is None
    assert store.videos() == []
    v = make_video()
    store.upsert_video(v)
    assert store.get_video(VIDEO) == v
    assert store.videos() == [v]

    done = v.model_copy(update={"status": "complete"})
    store.upsert_video(done)
    assert store.get_video(VIDEO) == done
    assert store.videos() == [done]
    assert store.stats().videos == 1


def test_commit_event_round_trip(store: EventGraphStore, video: Video) -> None:
    rec = make_record(
        0,
        8_000,
        "a crane lifts a container",
        speech=["welcome to the harbour", "the crane is loading"],
        texts=["PIER 7"],
        entities=["PIER 7"],
    )
    assert not store.has_event(rec.event.id)
    store.commit_event(rec)

    assert store.has_event(rec.event.id)
    assert not store.has_event(rec.speech[0].id), "a speech node is not an event"
    assert store.events(VIDEO) == [rec.event]
    assert store.event_details(rec.event.id) == details_of(rec)
    stats = store.stats()
    assert nonzero(stats.nodes) == {"entity": 1, "event": 1, "speech": 2, "text": 1, "video": 1}
    assert nonzero(stats.edges) == {"HAS_EVENT": 1, "HAS_SPEECH": 2, "INVOLVES": 1, "SHOWS_TEXT": 1}


def test_recommit_is_idempotent(store: EventGraphStore, video: Video) -> None:
    first = make_record(0, 5_000, "opening", speech=["budget talk"], texts=["BUDGET 2024"])
    second = make_record(
        5_000,
        9_000,
        "budget slide",
        speech=["the budget grows", "next budget item"],
        texts=["BUDGET"],
        entities=["BUDGET"],
        previous=first.event,
    )
    store.commit_event(first)
    store.commit_event(second)
    once = store.stats()
    before = store.keyword_search("budget", k=EVERYTHING)

    store.commit_event(second)
    store.commit_event(first)
    store.commit_event(second)

    assert store.stats() == once
    assert store.events(VIDEO) == [first.event, second.event]
    assert store.event_details(second.event.id) == details_of(second)
    again = store.keyword_search("budget", k=EVERYTHING)
    assert_ranked(again)
    assert sorted(ids(again)) == sorted(ids(before))
    assert len(again) == 6  # one description, three speech, two texts
    dense = store.vector_search(query(second.vectors[second.event.id]), k=EVERYTHING)
    assert_ranked(dense)
    assert len(dense) == 7  # two events, three speech, two texts


def test_recommit_replaces_children(store: EventGraphStore, video: Video) -> None:
    old = make_record(
        0,
        6_000,
        "old description",
        speech=["alpha zebra words", "still here maybe"],
        texts=["OLDSIGN"],
        entities=["OLDSIGN"],
    )
    store.commit_event(old)
    new = make_record(0, 6_000, "new description", speech=["fresh giraffe words"])
    gone = [old.speech[0].id, old.speech[1].id, old.texts[0].id]
    assert not set(gone) & {s.id for s in new.speech}, "the test needs different child ids"

    store.commit_event(new)

    assert store.events(VIDEO) == [new.event]
    assert store.event_details(new.event.id) == details_of(new)
    for node_id in gone:
        with pytest.raises(NotFoundError):
            store.event_of(node_id)
    assert store.keyword_search("zebra", k=EVERYTHING) == []
    assert store.keyword_search("oldsign", k=EVERYTHING) == []
    assert store.keyword_search("old", k=EVERYTHING) == []
    assert ids(store.keyword_search("giraffe", k=EVERYTHING)) == [new.speech[0].id]
    for node_id in gone:
        hits = store.vector_search(query(old.vectors[node_id]), k=EVERYTHING)
        assert node_id not in ids(hits)
    stats = store.stats()
    assert nonzero(stats.edges) == {"HAS_EVENT": 1, "HAS_SPEECH": 1}
    assert stats.nodes["speech"] == 1
    assert stats.nodes.get("text", 0) == 0


def test_recommit_drops_entities_no_event_involves(
    store: EventGraphStore, video: Video, request: pytest.FixtureRequest
) -> None:
    store.commit_event(make_record(0, 6_000, texts=["OLDSIGN"], entities=["OLDSIGN"]))
    store.commit_event(make_record(0, 6_000))
    assert store.stats().nodes.get("entity", 0) == 0


# -- time --------------------------------------------------------------------------------------


def test_events_come_in_time_order(store: EventGraphStore, video: Video) -> None:
    store.upsert_video(make_video(OTHER))
    recs = [make_record(s, s + 10_000) for s in (30_000, 0, 20_000, 10_000)]
    for rec in recs:
        store.commit_event(rec)
    store.commit_event(make_record(5_000, 6_000, video_id=OTHER))

    assert [e.span.start_ms for e in store.events(VIDEO)] == [0, 10_000, 20_000, 30_000]
    assert [e.video_id for e in store.events(OTHER)] == [OTHER]
    assert store.events("never-ingested") == []


@pytest.mark.parametrize(
    ("start_ms", "end_ms", "expected"),
    [
        (10_000, 20_000, [1]),  # touches both neighbours' edges: they are not inside
        (9_999, 20_001, [0, 1, 2]),  # one ms over each edge
        (9_999, 10_000, [0]),
        (10_000, 10_001, [1]),
        (19_999, 20_000, [1]),
        (5_000, 6_000, [0]),  # inside one event
        (15_000, 15_000, [1]),  # an instant inside an event
        (0, 40_000, [0, 1, 2]),
        (30_000, 40_000, []),  # after the last event ends
    ],
)
def test_events_in_span_boundaries(
    store: EventGraphStore, video: Video, start_ms: int, end_ms: int, expected: list[int]
) -> None:
    events = timeline(store, [0, 10_000, 20_000, 30_000])
    store.upsert_video(make_video(OTHER))
    timeline(store, [0, 10_000, 20_000, 30_000], video_id=OTHER)

    found = store.events_in_span(VIDEO, TimeSpan(start_ms=start_ms, end_ms=end_ms))

    assert found == [events[i] for i in expected]


@pytest.mark.parametrize("at_ms", [0, 10_000, 20_000])
def test_events_in_span_instant_at_an_event_start(
    store: EventGraphStore, video: Video, request: pytest.FixtureRequest, at_ms: int
) -> None:
    events = timeline(store, [0, 10_000, 20_000, 30_000])
    # Half-open spans: the instant at a boundary belongs to the event that starts there.
    found = store.events_in_span(VIDEO, TimeSpan(start_ms=at_ms, end_ms=at_ms))
    assert found == [events[at_ms // 10_000]]


def test_neighbors(store: EventGraphStore, video: Video) -> None:
    ev = timeline(store, [0, 1_000, 2_000, 3_000, 4_000, 5_000])

    assert store.neighbors(ev[2].id) == [ev[3]]  # default: one after
    assert store.neighbors(ev[2].id, before=1, after=1) == [ev[1], ev[3]]
    assert store.neighbors(ev[2].id, before=2, after=0) == [ev[0], ev[1]]
    assert store.neighbors(ev[2].id, before=10, after=10) == [ev[0], ev[1], ev[3], ev[4]]
    assert store.neighbors(ev[0].id, before=3, after=0) == []
    assert store.neighbors(ev[4].id, before=0, after=3) == []
    with pytest.raises(NotFoundError):
        store.neighbors("talk/ev/0-1")


# -- structure ---------------------------------------------------------------------------------


def test_event_details_and_event_of(store: EventGraphStore, video: Video) -> None:
    first = make_record(0, 4_000, speech=["one"])
    rec = make_record(
        4_000,
        10_000,
        "a quay at dusk",
        speech=["zulu spoken first", "and then more"],
        texts=["Quay B", "EXIT"],
        entities=["Quay B", "EXIT"],
        previous=first.event,
    )
    store.commit_event(first)
    store.commit_event(rec)

    details = store.event_details(rec.event.id)
    assert details == details_of(rec)
    assert [e.name for e in details.entities] == ["EXIT", "Quay B"]
    for child in [s.id for s in rec.speech] + [t.id for t in rec.texts]:
        assert store.event_of(child) == rec.event
    assert store.event_of(rec.event.id) == rec.event
    assert store.event_of(first.speech[0].id) == first.event


def test_unknown_ids_raise_not_found(store: EventGraphStore, video: Video) -> None:
    store.commit_event(make_record(0, 1_000))
    with pytest.raises(NotFoundError):
        store.event_details("talk/ev/5-6")
    with pytest.raises(NotFoundError):
        store.event_of("talk/sp/5-6")
    with pytest.raises(NotFoundError):
        store.entity_events("ent/text/nothing")
    assert not store.has_event("talk/ev/5-6")


def test_entity_shared_by_three_events(store: EventGraphStore, video: Video) -> None:
    # Three OCR readings of one sign: the entity id normalises case, spaces and punctuation.
    names = ["HARBOR BRIDGE", "Harbor Bridge", "harbor-bridge"]
    recs = [
        make_record(i * 5_000, (i + 1) * 5_000, texts=[name], entities=[name])
        for i, name in enumerate(names)
    ]
    for rec in reversed(recs):
        store.commit_event(rec)

    eid = entity_id(EntityKind.TEXT, "harborbridge")
    assert {e.id for rec in recs for e in rec.entities} == {eid}
    stats = store.stats()
    assert stats.nodes["entity"] == 1
    assert stats.edges["INVOLVES"] == 3
    assert store.entity_events(eid) == [rec.event for rec in recs]
    for rec in recs:
        assert [e.id for e in store.event_details(rec.event.id).entities] == [eid]


# -- vector search -----------------------------------------------------------------------------


def _axis(*weights: float) -> list[float]:
    vec = np.zeros(DIM)
    vec[: len(weights)] = weights
    return [float(x) for x in vec / np.linalg.norm(vec)]


def test_vector_search_ranks_the_nearest_first(store: EventGraphStore, video: Video) -> None:
    far = make_record(0, 1_000, "far", event_vector=_axis(0, 1))
    near = make_record(1_000, 2_000, "near", event_vector=_axis(1, 0))
    nearer = make_record(2_000, 3_000, "nearer", event_vector=_axis(0.9, 0.1))
    middle = make_record(3_000, 4_000, "middle", event_vector=_axis(0.5, 0.5))
    for rec in (far, near, nearer, middle):
        store.commit_event(rec)

    hits = store.vector_search(query(_axis(1, 0)), k=3)

    assert ids(hits) == [near.event.id, nearer.event.id, middle.event.id]
    assert_ranked(hits)
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].kind is NodeKind.EVENT and hits[0].video_id == VIDEO
    assert hits[0].span == near.event.span and hits[0].text == "near"
    everything = store.vector_search(query(_axis(1, 0)), k=EVERYTHING)
    assert ids(everything)[-1] == far.event.id
    assert hits[2].score > everything[-1].score


def test_vector_search_filters_by_kind_and_video(store: EventGraphStore, video: Video) -> None:
    store.upsert_video(make_video(OTHER))
    mine = make_record(0, 4_000, speech=["one", "two"], texts=["SIGN"])
    theirs = make_record(0, 4_000, video_id=OTHER, speech=["three"], texts=["OTHER SIGN"])
    store.commit_event(mine)
    store.commit_event(theirs)
    probe = query(mine.vectors[mine.speech[0].id])

    speech_only = store.vector_search(probe, k=EVERYTHING, kinds=[NodeKind.SPEECH])
    assert {h.kind for h in speech_only} == {NodeKind.SPEECH}
    assert len(speech_only) == 3
    assert speech_only[0].id == mine.speech[0].id and speech_only[0].text == "one"

    in_other = store.vector_search(probe, k=EVERYTHING, video_id=OTHER)
    assert sorted(ids(in_other)) == sorted(theirs.vectors)
    assert {h.video_id for h in in_other} == {OTHER}

    texts_here = store.vector_search(probe, k=EVERYTHING, kinds=[NodeKind.TEXT], video_id=VIDEO)
    assert ids(texts_here) == [mine.texts[0].id]
    assert store.vector_search(probe, k=EVERYTHING, kinds=[NodeKind.ENTITY]) == []
    assert len(store.vector_search(probe, k=2)) == 2


def test_keyword_search_with_k_zero_finds_nothing(store: EventGraphStore, video: Video) -> None:
    store.commit_event(make_record(0, 1_000, "harbor crane"))
    assert store.keyword_search("harbor", k=0) == []


def test_vector_search_with_k_zero_finds_nothing(
    store: EventGraphStore, video: Video, request: pytest.FixtureRequest
) -> None:
    rec = make_record(0, 1_000, "harbor crane")
    store.commit_event(rec)
    assert store.vector_search(query(rec.vectors[rec.event.id]), k=0) == []


# -- keyword search ----------------------------------------------------------------------------


@pytest.fixture
def harbour(store: EventGraphStore, video: Video) -> dict[str, EventRecord]:
    """Two videos with distinct words in descriptions, speech and on-screen text."""
    store.upsert_video(make_video(OTHER))
    recs = {
        "sign": make_record(
            0,
            5_000,
            "a ship passes under a bridge",
            speech=["the budgets were approved"],
            texts=["HARBORBRIDGE"],
        ),
        "quay": make_record(
            5_000, 9_000, "cranes on the quay", speech=["loading containers at night"]
        ),
        "other": make_record(
            0,
            5_000,
            "a bridge in another city",
            video_id=OTHER,
            speech=["harbor tours daily"],
            texts=["BRIDGE ST"],
        ),
    }
    for rec in recs.values():
        store.commit_event(rec)
    return recs


def test_keyword_search_matches_substrings(
    store: EventGraphStore, harbour: dict[str, EventRecord]
) -> None:
    sign = harbour["sign"]
    # OCR dropped the space: the trigram index still finds the word inside it.
    hits = store.keyword_search("bridge", k=EVERYTHING, kinds=[NodeKind.TEXT], video_id=VIDEO)
    assert ids(hits) == [sign.texts[0].id]
    assert hits[0].text == "HARBORBRIDGE" and hits[0].span == sign.texts[0].span
    # an inflected form contains the query word
    assert ids(store.keyword_search("budget", k=EVERYTHING)) == [sign.speech[0].id]
    assert ids(store.keyword_search("CONTAINER", k=EVERYTHING)) == [harbour["quay"].speech[0].id]


def test_keyword_search_ranks_and_filters(
    store: EventGraphStore, harbour: dict[str, EventRecord]
) -> None:
    sign, other = harbour["sign"], harbour["other"]
    everywhere = store.keyword_search("bridge", k=EVERYTHING)
    assert_ranked(everywhere)
    assert set(ids(everywhere)) == {
        sign.event.id,
        sign.texts[0].id,
        other.event.id,
        other.texts[0].id,
    }
    here = store.keyword_search("bridge", k=EVERYTHING, video_id=VIDEO)
    assert set(ids(here)) == {sign.event.id, sign.texts[0].id}
    assert {h.video_id for h in here} == {VIDEO}
    events_only = store.keyword_search("bridge", k=EVERYTHING, kinds=[NodeKind.EVENT])
    assert set(ids(events_only)) == {sign.event.id, other.event.id}
    assert {h.kind for h in events_only} == {NodeKind.EVENT}
    speech_there = store.keyword_search(
        "harbor", k=EVERYTHING, kinds=[NodeKind.SPEECH], video_id=OTHER
    )
    assert ids(speech_there) == [other.speech[0].id]
    assert len(store.keyword_search("bridge", k=1)) == 1
    assert store.keyword_search("bridge", k=EVERYTHING, video_id="never-ingested") == []


@pytest.mark.parametrize("text", ["", "   ", "the of and", "What did they say?", "?!.,;", "a an"])
def test_keyword_search_without_content_words_is_empty(
    store: EventGraphStore, harbour: dict[str, EventRecord], text: str
) -> None:
    assert store.keyword_search(text, k=EVERYTHING) == []


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"bridge',
        'bridge"',
        "bridge*",
        "*",
        "NEAR(bridge quay)",
        "NEAR(",
        "-bridge",
        "bridge -quay",
        "body:bridge",
        "kind:event",
        "(bridge",
        "bridge)",
        "bridge OR",
        "OR",
        "AND NOT bridge",
        "^bridge",
        "bridge + quay",
        "{body kind}: bridge",
        "bridge' OR '1'='1",
        "bridge; DROP TABLE nodes; --",
        "brücke über die bridge",
    ],
)
def test_keyword_search_takes_fts_syntax_as_text(
    store: EventGraphStore, harbour: dict[str, EventRecord], text: str
) -> None:
    hits = store.keyword_search(text, k=EVERYTHING)  # must not raise
    if "bridge" in text:
        assert harbour["sign"].texts[0].id in ids(hits)
    assert store.stats().videos == 2


def test_commit_refuses_an_edge_to_a_missing_node(
    store: EventGraphStore, video: Video, request: pytest.FixtureRequest
) -> None:
    ghost = make_record(0, 5_000)  # never committed
    rec = make_record(5_000, 8_000, speech=["hello"], previous=ghost.event)
    before = store.stats()
    with pytest.raises(InputError):
        store.commit_event(rec)
    assert store.stats() == before
    assert not store.has_event(rec.event.id)


# -- stats and deletion ------------------------------------------------------------------------


def test_stats_counts(store: EventGraphStore, video: Video) -> None:
    a = make_record(0, 5_000, speech=["x one", "x two"], texts=["PIER"], entities=["PIER"])
    b = make_record(5_000, 9_000, speech=["y"], previous=a.event, observers=["test/visual", "asr"])
    c = make_record(
        9_000, 12_000, texts=["PIER", "GATE"], entities=["PIER", "GATE"], previous=b.event
    )
    for rec in (a, b, c):
        store.commit_event(rec)

    stats = store.stats()

    assert stats.videos == 1
    assert nonzero(stats.nodes) == {"entity": 2, "event": 3, "speech": 3, "text": 3, "video": 1}
    assert nonzero(stats.edges) == {
        "HAS_EVENT": 3,
        "HAS_SPEECH": 3,
        "INVOLVES": 3,
        "NEXT": 2,
        "SHOWS_TEXT": 3,
    }
    assert nonzero(stats.observers) == {"asr": 1, "test/visual": 3}


def test_delete_video_removes_only_that_video(store: EventGraphStore, video: Video) -> None:
    store.upsert_video(make_video(OTHER))
    mine = make_record(
        0,
        5_000,
        "walrus on the quay",
        speech=["walrus noises"],
        texts=["SHARED SIGN", "MINE ONLY"],
        entities=["SHARED SIGN", "MINE ONLY"],
    )
    mine_next = make_record(5_000, 8_000, "walrus again", speech=["more"], previous=mine.event)
    theirs = make_record(
        0,
        5_000,
        "pelican at the pier",
        video_id=OTHER,
        speech=["pelican noises"],
        texts=["SHARED SIGN"],
        entities=["SHARED SIGN"],
    )
    for rec in (mine, mine_next, theirs):
        store.commit_event(rec)
    their_details = store.event_details(theirs.event.id)

    store.delete_video(VIDEO)

    assert store.get_video(VIDEO) is None
    assert [v.id for v in store.videos()] == [OTHER]
    assert store.events(VIDEO) == []
    assert store.events_in_span(VIDEO, TimeSpan(start_ms=0, end_ms=10_000)) == []
    assert not store.has_event(mine.event.id)
    for node_id in [*mine.vectors, *mine_next.vectors]:
        with pytest.raises(NotFoundError):
            store.event_of(node_id)
    assert store.keyword_search("walrus", k=EVERYTHING) == []
    pelican = store.keyword_search("pelican", k=EVERYTHING)
    assert set(ids(pelican)) == {theirs.event.id, theirs.speech[0].id}
    dense = store.vector_search(query(mine.vectors[mine.event.id]), k=EVERYTHING)
    assert sorted(ids(dense)) == sorted(theirs.vectors)

    shared = entity_id(EntityKind.TEXT, "SHARED SIGN")
    with pytest.raises(NotFoundError):
        store.entity_events(entity_id(EntityKind.TEXT, "MINE ONLY"))
    assert store.entity_events(shared) == [theirs.event]
    assert store.event_details(theirs.event.id) == their_details
    stats = store.stats()
    assert stats.videos == 1
    assert nonzero(stats.nodes) == {"entity": 1, "event": 1, "speech": 1, "text": 1, "video": 1}
    assert nonzero(stats.edges) == {"HAS_EVENT": 1, "HAS_SPEECH": 1, "INVOLVES": 1, "SHOWS_TEXT": 1}

    # The id is free again: re-ingesting the deleted video starts from nothing.
    store.upsert_video(make_video())
    again = make_record(5_000, 8_000, "walrus again", speech=["more"])
    store.commit_event(again)
    assert store.events(VIDEO) == [again.event]
    assert store.stats().nodes["event"] == 2


def test_unknown_video_is_not_found(store: EventGraphStore) -> None:
    rec = make_record(0, 1_000)
    with pytest.raises(NotFoundError):
        store.commit_event(rec)
    with pytest.raises(NotFoundError):
        store.delete_video(VIDEO)
    assert not store.has_event(rec.event.id)

    store.upsert_video(make_video())
    store.commit_event(rec)
    store.delete_video(VIDEO)
    with pytest.raises(NotFoundError):
        store.commit_event(rec)
    with pytest.raises(NotFoundError):
        store.delete_video(VIDEO)
    assert nonzero(store.stats().nodes) == {}


# -- persistence -------------------------------------------------------------------------------


def _snapshot(store: EventGraphStore, probes: dict[str, list[float]]) -> dict[str, object]:
    def hits(found: list[SearchHit]) -> list[tuple[str, float]]:
        return [(h.id, round(h.score, 4)) for h in found]

    snap: dict[str, object] = {
        "stats": store.stats(),
        "videos": store.videos(),
        "events": {v.id: store.events(v.id) for v in store.videos()},
        "details": {
            e.id: store.event_details(e.id) for v in store.videos() for e in store.events(v.id)
        },
        "keyword": {q: hits(store.keyword_search(q, k=EVERYTHING)) for q in ("bridge", "harbor")},
        "dense": {q: hits(store.vector_search(query(v), k=5)) for q, v in probes.items()},
        "entity": store.entity_events(entity_id(EntityKind.TEXT, "PIER")),
    }
    return snap


def test_reopen_gives_the_same_store(
    store: EventGraphStore, reopen: Callable[[], EventGraphStore]
) -> None:
    store.upsert_video(make_video())
    store.upsert_video(make_video(OTHER))
    a = make_record(
        0, 5_000, "bridge at dawn", speech=["harbor"], texts=["PIER"], entities=["PIER"]
    )
    b = make_record(5_000, 9_000, speech=["bridge talk"], previous=a.event)
    c = make_record(0, 3_000, video_id=OTHER, texts=["PIER 2", "PIER"], entities=["PIER"])
    for rec in (a, b, c):
        store.commit_event(rec)
    # a re-commit and a deletion must persist as well
    store.commit_event(make_record(0, 5_000, "bridge at dusk", texts=["PIER"], entities=["PIER"]))
    store.upsert_video(make_video("gone"))
    store.commit_event(make_record(0, 1_000, "harbor bridge", video_id="gone"))
    store.delete_video("gone")
    probes = {"a": a.vectors[a.event.id], "c": c.vectors[c.texts[0].id]}
    before = _snapshot(store, probes)
    assert isinstance(before["stats"], GraphStats) and before["stats"].videos == 2
    store.close()

    again = reopen()

    assert _snapshot(again, probes) == before


def test_one_letter_video_id(store: EventGraphStore) -> None:
    # Regression: networkx treats an unknown node id as an iterable of node ids, so event ids
    # starting with a one-letter video id ("m/ev/...") once matched the video node "m" itself.
    store.upsert_video(make_video("m"))
    first = make_record(0, 1_000, video_id="m", texts=["A"])
    store.commit_event(first)
    store.commit_event(make_record(1_000, 2_000, video_id="m", previous=first.event))
    assert [e.span.start_ms for e in store.events("m")] == [0, 1_000]
    assert store.stats().edges["HAS_EVENT"] == 2

"""EventMerger rules on hand-built records: what folds, what stays apart, what the result is."""

from __future__ import annotations

from avas.segment.merge import EventMerger, visual_description
from graph_schema import (
    Edge,
    EdgeType,
    Event,
    EventRecord,
    OnScreenText,
    SpeechSegment,
    TimeSpan,
    event_id,
    speech_id,
    text_id,
)

VIDEO = "v"


def _record(
    start: int,
    end: int,
    *,
    text: str | None = "GATE 7",
    speech: str | None = None,
    vec: tuple[float, float] = (1.0, 0.0),
    previous: str | None = None,
    signals: dict[str, float] | None = None,
) -> EventRecord:
    span = TimeSpan(start_ms=start, end_ms=end)
    eid = event_id(VIDEO, span)
    texts = (
        [
            OnScreenText(
                id=text_id(VIDEO, span, text),
                video_id=VIDEO,
                span=span,
                text=text,
                model="ocr",
                confidence=0.9,
            )
        ]
        if text
        else []
    )
    spoken = (
        [
            SpeechSegment(
                id=speech_id(VIDEO, span),
                video_id=VIDEO,
                span=span,
                text=speech,
                model="asr",
                confidence=0.9,
            )
        ]
        if speech
        else []
    )
    description = "Scene: mostly blue, bright, still."
    if speech:
        description += f" Speech: “{speech}”"
    edges = [Edge(src=VIDEO, dst=eid, type=EdgeType.HAS_EVENT)]
    if previous:
        edges.append(Edge(src=previous, dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0}))
    edges += [Edge(src=eid, dst=t.id, type=EdgeType.SHOWS_TEXT) for t in texts]
    edges += [Edge(src=eid, dst=s.id, type=EdgeType.HAS_SPEECH) for s in spoken]
    vectors = (
        {eid: list(vec)} | {t.id: [0.0, 1.0] for t in texts} | {s.id: [0.5, 0.5] for s in spoken}
    )
    return EventRecord(
        event=Event(
            id=eid,
            video_id=VIDEO,
            span=span,
            description=description,
            keyframes_ms=[start],
            signals={"motion": 1.0} if signals is None else signals,
        ),
        speech=spoken,
        texts=texts,
        edges=edges,
        vectors=vectors,
    )


def _merger(max_ms: int = 60_000) -> tuple[EventMerger, list[str]]:
    embedded: list[str] = []

    def embed(text: str) -> list[float]:
        embedded.append(text)
        return [1.0, 0.0]

    return EventMerger(max_ms=max_ms, min_similarity=0.98, embed=embed), embedded


def test_same_scene_folds_into_one_event_with_ids_from_the_merged_span() -> None:
    merger, embedded = _merger()
    first = _record(0, 10_000, speech="hello there", previous="v/ev/earlier")
    assert merger.push(first) == []
    assert merger.push(_record(10_000, 20_000, previous=first.event.id)) == []
    assert merger.push(_record(20_000, 30_000)) == []
    [merged] = merger.flush()
    span = TimeSpan(start_ms=0, end_ms=30_000)
    assert merged.event.id == event_id(VIDEO, span) and merged.event.span == span
    assert merger.merged == 2
    # The held event had speech: only its visual part was embedded for the comparison.
    assert embedded == [visual_description(first.event.description)]
    [text] = merged.texts
    assert text.span == span and text.id == text_id(VIDEO, span, "GATE 7")
    assert [s.text for s in merged.speech] == ["hello there"]
    assert merged.event.keyframes_ms == [0, 10_000, 20_000]
    # Every edge points at the merged ids; the link from the event before is kept.
    eid = merged.event.id
    assert Edge(src="v/ev/earlier", dst=eid, type=EdgeType.NEXT, props={"gap_ms": 0}) in (
        merged.edges
    )
    assert {(e.src, e.dst, e.type) for e in merged.edges if e.type is not EdgeType.NEXT} == {
        (VIDEO, eid, EdgeType.HAS_EVENT),
        (eid, text.id, EdgeType.SHOWS_TEXT),
        (eid, merged.speech[0].id, EdgeType.HAS_SPEECH),
    }
    assert set(merged.vectors) == {eid, text.id, merged.speech[0].id}


def test_new_speech_other_text_a_gap_or_a_different_look_stay_apart() -> None:
    for new in (
        _record(10_000, 20_000, speech="something new"),
        _record(10_000, 20_000, text="GATE 8"),
        _record(10_000, 20_000, text=None),
        _record(11_000, 20_000),  # not adjacent
        _record(10_000, 20_000, vec=(0.8, 0.6)),  # cosine 0.8: looks different
    ):
        merger, _ = _merger()
        held = _record(0, 10_000)
        merger.push(held)
        assert merger.push(new) == [held]
        assert merger.pending == new and merger.merged == 0


def test_merged_length_is_capped_and_due_releases_what_nothing_can_join() -> None:
    merger, _ = _merger(max_ms=25_000)
    a, b, c = _record(0, 10_000), _record(10_000, 20_000), _record(20_000, 30_000)
    merger.push(a)
    merger.push(b)
    [ab] = merger.push(c)  # 0-30 s would pass the cap: the first two commit as one
    assert ab.event.span == TimeSpan(start_ms=0, end_ms=20_000)
    assert merger.due(44_000) == []  # c could still take a successor ending by 45 s
    assert merger.due(45_000) == [c] and merger.pending is None


def test_an_event_ended_by_a_shot_cut_is_not_held_back() -> None:
    merger, _ = _merger()
    a, b, c = _record(0, 10_000), _record(10_000, 20_000), _record(20_000, 30_000)
    assert merger.push(a) == []  # ended at the length limit: its successor may join it
    [ab] = merger.push(b, cut_after=True)  # b joins a, and a cut ends the pair: out at once
    assert ab.event.span == TimeSpan(start_ms=0, end_ms=20_000) and merger.pending is None
    assert merger.push(c, cut_after=True) == [c]


def test_counts_keep_their_peak_and_levels_their_mean_over_the_merged_span() -> None:
    merger, _ = _merger()
    merger.push(_record(0, 10_000, signals={"motion": 1.0, "people": 2.0, "faces": 1.0}))
    merger.push(_record(10_000, 30_000, signals={"motion": 4.0, "people": 0.0, "faces": 0.0}))
    [merged] = merger.flush()
    assert merged.event.signals == {"motion": 3.0, "people": 2.0, "faces": 1.0}

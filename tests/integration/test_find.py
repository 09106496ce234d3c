"""Moment and video search on real generated media, ingested with the real OCR, ASR and embedder.

Three videos with distinct planted texts and sentences; events are cut at 5 s at most, so each
15 s on-screen text of the first video spans three events that search must merge back into one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from avas.config import SegmentSettings, Settings
from avas.media.sample import (
    SampleManifest,
    SampleSpec,
    SceneSpec,
    SpeechSpec,
    make_sample_video,
    short_spec,
)
from avas.retrieval.moments import MomentFinder
from avas.service import Service
from graph_schema import TimeSpan

MAX_EVENT_MS = 5_000


def _spec(scenes: list[tuple[str, str, str]]) -> SampleSpec:
    return SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=10_000,
                background=bg,
                text=text,
                speech=[SpeechSpec(offset_ms=1_000, text=sentence)],
            )
            for bg, text, sentence in scenes
        ]
    )


OTHERS = {
    "mine": _spec(
        [
            ("red", "COPPER MINE 12", "The copper mine reopened after the winter storm."),
            ("gray", "RIVER FERRY", "The river ferry carries twenty cars every hour."),
        ]
    ),
    "solar": _spec(
        [
            ("green", "SOLAR FARM", "Engineers installed new solar panels on the roof."),
            ("blue", "TRAIN STATION 4", "The last train to the coast departs at nine."),
        ]
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, SampleManifest]]:
    media = tmp_path_factory.mktemp("find-media")
    home = tmp_path_factory.mktemp("find-home")
    service = Service(Settings(home=home, segment=SegmentSettings(max_event_ms=MAX_EVENT_MS)))
    main = make_sample_video(media / "main.mp4", short_spec())
    service.ingest(Path(main.path), name="main")
    for name, spec in OTHERS.items():
        manifest = make_sample_video(media / f"{name}.mp4", spec)
        service.ingest(Path(manifest.path), name=name)
    yield service, main
    service.close()


@pytest.fixture(scope="module")
def finder(corpus: tuple[Service, SampleManifest]) -> MomentFinder:
    service, _ = corpus
    return MomentFinder(service.store, service.embedder)


@pytest.fixture(scope="module")
def main(corpus: tuple[Service, SampleManifest]) -> SampleManifest:
    return corpus[1]


def _truth(manifest: SampleManifest, kind: str, word: str) -> TimeSpan:
    return next(f.span for f in manifest.facts if f.kind == kind and word in f.text.lower())


def test_on_screen_text_finds_the_ocr_moment(finder: MomentFinder, main: SampleManifest) -> None:
    moments = finder.find("LOADING DOCK B", video_id="main")
    assert moments, "no moment for a planted on-screen text"
    top = moments[0]
    assert top.modality == "text"
    assert top.span.overlaps(_truth(main, "text", "loading dock"))
    assert "LOADING" in top.snippet.upper()


def test_spoken_phrase_finds_the_speech_moment(finder: MomentFinder, main: SampleManifest) -> None:
    moments = finder.find("What did they say about the forklift moving pallets?", video_id="main")
    assert moments
    top = moments[0]
    assert top.modality == "speech"
    truth = _truth(main, "speech", "forklift")
    assert top.span.overlaps(truth)
    # Speech spans are tighter than the 15 s scene the sentence was spoken in.
    assert top.span.duration_ms < 10_000


def test_text_spanning_several_events_is_one_moment(
    finder: MomentFinder, main: SampleManifest
) -> None:
    truth = _truth(main, "text", "budget")
    moments = finder.find("BUDGET REVIEW 2026", video_id="main")
    on_truth = [m for m in moments if m.span.overlaps(truth)]
    assert len(on_truth) == 1, [m.span for m in on_truth]
    merged = on_truth[0]
    assert merged is moments[0]
    # Longer than any one event: the adjacent events' hits were merged into it.
    assert merged.span.duration_ms > MAX_EVENT_MS
    assert merged.span.iou(truth) > 0.6


def test_rank_videos_puts_the_right_video_first(finder: MomentFinder) -> None:
    videos = finder.rank_videos("engineers installing solar panels")
    assert videos and videos[0].video_id == "solar"
    videos = finder.rank_videos("COPPER MINE")
    assert videos and videos[0].video_id == "mine"
    assert videos[0].best.modality in ("text", "speech")


def test_find_across_videos_returns_the_right_video_first(finder: MomentFinder) -> None:
    moments = finder.find("the river ferry carries cars")
    assert moments and moments[0].video_id == "mine"
    moments = finder.find("TRAIN STATION 4")
    assert moments and moments[0].video_id == "solar"
    assert moments[0].modality == "text"


@pytest.mark.parametrize(
    "query", ["", "   ", "the of and what", "?!", "zxqvj blorptangle wibbleflux"]
)
def test_queries_without_evidence_find_nothing(finder: MomentFinder, query: str) -> None:
    assert finder.find(query) == []
    assert finder.rank_videos(query) == []

"""Online merge: a long static scene cut into max-length windows comes out as one event; distinct
scenes stay apart; a SIGKILL and a resume with merging on still never duplicate."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from event_content import contents, uninterrupted_contents

from avas.config import SegmentSettings, Settings
from avas.graph.networkx_store import NetworkxEventStore
from avas.ingest import open_source
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.segment.scene_cut import SceneCutSegmenter
from avas.service import Service

AVAS = [sys.executable, "-m", "avas.interfaces.cli"]
WINDOW_MS = 10_000  # the segmenter's max event length in these tests


@pytest.fixture(scope="module")
def static_video(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    """40 s of one unchanging scene (one sentence at its start), then two short distinct ones."""
    spec = SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=40_000,
                background="blue",
                text="LOADING DOCK B",
                speech=[SpeechSpec(offset_ms=2_000, text="The forklift is parked at the dock.")],
            ),
            SceneSpec(
                duration_ms=15_000,
                background="red",
                text="EXIT GATE 7",
                speech=[SpeechSpec(offset_ms=2_000, text="Visitors leave through gate seven.")],
            ),
            SceneSpec(duration_ms=15_000, background="green", text="BUDGET REVIEW 2026"),
        ]
    )
    return make_sample_video(tmp_path_factory.mktemp("merge") / "static.mp4", spec)


def test_static_scene_windows_merge_and_distinct_scenes_do_not(
    static_video: SampleManifest, tmp_path: Path
) -> None:
    segment = SegmentSettings(max_event_ms=WINDOW_MS, merge_max_ms=60_000)
    settings = Settings(home=tmp_path / "home", segment=segment)
    # What the segmenter alone makes of the video: the 40 s scene in four max-length windows.
    source = open_source(Path(static_video.path), settings.ingest)
    segmenter = SceneCutSegmenter(
        min_event_ms=segment.min_event_ms, max_event_ms=WINDOW_MS, threshold=segment.cut_threshold
    )
    windows = [w.span for f in source.frames() for w in segmenter.push(f)]
    windows += [w.span for w in segmenter.flush(static_video.duration_ms)]
    source.close()
    assert sum(s.end_ms <= 40_000 for s in windows) >= 4, windows

    service = Service(settings)
    try:
        report = service.ingest(Path(static_video.path), name="static")
        events = service.store.events("static")
        details = [service.store.event_details(e.id) for e in events]
        store = service.store
        assert isinstance(store, NetworkxEventStore)
        assert store.consistency_problems() == []
    finally:
        service.close()
    assert report.events == len(events) < len(windows)
    assert report.events_merged == len(windows) - len(events)
    # The static scene is one event, its text one span; each later scene is its own event.
    first = events[0]
    assert first.span.start_ms == 0 and abs(first.span.end_ms - 40_000) <= 1_000, first.span
    assert [t.text for t in details[0].texts] == ["LOADING DOCK B"]
    assert details[0].texts[0].span.end_ms - details[0].texts[0].span.start_ms >= 35_000
    assert details[0].speech and all(s.span.end_ms <= 40_000 for s in details[0].speech)
    later = [" ".join(t.text for t in d.texts) for d in details[1:]]
    assert any("EXIT GATE" in t for t in later) and any("BUDGET" in t for t in later), later
    assert not any("LOADING" in t for t in later), later
    for a, b in itertools.pairwise(events):
        assert a.span.end_ms == b.span.start_ms
    assert all(e.span.end_ms - e.span.start_ms <= 60_000 for e in events)


def test_kill_then_resume_with_merging_never_duplicates(
    static_video: SampleManifest, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "AVAS_HOME": str(tmp_path / "home"),
        "AVAS_SEGMENT__MAX_EVENT_MS": str(WINDOW_MS),
    }
    cmd = [*AVAS, "ingest", static_video.path, "--name", "merged", "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["type"] == "progress":  # the merged first event is committed
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""

    store_path = Settings(home=tmp_path / "home").store_path
    store = NetworkxEventStore(store_path)
    survived = store.events("merged")
    store.close()
    assert survived and survived[0].span.end_ms > WINDOW_MS  # a merged event survived the kill
    before = contents(store_path, [e.id for e in survived])

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["events_skipped"] == len(survived)
    assert report["resumed_from_ms"] == survived[-1].span.end_ms

    store = NetworkxEventStore(Settings(home=tmp_path / "home").store_path)
    events = store.events("merged")
    assert store.consistency_problems() == []
    store.close()
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids))
    assert [e.id for e in events[: len(survived)]] == [e.id for e in survived]
    assert events[0].span.start_ms == 0
    assert events[-1].span.end_ms >= static_video.duration_ms - 1000
    for a, b in itertools.pairwise(events):
        assert a.span.end_ms == b.span.start_ms, (a.span, b.span)

    # Content, not ids: the merged survivor keeps its speech and texts through the resume (one
    # that decoded again from the start would rewrite it without the speech already handed
    # out), and it says what an uninterrupted ingest says.
    survivors = [e.id for e in survived]
    after = contents(store_path, survivors)
    assert after == before
    assert uninterrupted_contents(cmd, env, tmp_path / "reference", survivors) == after
    assert any(c["speech"] for c in after.values())  # the comparison covers speech too


def test_merge_off_for_one_run_commits_every_window(
    static_video: SampleManifest, tmp_path: Path
) -> None:
    """The monitor runs the pipeline with merge=False (MonitorSettings.merge_events): each window
    commits as it closes, so an alert never waits for the next window."""
    assert Settings().monitor.merge_events is False
    segment = SegmentSettings(max_event_ms=WINDOW_MS, merge_max_ms=60_000)
    service = Service(Settings(home=tmp_path / "home", segment=segment))
    source = open_source(Path(static_video.path), service.settings.ingest)
    try:
        report = service.pipeline.run(source, name="unmerged", merge=False)
        events = service.store.events("unmerged")
    finally:
        source.close()
        service.close()
    assert report.events_merged == 0
    assert sum(e.span.end_ms <= 40_000 for e in events) >= 4, [e.span for e in events]

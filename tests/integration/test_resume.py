"""Crash safety of ingest: SIGKILL mid-ingest, run again, and the store tiles the video once,
with every event the first run committed saying what an uninterrupted ingest says."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from event_content import contents, uninterrupted_contents

from avas.config import Settings
from avas.graph.networkx_store import NetworkxEventStore
from avas.media.sample import SampleManifest

AVAS = [sys.executable, "-m", "avas.interfaces.cli"]


def test_sigkill_then_resume(sample: SampleManifest, tmp_path: Path) -> None:
    env = {**os.environ, "AVAS_HOME": str(tmp_path / "home"), "AVAS_SEGMENT__MAX_EVENT_MS": "5000"}
    cmd = [*AVAS, "ingest", sample.path, "--name", "crash", "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        if json.loads(line)["type"] == "progress":
            seen += 1
        if seen == 3:  # three events are committed; more are in flight
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""

    store_path = Settings(home=tmp_path / "home").store_path
    store = NetworkxEventStore(store_path)
    survived = store.events("crash")
    store.close()
    assert len(survived) >= 3
    before = contents(store_path, [e.id for e in survived])

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["type"] == "report"
    assert report["events_skipped"] == len(survived)
    assert report["resumed_from_ms"] == survived[-1].span.end_ms

    # Content, not counts: the survivors are unchanged by the resume (a resume that decoded again
    # from the start would rewrite them, without the speech it already handed out), and they
    # say what an uninterrupted ingest of the same file says.
    survivors = [e.id for e in survived]
    after = contents(store_path, survivors)
    assert after == before
    assert uninterrupted_contents(cmd, env, tmp_path / "reference", survivors) == after
    assert any(c["speech"] for c in after.values())  # the comparison covers speech too

    store = NetworkxEventStore(Settings(home=tmp_path / "home").store_path)
    events = store.events("crash")
    video = store.get_video("crash")
    assert store.consistency_problems() == []
    store.close()
    assert video is not None and video.status == "complete"
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids))
    # Events tile the whole video: no overlap, no hole, first to last.
    assert events[0].span.start_ms == 0
    assert events[-1].span.end_ms >= sample.duration_ms - 1000
    for a, b in itertools.pairwise(events):
        assert a.span.end_ms == b.span.start_ms, (a.span, b.span)
    # The events the first run committed are untouched by the second.
    assert [e.id for e in events[: len(survived)]] == [e.id for e in survived]
    assert report["events"] == len(events) - len(survived)

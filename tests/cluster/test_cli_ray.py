"""The acceptance command: `avas ingest long.mp4 --ray local --chunk-minutes 1` on the 4-minute
video tiles it like `avas ingest long.mp4` (its own local cluster, on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ray_support import assert_tiles_like

from avas.config import Settings
from avas.media.sample import SampleManifest
from avas.service import Service

pytestmark = pytest.mark.slow


def _avas(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AVAS_HOME": str(home), "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "avas.interfaces.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500)


def test_ingest_with_ray_local_tiles_the_video_like_one_process(
    long_video: SampleManifest, reference: Service, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    done = _avas(
        home, "ingest", long_video.path, "--name", "long", "--ray", "local",
        "--chunk-minutes", "1", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    report = next(x for x in lines if x["type"] == "report")
    assert report["error"] is None and report["chunks"] >= 4
    progress = [x for x in lines if x["type"] == "progress" and x["stage"] == "perceive"]
    assert progress[-1]["chunks_done"] == progress[-1]["chunks_total"] == report["chunks"]
    assert progress[-1]["x_realtime"] > 0

    service = Service(Settings(home=home))
    try:
        ours, theirs = service.store.events("long"), reference.store.events("long")
        assert_tiles_like(ours, theirs, long_video.duration_ms)
    finally:
        service.close()


def test_several_videos_without_ray_are_refused_naming_the_option(
    long_video: SampleManifest, tmp_path: Path
) -> None:
    done = _avas(tmp_path / "home", "ingest", long_video.path, long_video.path)
    assert done.returncode == 2
    assert "--ray" in done.stderr

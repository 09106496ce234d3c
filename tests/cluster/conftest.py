"""A real two-node Ray cluster on this machine, bound to 127.0.0.1 (as Ray's own tests make one
with ``ray.cluster_utils.Cluster``: two raylets, one CPU each, a small object store), and the
4-minute video the chunked ingest is checked on, with its single-process ingest as reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avas.config import Settings
from avas.media.sample import SampleManifest, SampleSpec, SceneSpec, SpeechSpec, make_sample_video
from avas.service import Service

# Scenes of 40-50 s: two of them span a 1-minute seam (40-85 s, 170-200 s), one is longer than
# max_event_ms (split inside), each with its own on-screen text and spoken sentence.
LONG_SCENES = (
    (
        40_000,
        "blue",
        "WELCOME TO AVAS",
        "Welcome to the video analytics demo from the main office.",
    ),
    (
        45_000,
        "purple",
        "LOADING DOCK B",
        "A yellow forklift is moving pallets at the loading dock.",
    ),
    (35_000, "green", "BUDGET REVIEW 2026", "The budget for next year is four million dollars."),
    (50_000, "smptebars", "HARBOR BRIDGE", "The harbor bridge will close for repairs on Friday."),
    (30_000, "red", "NIGHT SHIFT 3", "The night shift starts at midnight with three guards."),
    (40_000, "mandelbrot", "EXIT GATE 7", "Visitors must leave through gate seven before sunset."),
)


@pytest.fixture(scope="session")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    spec = SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=ms,
                background=bg,
                text=text,
                speech=[SpeechSpec(offset_ms=6_000, text=s)],
            )
            for ms, bg, text, s in LONG_SCENES
        ]
    )
    return make_sample_video(tmp_path_factory.mktemp("cluster-media") / "long.mp4", spec)


@pytest.fixture(scope="session")
def reference(
    tmp_path_factory: pytest.TempPathFactory, long_video: SampleManifest
) -> Iterator[Service]:
    """The 4-minute video ingested by one process, as `avas ingest long.mp4` does."""
    svc = Service(Settings(home=tmp_path_factory.mktemp("reference-home")))
    svc.ingest(Path(long_video.path), name="long")
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """Two nodes (the head and one more), every process on loopback; the test process is the
    driver. Not skipped without Ray: the test path installs ``avas[cluster]``."""
    from avas.cluster.runtime import local_cluster

    with local_cluster(nodes=2, cpus_per_node=1) as cluster:
        yield cluster

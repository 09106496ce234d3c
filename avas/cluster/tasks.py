"""What a Ray worker runs: the segmentation pass, and perception of one chunk's exact windows.

Plain functions of picklable arguments (``ingest`` wraps them as Ray tasks). Models load once per
worker process and stay for its next tasks. Perception runs ``IngestPipeline.records`` on the
chunk's stretch of the file and hands the records back: the driver is the one writer of the
store.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from avas.config import Settings
from avas.errors import InputError
from avas.service import Service
from graph_schema import EventRecord

from .plan import SegmentPart, segment_windows

if TYPE_CHECKING:
    from avas.pipeline import IngestPipeline

_SERVICES: dict[str, Service] = {}


class PerceivedChunk(BaseModel):
    records: list[EventRecord]
    languages: dict[str, int]  # speech pieces per detected language
    speech_segments: int
    cpu_s: float
    seconds: float
    pid: int
    node: str


def _components(settings: Settings) -> Service:
    """This worker's models for ``settings`` (its store is never opened here)."""
    key = settings.model_dump_json()
    if key not in _SERVICES:
        _SERVICES[key] = Service(settings)
    return _SERVICES[key]


@contextmanager
def worker_pipeline(settings: Settings, prefix: str) -> Iterator[IngestPipeline]:
    """An ``IngestPipeline`` on this worker's models, for ``records()`` (chunks and streams):
    the driver commits, so its store is a throwaway one that only the linker is given."""
    from avas.graph.networkx_store import NetworkxEventStore
    from avas.pipeline import IngestPipeline

    svc = _components(settings)
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch_dir:
        scratch = NetworkxEventStore(Path(scratch_dir) / "unused.sqlite")
        try:
            yield IngestPipeline(
                settings,
                scratch,
                embedder=svc.embedder,
                reader=svc.text_reader,
                asr=svc.speech_recognizer,
                captioner=svc.captioner,
                image_embedder=svc.image_embedder,
                detectors=svc.detectors,
            )
        finally:
            scratch.close()


def cpu_seconds() -> float:
    """CPU time of this process and its children (the decoder, the OCR worker)."""
    import psutil

    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            c = child.cpu_times()
        except psutil.Error:
            continue
        total += c.user + c.system
    return total


def segment_task(
    settings: Settings, uri: str, from_ms: int, to_ms: int, final: bool
) -> SegmentPart:
    cpu0 = cpu_seconds()
    part = segment_windows(uri, settings, from_ms, to_ms, final=final)
    return part.model_copy(update={"cpu_s": round(cpu_seconds() - cpu0, 3)})


def perceive_task(
    settings: Settings, uri: str, video_id: str, from_ms: int, to_ms: int | None
) -> PerceivedChunk:
    """The event records of the windows in [from_ms, to_ms) (``None``: to the file's end),
    committed nowhere: ``IngestPipeline.records`` on this worker's models."""
    from avas.ingest import open_source
    from avas.pipeline import RunStats

    started, cpu0 = time.perf_counter(), cpu_seconds()
    stride_ms = round(1000 / settings.ingest.sample_fps)
    stats = RunStats()
    with worker_pipeline(settings, "avas-chunk-") as pipeline:
        source = open_source(uri, settings.ingest)
        try:
            # From a multiple of the stride: the frames an uninterrupted pass samples (the
            # window starts at the first of them). merge=False: the driver merges, across
            # seams too, as one pass would.
            records = list(
                pipeline.records(
                    source,
                    video_id=video_id,
                    from_ms=from_ms // stride_ms * stride_ms,
                    to_ms=to_ms,
                    merge=False,
                    stats=stats,
                )
            )
        finally:
            source.close()
    if not records:
        raise InputError(f"no events in {uri} from {from_ms} ms")
    import ray

    return PerceivedChunk(
        records=records,
        languages=dict(stats.languages),
        speech_segments=sum(len(r.speech) for r in records),
        cpu_s=round(cpu_seconds() - cpu0, 3),
        seconds=round(time.perf_counter() - started, 3),
        pid=os.getpid(),
        node=ray.get_runtime_context().get_node_id() if ray.is_initialized() else "",
    )

"""Chunk-parallel ingest of many videos on a Ray cluster, committed by one writer (the driver).

    with connected("local"):
        results = ingest_on_ray(service, [Path("a.mp4"), Path("b.mp4")], chunk_ms=600_000)

Per video: keyframes are listed, chunks planned at keyframes; each chunk's segmentation pass is a
task (with an overlap), the parts are stitched into the windows one pass would make (``plan``);
the windows are grouped into chunks again and each group's perception is a task; the driver
commits the records in time order as the groups come back (``commit``). Tasks of every video are
in flight together. A worker that dies has its task retried by Ray; a video that fails reports
its error and the others go on; a run started again resumes after the last committed event.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from avas.errors import AvasError
from avas.ingest.base import SourceInfo
from avas.ingest.ids import default_video_id, validate_video_id
from avas.ingest.probe import probe_video
from avas.service import Service

from .commit import VideoCommitter
from .plan import Chunk, SegmentPart, Window, group_windows, keyframes_ms, plan_chunks
from .plan import stitch_windows as stitch
from .runtime import require_ray
from .tasks import PerceivedChunk, perceive_task, segment_task

RETRIES = 3  # per task, when its worker process or node dies


class ClusterProgress(BaseModel):
    video_id: str
    stage: Literal["plan", "perceive"]
    chunks_done: int = Field(description="this video's tasks of this stage done")
    chunks_total: int
    media_ms: int = Field(description="media time perceived and committed, all videos")
    elapsed_s: float
    x_realtime: float = Field(description="media_ms over the wall time, across the cluster")
    workers: int = Field(description="CPUs the cluster offers tasks")
    nodes: int


class ClusterReport(BaseModel):
    path: str
    video_id: str | None = None
    duration_ms: int | None = None
    events: int = 0
    events_skipped: int = Field(0, description="committed by an earlier run")
    chunks: int = Field(0, description="perception tasks run")
    plan_chunks: int = Field(0, description="segmentation tasks run")
    bridges: int = Field(0, description="seams segmented again: one scene covered the overlap")
    mismatched_windows: int = Field(
        0, description="events whose span differs from the planned window (should be 0)"
    )
    resumed_from_ms: int = 0
    media_ms: int = 0
    seconds: float = 0.0
    plan_seconds: float = Field(0.0, description="wall time until the windows were known")
    plan_cpu_s: float = 0.0
    perceive_cpu_s: float = 0.0
    workers_used: int = Field(0, description="distinct worker processes that perceived")
    nodes_used: int = 0
    error: str | None = None

    @property
    def x_realtime(self) -> float:
        return self.media_ms / 1000 / self.seconds if self.seconds > 0 else 0.0


ClusterProgressFn = Callable[[ClusterProgress], None]


@dataclass
class _Job:
    path: Path
    report: ClusterReport
    info: SourceInfo | None = None
    committer: VideoCommitter | None = None
    chunks: list[Chunk] = field(default_factory=list)
    parts: dict[int, SegmentPart] = field(default_factory=dict)
    groups: list[list[Window]] = field(default_factory=list)
    done: dict[int, PerceivedChunk] = field(default_factory=dict)
    next_group: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    workers: set[tuple[str, int]] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)
    finished: bool = False


def ingest_on_ray(
    service: Service,
    paths: Sequence[Path],
    *,
    names: Sequence[str] | None = None,
    chunk_ms: int = 600_000,
    overlap_ms: int | None = None,
    progress: ClusterProgressFn | None = None,
) -> list[ClusterReport]:
    """Ingest every file on the joined Ray cluster; one report per file, in order, each with
    its ``error`` when that file failed (the others are ingested all the same)."""
    ray = require_ray()
    settings = service.settings
    if names is not None and len(names) != len(paths):
        raise AvasError(f"{len(names)} names for {len(paths)} videos")
    overlap = overlap_ms if overlap_ms is not None else settings.segment.max_event_ms
    stride_ms = round(1000 / settings.ingest.sample_fps)
    gpus = 1 if settings.perception.captioner == "vllm" else 0
    segment = ray.remote(segment_task).options(num_cpus=1, max_retries=RETRIES)
    perceive = ray.remote(perceive_task).options(
        num_cpus=1, num_gpus=gpus, max_retries=RETRIES, name="avas-perceive-chunk"
    )
    settings_ref = ray.put(settings)
    started = time.perf_counter()
    media_ms = 0
    pending: dict[Any, tuple[_Job, str, int]] = {}

    def cluster_size() -> tuple[int, int]:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        return int(ray.cluster_resources().get("CPU", 0)), len(nodes)

    def emit(job: _Job, stage: Literal["plan", "perceive"], done: int, total: int) -> None:
        if progress is None:
            return
        elapsed = time.perf_counter() - started
        workers, nodes = cluster_size()
        progress(
            ClusterProgress(
                video_id=job.report.video_id or str(job.path),
                stage=stage,
                chunks_done=done,
                chunks_total=total,
                media_ms=media_ms,
                elapsed_s=round(elapsed, 3),
                x_realtime=round(media_ms / 1000 / elapsed, 2) if elapsed > 0 else 0.0,
                workers=workers,
                nodes=nodes,
            )
        )

    def fail(job: _Job, exc: BaseException) -> None:
        cause = getattr(exc, "cause", None)  # a task's own exception, inside Ray's wrapper
        shown = cause if isinstance(cause, BaseException) else exc
        job.report.error = f"{type(shown).__name__}: {shown}"
        job.finished = True
        for ref, (owner, _, _) in list(pending.items()):
            if owner is job:
                ray.cancel(ref, force=True)
                del pending[ref]

    jobs = [_Job(path=Path(p), report=ClusterReport(path=str(Path(p).resolve()))) for p in paths]
    for i, job in enumerate(jobs):
        try:
            _prepare(job, service, names[i] if names else None, chunk_ms, overlap, stride_ms)
        except AvasError as exc:
            fail(job, exc)
            continue
        for chunk in job.chunks:
            ref = segment.remote(
                settings_ref, str(job.path), chunk.read_from_ms, chunk.read_to_ms, chunk.final
            )
            pending[ref] = (job, "segment", chunk.index)
        job.report.plan_chunks = len(job.chunks)

    def submit_perception(job: _Job) -> None:
        assert job.committer is not None
        parts = [job.parts[c.index] for c in job.chunks]

        def bridge(from_ms: int, to_ms: int, final: bool) -> SegmentPart:
            job.report.bridges += 1
            job.report.plan_chunks += 1
            part: SegmentPart = ray.get(
                segment.remote(settings_ref, str(job.path), from_ms, to_ms, final)
            )
            job.report.plan_cpu_s += part.cpu_s
            return part

        windows = stitch(parts, bridge)
        job.report.plan_seconds = round(time.perf_counter() - job.started, 3)
        job.groups = group_windows(windows, chunk_ms)
        job.committer.begin()
        for g, group in enumerate(job.groups):
            ref = perceive.remote(
                settings_ref,
                str(job.path),
                job.report.video_id,
                group[0].start_ms,
                # The last group runs to the file's end, closed as one pass closes it.
                None if g == len(job.groups) - 1 else group[-1].end_ms,
            )
            pending[ref] = (job, "perceive", g)
        if not job.groups:
            finish(job)

    def commit_ready(job: _Job) -> None:
        nonlocal media_ms
        assert job.committer is not None
        while job.next_group in job.done:
            result = job.done.pop(job.next_group)
            group = job.groups[job.next_group]
            planned = {w.start_ms: w for w in group}
            end = job.committer.previous.span.end_ms if job.committer.previous else 0
            # The first event after the seam starts where the last committed one ended.
            records = [r for r in result.records if r.event.span.start_ms >= end]
            for r in records:
                w = planned.get(r.event.span.start_ms)
                if w is None or w.end_ms != r.event.span.end_ms:
                    job.report.mismatched_windows += 1
            cuts = [
                planned[r.event.span.start_ms].cut if r.event.span.start_ms in planned else False
                for r in records
            ]
            job.committer.add(records, cuts)
            job.report.chunks += 1
            job.report.perceive_cpu_s += result.cpu_s
            job.languages.update(result.languages)
            job.workers.add((result.node, result.pid))
            span_ms = group[-1].end_ms - group[0].start_ms
            job.report.media_ms += span_ms
            media_ms += span_ms
            job.next_group += 1
            emit(job, "perceive", job.next_group, len(job.groups))
        if job.next_group == len(job.groups):
            finish(job)

    def finish(job: _Job) -> None:
        assert job.committer is not None
        job.committer.finish(job.languages)
        job.report.events = job.committer.committed
        job.report.workers_used = len(job.workers)
        job.report.nodes_used = len({node for node, _ in job.workers})
        job.report.seconds = round(time.perf_counter() - job.started, 3)
        job.finished = True

    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            job, kind, index = pending.pop(ready[0])
            if job.finished:
                continue
            try:
                value = ray.get(ready[0])
                if kind == "segment":
                    job.parts[index] = value
                    job.report.plan_cpu_s += value.cpu_s
                    emit(job, "plan", len(job.parts), len(job.chunks))
                    if len(job.parts) == len(job.chunks):
                        submit_perception(job)
                else:
                    job.done[index] = value
                    commit_ready(job)
            except (AvasError, ray.exceptions.RayError) as exc:
                fail(job, exc)
    finally:  # interrupted (Ctrl-C): what is committed stays, nothing keeps running for it
        for ref in pending:
            ray.cancel(ref, force=True)
    for job in jobs:
        if not job.finished and job.report.error is None:
            job.report.seconds = round(time.perf_counter() - job.started, 3)
    return [job.report for job in jobs]


def _prepare(
    job: _Job, service: Service, name: str | None, chunk_ms: int, overlap_ms: int, stride_ms: int
) -> None:
    """Probe the file, pick its id, find where an earlier run left off, plan the chunks."""
    settings = service.settings
    info = probe_video(job.path, settings.ingest)
    video_id = (
        validate_video_id(name) if name else default_video_id(Path(info.uri), info.size_bytes)
    )
    job.info = info
    job.report.video_id = video_id
    job.report.duration_ms = info.duration_ms
    committer = VideoCommitter(service, video_id, info)
    job.committer = committer
    job.report.events_skipped = committer.skipped
    job.report.resumed_from_ms = committer.resume_ms
    if committer.complete:
        job.finished = True
        return
    duration_ms = info.duration_ms or 0
    job.chunks = plan_chunks(
        keyframes_ms(job.path, settings.ingest),
        duration_ms=duration_ms,
        chunk_ms=chunk_ms,
        overlap_ms=overlap_ms,
        from_ms=committer.resume_ms,
        stride_ms=stride_ms,
    )
    if not job.chunks:  # everything before the end is committed: only the finish is left
        committer.begin()
        committer.finish(Counter())
        job.finished = True

"""Ingest jobs: files run one at a time on one worker; live streams each on their own (capped),
so an endless stream never blocks later ingests. Jobs can be cancelled; live ones have a time
limit. Watchers poll asynchronously and hold no thread while they wait.

jobs = IngestJobs(service, limits); job = jobs.submit("talk.mp4", Path("/videos/talk.mp4"), None)
async for snapshot in jobs.watch(job.id): ...   # None = nothing new for a while (keep-alive)
jobs.cancel(job.id)
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from avas.errors import AvasError, InputError, NotFoundError
from avas.ingest import open_source
from avas.ingest.base import MediaSource
from avas.interfaces.api.models import progress_out, report_out
from avas.interfaces.api.schemas import JobOut
from avas.pipeline import IngestReport, Progress
from avas.service import Service

log = logging.getLogger(__name__)
TERMINAL = ("complete", "failed", "cancelled")
URL_FAILED = "the stream could not be read"  # one text for every URL failure: no oracle

# An absolute path (not the // of a URL): only its last part may leave the server.
_ABS_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s'\"/]+/)+([^\s'\"/]*)")


def strip_paths(text: str) -> str:
    """``text`` with every absolute server path cut to its file name."""
    return _ABS_PATH.sub(r"\1", text)


class QueueFull(InputError):
    """Too many jobs queued or running."""


class _Cancelled(Exception):
    """Raised inside a file job's progress callback to stop it at the next committed event."""


@dataclass(frozen=True)
class JobLimits:
    max_queued: int = 16
    max_live: int = 4
    live_max_ms: int = 4 * 3600 * 1000


class _Job:
    def __init__(self, out: JobOut, live: bool) -> None:
        self.out = out
        self.live = live
        self.version = 0
        self.stop_reason: str | None = None  # set by cancel or the time limit
        self.source: MediaSource | None = None  # a live job's open source: closing stops it


class IngestJobs:
    """Keeps the last ``keep`` jobs. Files ingest one at a time (one decoder's worth of CPU)."""

    def __init__(self, service: Service, limits: JobLimits | None = None, *, keep: int = 100):
        self.service = service
        self.limits = limits or JobLimits()
        self.keep = keep
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._lock = threading.Lock()
        self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="avas-ingest")
        self._live = ThreadPoolExecutor(
            max_workers=self.limits.max_live, thread_name_prefix="avas-live"
        )

    def submit(
        self,
        label: str,
        uri: str | Path,
        name: str | None,
        *,
        cleanup: Path | None = None,
        live: bool = False,
    ) -> JobOut:
        """Queue an ingest; ``cleanup`` is a folder removed if the job fails (an upload's)."""
        job_id = uuid.uuid4().hex
        out = JobOut(
            id=job_id, source=label, name=name, status="queued", created_at=datetime.now(UTC)
        )
        with self._lock:
            active = sum(j.out.status not in TERMINAL for j in self._jobs.values())
            if active >= self.limits.max_queued:
                raise QueueFull(f"{active} ingest jobs are queued or running; try again later")
            self._jobs[job_id] = _Job(out, live)
            while len(self._jobs) > self.keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].out.status not in TERMINAL:
                    break
                del self._jobs[oldest]
        pool = self._live if live else self._files
        pool.submit(self._run, job_id, uri, name, cleanup)
        return out.model_copy()

    def get(self, job_id: str) -> JobOut:
        with self._lock:
            return self._job(job_id).out.model_copy()

    def list(self) -> list[JobOut]:
        with self._lock:
            return [j.out.model_copy() for j in reversed(self._jobs.values())]

    def cancel(self, job_id: str) -> JobOut:
        """Stop a job: a queued one never starts, a live one stops now, a file one at its next
        committed event (what it committed stays, and a later ingest resumes from there)."""
        self._stop(job_id, "cancelled")
        return self.get(job_id)

    async def watch(
        self, job_id: str, *, poll_s: float = 0.2, keepalive_s: float = 15.0
    ) -> AsyncIterator[JobOut | None]:
        """Each new state of the job, ending with its terminal one; None after a quiet spell."""
        seen = -1
        quiet_since = time.monotonic()
        while True:
            with self._lock:
                job = self._job(job_id)
                snapshot = job.out.model_copy() if job.version != seen else None
                seen = job.version
            if snapshot is not None:
                quiet_since = time.monotonic()
                yield snapshot
                if snapshot.status in TERMINAL:
                    return
            elif time.monotonic() - quiet_since >= keepalive_s:
                quiet_since = time.monotonic()
                yield None
            await asyncio.sleep(poll_s)

    def close(self) -> None:
        with self._lock:
            jobs = list(self._jobs)
        for job_id in jobs:
            self._stop(job_id, "the server is stopping")
        self._files.shutdown(wait=False, cancel_futures=True)
        self._live.shutdown(wait=False, cancel_futures=True)

    def _job(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no ingest job {job_id!r}")
        return job

    def _stop(self, job_id: str, reason: str) -> None:
        with self._lock:
            job = self._job(job_id)
            if job.out.status in TERMINAL or job.stop_reason is not None:
                return
            job.stop_reason = reason
            source = job.source
            queued = job.out.status == "queued"
        if queued:
            self._finish(job_id, "cancelled", error=reason)
        elif source is not None:
            source.close()  # the pipeline sees the stream end and commits what it has

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs[job_id]
            job.out = job.out.model_copy(update=changes)
            job.version += 1

    def _finish(self, job_id: str, status: str, **changes: object) -> None:
        with self._lock:
            if self._jobs[job_id].out.status in TERMINAL:
                return
        self._update(job_id, status=status, finished_at=datetime.now(UTC), **changes)

    def _run(self, job_id: str, uri: str | Path, name: str | None, cleanup: Path | None) -> None:
        with self._lock:  # one step: a cancel sees either "queued" or "running", never both
            job = self._jobs[job_id]
            if job.stop_reason is not None:
                return  # cancelled while queued
            job.out = job.out.model_copy(update={"status": "running"})
            job.version += 1

        def progress(p: Progress) -> None:
            if job.stop_reason is not None and not job.live:
                raise _Cancelled
            self._update(job_id, progress=progress_out(p))

        try:
            report = self._ingest(job, uri, name, progress)
        except _Cancelled:
            self._finish(job_id, "cancelled", error=job.stop_reason)
        except Exception as exc:  # a job thread must always record how it ended
            if job.live:
                log.info("live ingest job %s failed: %s", job_id, exc)
                error = URL_FAILED
            elif isinstance(exc, AvasError):
                error = strip_paths(str(exc))
            else:
                log.exception("ingest job %s failed", job_id)
                error = f"unexpected {type(exc).__name__}"  # its text may hold server details
            if cleanup is not None:  # before watchers hear "failed"
                shutil.rmtree(cleanup, ignore_errors=True)
            self._finish(job_id, "failed", error=error)
        else:
            if job.stop_reason is not None:
                self._finish(job_id, "cancelled", report=report_out(report), error=job.stop_reason)
            else:
                self._finish(job_id, "complete", report=report_out(report))

    def _ingest(
        self, job: _Job, uri: str | Path, name: str | None, progress: Callable[[Progress], None]
    ) -> IngestReport:
        if not job.live:
            return self.service.ingest(uri, name=name, progress=progress)
        source = open_source(str(uri), self.service.settings.ingest)
        with self._lock:
            job.source = source
            stopped_already = job.stop_reason is not None
        if stopped_already:
            source.close()
        limit_s = self.limits.live_max_ms / 1000
        timer = threading.Timer(
            limit_s, self._stop, (job.out.id, f"stopped at the live time limit ({limit_s:g} s)")
        )
        timer.daemon = True
        timer.start()
        try:
            return self.service.pipeline.run(source, name=name, progress=progress)
        finally:
            timer.cancel()
            source.close()

"""Ingest jobs: one worker thread runs them in order; watchers wait on each job's changes.

jobs = IngestJobs(service); job = jobs.submit("talk.mp4", Path("/videos/talk.mp4"), None)
for snapshot in jobs.watch(job.id, timeout_s=15): ...   # None = nothing new (send keep-alive)
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from avas.errors import AvasError, NotFoundError
from avas.interfaces.api.schemas import JobOut
from avas.pipeline import Progress
from avas.service import Service

log = logging.getLogger(__name__)
TERMINAL = ("complete", "failed")


class _Job:
    def __init__(self, out: JobOut) -> None:
        self.out = out
        self.version = 0


class IngestJobs:
    """Keeps the last ``keep`` jobs; ingests one at a time (the store has one writer)."""

    def __init__(self, service: Service, *, keep: int = 100) -> None:
        self.service = service
        self.keep = keep
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._changed = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="avas-ingest")

    def submit(
        self, label: str, uri: str | Path, name: str | None, *, cleanup: Path | None = None
    ) -> JobOut:
        """Queue an ingest; ``cleanup`` is a folder removed if the job fails (an upload's)."""
        job_id = uuid.uuid4().hex
        out = JobOut(
            id=job_id, source=label, name=name, status="queued", created_at=datetime.now(UTC)
        )
        with self._changed:
            self._jobs[job_id] = _Job(out)
            while len(self._jobs) > self.keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].out.status not in TERMINAL:
                    break
                del self._jobs[oldest]
        self._pool.submit(self._run, job_id, uri, name, cleanup)
        return out.model_copy()

    def get(self, job_id: str) -> JobOut:
        with self._changed:
            return self._job(job_id).out.model_copy()

    def list(self) -> list[JobOut]:
        with self._changed:
            return [j.out.model_copy() for j in reversed(self._jobs.values())]

    def watch(self, job_id: str, *, timeout_s: float = 15.0) -> Iterator[JobOut | None]:
        """Each new state of the job, ending with its terminal one; None after a quiet timeout."""
        seen = -1
        while True:
            with self._changed:
                job = self._job(job_id)
                if job.version == seen:
                    self._changed.wait(timeout=timeout_s)  # any job's change wakes every watcher
                if job.version == seen:
                    snapshot = None
                else:
                    seen = job.version
                    snapshot = job.out.model_copy()
            yield snapshot
            if snapshot is not None and snapshot.status in TERMINAL:
                return

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _job(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no ingest job {job_id!r}")
        return job

    def _update(self, job_id: str, **changes: object) -> None:
        with self._changed:
            job = self._jobs[job_id]
            job.out = job.out.model_copy(update=changes)
            job.version += 1
            self._changed.notify_all()

    def _run(self, job_id: str, uri: str | Path, name: str | None, cleanup: Path | None) -> None:
        self._update(job_id, status="running")

        def progress(p: Progress) -> None:
            self._update(job_id, progress=p)

        try:
            report = self.service.ingest(uri, name=name, progress=progress)
        except Exception as exc:  # a job thread must always record how it ended
            if isinstance(exc, AvasError):
                error = str(exc)
            else:
                log.exception("ingest job %s failed", job_id)
                error = f"unexpected {type(exc).__name__}: {exc}"
            if cleanup is not None:  # before watchers hear "failed"
                shutil.rmtree(cleanup, ignore_errors=True)
            self._update(job_id, status="failed", error=error, finished_at=datetime.now(UTC))
        else:
            self._update(job_id, status="complete", report=report, finished_at=datetime.now(UTC))

"""Ingest jobs: start one from a path, a URL or an upload; follow it over SSE; read its status."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, UploadFile, status
from fastapi.responses import StreamingResponse

from avas.errors import InputError
from avas.ingest import is_live_uri
from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.schemas import VIDEO_ID_PATTERN, ErrorOut, IngestRequest, JobOut, Responses
from avas.interfaces.api.sse import KEEPALIVE, sse, sse_response

router = APIRouter(prefix="/ingest", tags=["ingest"])

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".flv"}
_CHUNK = 1 << 20
_JOB_RESPONSES: Responses = {404: {"model": ErrorOut, "description": "no such job"}}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={403: {"model": ErrorOut, "description": "path outside the media folders"}},
)
def start_ingest(ctx: Ctx, body: IngestRequest) -> JobOut:
    """Queue an ingest of a file under a media root (or a URL, when the server allows them)."""
    if body.url is not None:
        if not ctx.api.allow_url_ingest:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this server does not ingest URLs")
        if not is_live_uri(body.url):
            raise InputError(f"{body.url!r} is not an rtsp://, rtmp://, http(s):// or udp:// URL")
        return ctx.jobs.submit(body.url, body.url, body.name)
    assert body.path is not None
    path = ctx.allowed_path(body.path)
    if not path.is_file():
        raise InputError(f"{body.path!r} is not a file")
    return ctx.jobs.submit(path.name, path, body.name)


@router.post(
    "/upload",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        411: {"model": ErrorOut, "description": "no Content-Length"},
        413: {"model": ErrorOut, "description": "larger than AVAS_API__MAX_UPLOAD_BYTES"},
    },
)
def upload_and_ingest(
    ctx: Ctx,
    file: UploadFile,
    name: Annotated[str | None, Form(pattern=VIDEO_ID_PATTERN)] = None,
) -> JobOut:
    """Save an uploaded video under the upload folder, then queue its ingest."""
    raw_name = Path(file.filename or "upload.mp4").name
    suffix = Path(raw_name).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        known = ", ".join(sorted(VIDEO_SUFFIXES))
        raise InputError(f"{raw_name!r} is not a video file name ({known})")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(raw_name).stem).strip("-._")[:60] or "upload"
    folder = ctx.upload_dir / uuid.uuid4().hex  # its own folder: names never collide
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}{suffix}"
    written = 0
    try:
        with target.open("wb") as out:
            while chunk := file.file.read(_CHUNK):
                written += len(chunk)
                if written > ctx.api.max_upload_bytes:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        f"{raw_name!r} is larger than {ctx.api.max_upload_bytes} bytes",
                    )
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if written == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError(f"{raw_name!r} is empty")
    return ctx.jobs.submit(raw_name, target, name, cleanup=folder)


@router.get("")
def list_jobs(ctx: Ctx) -> list[JobOut]:
    return ctx.jobs.list()


@router.get("/{job_id}", responses=_JOB_RESPONSES)
def job_status(ctx: Ctx, job_id: str) -> JobOut:
    return ctx.jobs.get(job_id)


@router.get(
    "/{job_id}/events",
    responses={
        **_JOB_RESPONSES,
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: status|progress` with the job JSON, then "
            "`event: complete|failed`; the stream ends with the job",
        },
    },
)
def job_events(ctx: Ctx, job_id: str) -> StreamingResponse:
    ctx.jobs.get(job_id)  # 404 before the stream starts

    def messages() -> Iterator[str]:
        last_status = None
        for job in ctx.jobs.watch(job_id):
            if job is None:
                yield KEEPALIVE
            elif job.status in ("complete", "failed"):
                yield sse(job.status, job)
            elif job.status != last_status:
                yield sse("status", job)
            else:
                yield sse("progress", job)
            if job is not None:
                last_status = job.status

    return sse_response(messages())

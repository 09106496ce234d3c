"""Ingest jobs: start one from a path, a URL or an upload; follow it over SSE; read its status."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, UploadFile, status
from fastapi.responses import StreamingResponse

from avas.errors import InputError
from avas.ingest import is_live_uri
from avas.interfaces.api.deps import AppContext, Ctx
from avas.interfaces.api.jobs import QueueFull
from avas.interfaces.api.schemas import VIDEO_ID_PATTERN, ErrorOut, IngestRequest, JobOut, Responses
from avas.interfaces.api.sse import KEEPALIVE, sse, sse_response
from avas.net import REFUSED, UrlRefused, check_url
from avas.pipeline import live_video_id

router = APIRouter(prefix="/ingest", tags=["ingest"])

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".flv"}
_CHUNK = 1 << 20
_JOB_RESPONSES: Responses = {404: {"model": ErrorOut, "description": "no such job"}}
_QUEUE_FULL: Responses = {429: {"model": ErrorOut, "description": "too many jobs queued"}}
# What a remote client may make the server connect to. udp/rtp and rtsp-listen open a listening
# socket, /dev/video* a local camera: those stay with the CLI, run by the machine's operator.
_HTTP = ("http", "https")
_ALLOW_LISTED_ONLY = ("rtsp", "rtsps", "rtmp", "rtmps", "srt")  # FFmpeg follows their redirects
_CLI_ONLY = ("udp", "rtp", "rtsp-listen")


def _submit(ctx: AppContext, label: str, uri: str | Path, name: str | None, **kw: object) -> JobOut:
    try:
        return ctx.jobs.submit(label, uri, name, **kw)  # type: ignore[arg-type]
    except QueueFull as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from exc


def _url_job(ctx: AppContext, url: str, name: str | None) -> JobOut:
    """Check the URL's address before any connection; the job reads only the checked address."""
    scheme = urlsplit(url).scheme.lower()
    if url.startswith("/dev/") or scheme in _CLI_ONLY:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "devices, udp:// and rtsp-listen:// are for the CLI only"
        )
    if not is_live_uri(url):
        raise InputError(f"{url!r} is not an http(s)://, rtsp://, rtmp:// or srt:// URL")
    target = check_url(url, allow_hosts=ctx.api.url_allow_hosts, schemes=_HTTP + _ALLOW_LISTED_ONLY)
    if target.scheme in _HTTP:
        uri = ctx.relay.url_for(target)  # pinned, no redirects, no playlists
    elif target.allow_listed:
        uri = target.pinned_url()
    else:
        raise UrlRefused(REFUSED)
    parts = urlsplit(url)
    label = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # no credentials
    return _submit(ctx, label, uri, name or live_video_id(label), live=True)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        400: {"model": ErrorOut, "description": "not a file, a NUL byte, or an unreadable URL"},
        403: {"model": ErrorOut, "description": "path outside the media folders, or no URLs here"},
        **_QUEUE_FULL,
    },
)
def start_ingest(ctx: Ctx, body: IngestRequest) -> JobOut:
    """Queue an ingest of a file under a media root (or a URL, when the server allows them)."""
    if body.url is not None:
        if not ctx.api.allow_url_ingest:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this server does not ingest URLs")
        return _url_job(ctx, body.url, body.name)
    assert body.path is not None
    path = ctx.allowed_path(body.path)
    if str(path).startswith("/dev/") or is_live_uri(str(path)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "devices are for the CLI only")
    if not path.is_file():
        raise InputError(f"{ctx.public_name(body.path)!r} is not a file")
    return _submit(ctx, path.name, path, body.name)


@router.post(
    "/upload",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        400: {"model": ErrorOut, "description": "not a video file name, or an empty file"},
        413: {"model": ErrorOut, "description": "larger than AVAS_API__MAX_UPLOAD_BYTES"},
        **_QUEUE_FULL,
    },  # 411 and 507 are the Guard's: see guard.document_guard
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
    try:
        return ctx.jobs.submit(raw_name, target, name, cleanup=folder)
    except QueueFull as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from exc


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
            "`event: complete|failed|cancelled`; the stream ends with the job",
        },
    },
)
async def job_events(ctx: Ctx, job_id: str) -> StreamingResponse:
    ctx.jobs.get(job_id)  # 404 before the stream starts

    async def messages() -> AsyncIterator[str]:
        # Async: a watcher waiting on a quiet job holds no worker thread (health stays fast).
        last_status = None
        async for job in ctx.jobs.watch(job_id):
            if job is None:
                yield KEEPALIVE
            elif job.status in ("complete", "failed", "cancelled"):
                yield sse(job.status, job)
            elif job.status != last_status:
                yield sse("status", job)
            else:
                yield sse("progress", job)
            if job is not None:
                last_status = job.status

    return sse_response(messages())


@router.delete("/{job_id}", responses=_JOB_RESPONSES)
def cancel_job(ctx: Ctx, job_id: str) -> JobOut:
    """Cancel a job: a queued one never runs, a live one stops now (what it committed stays), a
    file one at its next committed event (a later ingest of the file resumes there)."""
    return ctx.jobs.cancel(job_id)

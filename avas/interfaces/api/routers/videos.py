"""Videos: list, one, delete; the events in a span (the timeline); the media with Range support."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Response, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from avas.interfaces.api.deps import AppContext, Ctx
from avas.interfaces.api.models import TimelineEvent, VideoOut, timeline_event_out, video_out
from avas.interfaces.api.schemas import VIDEO_ID_PATTERN, ErrorOut, Responses
from avas.interfaces.checks import check_span, require_video
from graph_schema import TimeSpan, Video

router = APIRouter(prefix="/videos", tags=["videos"])
VideoId = Annotated[str, PathParam(pattern=VIDEO_ID_PATTERN)]
_NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "no such video"}}


def _video(ctx: AppContext, video_id: str) -> Video:
    return require_video(ctx.service.store, video_id)


def _out(ctx: AppContext, video: Video) -> VideoOut:
    return video_out(
        video,
        events=len(ctx.service.store.events(video.id)),
        file_name=Path(video.path).name if not video.is_live else _public_url(video.path),
        # With a token, a signed URL a <video> element can use without the bearer header.
        media_url=ctx.signer.url(video.id) if ctx.api.token else f"/videos/{video.id}/media",
    )


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # no credentials


@router.get("")
def list_videos(ctx: Ctx) -> list[VideoOut]:
    return [_out(ctx, v) for v in ctx.service.store.videos()]


@router.get("/{video_id}", responses=_NOT_FOUND)
def get_video(ctx: Ctx, video_id: VideoId) -> VideoOut:
    return _out(ctx, _video(ctx, video_id))


@router.delete("/{video_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
def delete_video(ctx: Ctx, video_id: VideoId) -> Response:
    video = _video(ctx, video_id)
    ctx.service.store.delete_video(video_id)
    # Uploaded files belong to the server; anything else is the user's and stays.
    path = Path(video.path).resolve()
    if not video.is_live and path.is_relative_to(ctx.upload_dir):
        path.unlink(missing_ok=True)
        if path.parent != ctx.upload_dir and not any(path.parent.iterdir()):
            path.parent.rmdir()  # the upload's own folder
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{video_id}/events",
    responses={**_NOT_FOUND, 400: {"model": ErrorOut, "description": "end_ms before start_ms"}},
)
def video_events(
    ctx: Ctx,
    video_id: VideoId,
    start_ms: Annotated[int, Query(ge=0)] = 0,
    end_ms: Annotated[int | None, Query(ge=0, description="default: the video's end")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2_000,
) -> list[TimelineEvent]:
    """Events overlapping [start_ms, end_ms), in time order, with their speech, text, entities."""
    video = _video(ctx, video_id)
    end = end_ms if end_ms is not None else max(video.duration_ms, 2**62 if video.is_live else 0)
    check_span(start_ms, end)
    store = ctx.service.store
    events = store.events_in_span(video_id, TimeSpan(start_ms=start_ms, end_ms=end))[:limit]
    return [timeline_event_out(store.event_details(e.id)) for e in events]


@router.head("/{video_id}/media", include_in_schema=False)
@router.get(
    "/{video_id}/media",
    response_class=FileResponse,
    responses={
        **_NOT_FOUND,
        206: {"description": "the requested byte range"},
        403: {"model": ErrorOut, "description": "the file is outside the media folders"},
        416: {"description": "the range lies outside the file"},
    },
)
def video_media(ctx: Ctx, video_id: VideoId) -> FileResponse:
    """The video file; honours ``Range: bytes=a-b`` (206 + Content-Range) so players can seek."""
    path = ctx.media_path(_video(ctx, video_id))
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, content_disposition_type="inline")

"""Moment and video search: ranked spans for a query, no agent round-trip.

curl 'localhost:8000/search?q=loading%20dock&k=5'
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from avas.errors import NotFoundError
from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.schemas import VIDEO_ID_PATTERN
from avas.retrieval.moments import Moment, MomentFinder, VideoHit

router = APIRouter(tags=["search"])


def _finder(ctx: Ctx) -> MomentFinder:
    return ctx.service.moment_finder()  # the same search as `avas find`


@router.get("/search")
def search(
    ctx: Ctx,
    q: Annotated[str, Query(max_length=500, description="the query")],
    video: Annotated[str | None, Query(pattern=VIDEO_ID_PATTERN)] = None,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[Moment]:
    if video is not None and ctx.service.store.get_video(video) is None:
        raise NotFoundError(f"no video {video!r} in the store")
    return _finder(ctx).find(q, video_id=video, k=k)


@router.get("/search/videos")
def search_videos(
    ctx: Ctx,
    q: Annotated[str, Query(max_length=500, description="the query")],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[VideoHit]:
    return _finder(ctx).rank_videos(q, k=k)

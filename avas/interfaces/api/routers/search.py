"""Moment and video search: ranked spans for a query, no agent round-trip.

curl 'localhost:8000/search?q=loading%20dock&k=5'
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.models import MomentOut, VideoHitOut, moment_out, video_hit_out
from avas.interfaces.api.schemas import VIDEO_ID_PATTERN, ErrorOut
from avas.interfaces.checks import require_video
from avas.retrieval.moments import MomentFinder

router = APIRouter(tags=["search"])


def _finder(ctx: Ctx) -> MomentFinder:
    return ctx.service.moment_finder()  # the same search as `avas find`


@router.get("/search", responses={404: {"model": ErrorOut, "description": "no such video"}})
def search(
    ctx: Ctx,
    q: Annotated[str, Query(max_length=500, description="the query")],
    video: Annotated[str | None, Query(pattern=VIDEO_ID_PATTERN)] = None,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[MomentOut]:
    if video is not None:
        require_video(ctx.service.store, video)
    return [moment_out(m) for m in _finder(ctx).find(q, video_id=video, k=k)]


@router.get("/search/videos")
def search_videos(
    ctx: Ctx,
    q: Annotated[str, Query(max_length=500, description="the query")],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[VideoHitOut]:
    return [video_hit_out(h) for h in _finder(ctx).rank_videos(q, k=k)]

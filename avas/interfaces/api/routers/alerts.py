"""Alerts raised by monitors: the latest as JSON, or new ones as server-sent events.

curl 'localhost:8000/alerts?limit=20'
curl -N 'localhost:8000/alerts/stream?last=5'       # event: alert, data: {...}; keep-alives
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.models import AlertOut, alert_out
from avas.interfaces.api.sse import KEEPALIVE, sse, sse_response
from avas.monitor.alerts import Alert
from avas.monitor.state import ALERT_LOG, AlertTail, recent_alerts, state_dir_for

router = APIRouter(prefix="/alerts", tags=["monitor"])
KEEPALIVE_S = 15.0


def _shown(thumbnail: str | None, thumbnails: Path) -> str | None:
    """A name under the alerts folder, never a server path."""
    if thumbnail is None:
        return None
    thumb = Path(thumbnail)
    inside = thumb.is_absolute() and thumb.is_relative_to(thumbnails)
    return thumb.relative_to(thumbnails).as_posix() if inside else thumb.name


def _alerts(docs: list[dict[str, Any]], thumbnails: Path) -> list[AlertOut]:
    found = []
    for doc in docs:
        try:
            alert = Alert.model_validate(doc)
        except ValidationError:
            continue  # a line some other writer put there: not an alert
        found.append(alert_out(alert, thumbnail=_shown(alert.thumbnail, thumbnails)))
    return found


def _log(ctx: Ctx) -> Path:
    return state_dir_for(ctx.service.settings) / ALERT_LOG


def _thumbnails(ctx: Ctx) -> Path:
    settings = ctx.service.settings
    return (settings.monitor.alerts_dir or settings.home / "alerts").resolve()


@router.get("")
def list_alerts(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000, description="the newest this many")] = 100,
    stream: Annotated[str | None, Query(max_length=200, description="one stream's")] = None,
) -> list[AlertOut]:
    """Recent alerts of every monitor on this AVAS_HOME, oldest first."""
    found = _alerts(
        recent_alerts(_log(ctx), limit=limit if stream is None else 1000), _thumbnails(ctx)
    )
    if stream is not None:
        found = [a for a in found if a.stream == stream]
    return found[-limit:]


async def _follow(path: Path, poll_s: float) -> AsyncIterator[dict[str, Any] | None]:
    """Alert lines appended from now on (across a rotation); None after each idle poll. Async,
    so an idle watcher holds no worker thread."""
    tail = AlertTail(path)
    while True:
        found = tail.read_new()
        for doc in found:
            yield doc
        if not found:
            yield None
            await asyncio.sleep(poll_s)


async def _events(
    path: Path, thumbnails: Path, last: int, max_alerts: int | None, poll_s: float
) -> AsyncIterator[str]:
    sent = 0
    for alert in _alerts(recent_alerts(path, limit=last), thumbnails) if last else []:
        yield sse("alert", alert)
        sent += 1
        if max_alerts is not None and sent >= max_alerts:
            return
    quiet_since = time.monotonic()
    async for doc in _follow(path, poll_s):
        if doc is None:
            if time.monotonic() - quiet_since >= KEEPALIVE_S:
                yield KEEPALIVE  # a disconnected client is noticed here, too
                quiet_since = time.monotonic()
            continue
        for alert in _alerts([doc], thumbnails):
            yield sse("alert", alert)
            quiet_since = time.monotonic()
            sent += 1
            if max_alerts is not None and sent >= max_alerts:
                return


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`event: alert` (AlertOut)"}
    },
)
async def stream_alerts(
    ctx: Ctx,
    last: Annotated[int, Query(ge=0, le=1000, description="send this many recent first")] = 0,
    max_alerts: Annotated[
        int | None, Query(alias="max", ge=1, description="end the stream after this many")
    ] = None,
) -> StreamingResponse:
    """Alerts as server-sent events (``event: alert``) as monitors raise them."""
    return sse_response(_events(_log(ctx), _thumbnails(ctx), last, max_alerts, poll_s=0.25))

"""Alerts raised by monitors: the latest as JSON, or new ones as server-sent events.

curl 'localhost:8000/alerts?limit=20'
curl -N 'localhost:8000/alerts/stream?last=5'       # event: alert, data: {...}; keep-alives
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.sse import KEEPALIVE, sse, sse_response
from avas.monitor.alerts import Alert
from avas.monitor.state import ALERT_LOG, follow_alerts, recent_alerts, state_dir_for

router = APIRouter(prefix="/alerts", tags=["monitor"])
KEEPALIVE_S = 15.0


def _alerts(docs: list[dict[str, Any]]) -> list[Alert]:
    found = []
    for doc in docs:
        try:
            found.append(Alert.model_validate(doc))
        except ValidationError:
            continue  # a line some other writer put there: not an alert
    return found


def _log(ctx: Ctx) -> Path:
    return state_dir_for(ctx.service.settings) / ALERT_LOG


@router.get("")
def list_alerts(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000, description="the newest this many")] = 100,
    stream: Annotated[str | None, Query(max_length=200, description="one stream's")] = None,
) -> list[Alert]:
    """Recent alerts of every monitor on this AVAS_HOME, oldest first."""
    found = _alerts(recent_alerts(_log(ctx), limit=limit if stream is None else 1000))
    if stream is not None:
        found = [a for a in found if a.stream == stream]
    return found[-limit:]


def _events(path: Path, last: int, max_alerts: int | None, poll_s: float) -> Iterator[str]:
    sent = 0
    for alert in _alerts(recent_alerts(path, limit=last)) if last else []:
        yield sse("alert", alert)
        sent += 1
        if max_alerts is not None and sent >= max_alerts:
            return
    quiet_since = time.monotonic()
    for doc in follow_alerts(path, poll_s=poll_s):
        if doc is None:
            if time.monotonic() - quiet_since >= KEEPALIVE_S:
                yield KEEPALIVE  # a disconnected client is noticed here, too
                quiet_since = time.monotonic()
            continue
        for alert in _alerts([doc]):
            yield sse("alert", alert)
            quiet_since = time.monotonic()
            sent += 1
            if max_alerts is not None and sent >= max_alerts:
                return


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event: alert"}},
)
def stream_alerts(
    ctx: Ctx,
    last: Annotated[int, Query(ge=0, le=1000, description="send this many recent first")] = 0,
    max_alerts: Annotated[
        int | None, Query(alias="max", ge=1, description="end the stream after this many")
    ] = None,
) -> StreamingResponse:
    """Alerts as server-sent events (``event: alert``) as monitors raise them."""
    return sse_response(_events(_log(ctx), last, max_alerts, poll_s=0.25))

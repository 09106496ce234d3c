"""Monitored streams: what every running ``avas monitor`` reports about its streams.

curl localhost:8000/streams
"""

from __future__ import annotations

from fastapi import APIRouter

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.models import StreamOut, stream_out
from avas.monitor.state import read_streams, state_dir_for

router = APIRouter(prefix="/streams", tags=["monitor"])


@router.get("")
def list_streams(ctx: Ctx) -> list[StreamOut]:
    """Each stream with its source, connection, lag, events per minute, last error,
    reconnects and gaps, as its monitor last wrote them (every few seconds); ``stale`` when that
    monitor stopped writing. Empty when no monitor runs on this AVAS_HOME."""
    return [stream_out(s) for s in read_streams(state_dir_for(ctx.service.settings))]

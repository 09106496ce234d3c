"""Server-sent events: one ``event:`` name and one JSON ``data:`` line per message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from fastapi.responses import StreamingResponse
from pydantic import BaseModel

KEEPALIVE = ": keep-alive\n\n"


def sse(event: str, data: BaseModel) -> str:
    # A model, never a dict: every message has an API type of its own.
    return f"event: {event}\ndata: {data.model_dump_json()}\n\n"


def sse_response(messages: Iterator[str] | AsyncIterator[str]) -> StreamingResponse:
    # Waiting streams (jobs, alerts) are async and hold no thread; a sync iterator (the agent's
    # steps, real work) runs in the thread pool so it never stalls the loop.
    return StreamingResponse(
        messages,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

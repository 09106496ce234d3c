"""Questions: ``POST /ask`` streams the agent's steps then its answer over SSE; ``/ask/sync``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from agents.state import Answer
from avas.errors import AvasError
from avas.interfaces.api.deps import AppContext, Ctx
from avas.interfaces.api.errors import status_for
from avas.interfaces.api.models import AnswerOut, answer_in, answer_out
from avas.interfaces.api.schemas import AskRequest, ErrorEventOut, ErrorOut, Responses, StepOut
from avas.interfaces.api.sse import sse, sse_response
from avas.interfaces.checks import require_video

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ask", tags=["ask"])
_RESPONSES: Responses = {
    400: {"model": ErrorOut, "description": "a question the agent refuses"},
    404: {"model": ErrorOut, "description": "no such video"},
}


def _check(ctx: AppContext, body: AskRequest) -> None:
    if body.video_id is not None:
        require_video(ctx.service.store, body.video_id)


def _ask(ctx: AppContext, body: AskRequest) -> AnswerOut:
    from agents.graph import ask

    history = [answer_in(a) for a in body.history]
    return answer_out(ask(ctx.agent, body.question, video_id=body.video_id, history=history))


def _stream(ctx: AppContext, body: AskRequest) -> Iterator[str]:
    from agents.graph import ask_stream

    try:
        history = [answer_in(a) for a in body.history]
        for item in ask_stream(ctx.agent, body.question, video_id=body.video_id, history=history):
            if isinstance(item, Answer):
                yield sse("answer", answer_out(item))
            else:
                yield sse("step", StepOut(text=item))
    except AvasError as exc:  # the status line is sent already: report in the stream
        yield sse("error", ErrorEventOut(detail=str(exc), status=status_for(exc)))
    except Exception as exc:
        log.exception("ask failed: %r", body.question)
        yield sse("error", ErrorEventOut(detail=f"unexpected {type(exc).__name__}", status=500))


@router.post(
    "",
    responses={
        **_RESPONSES,
        200: {
            "content": {"text/event-stream": {}, "application/json": {}},
            "description": "SSE: `event: step` ({text}) lines, then `event: answer` (Answer "
            "JSON), or `event: error` ({detail, status}); with ?stream=false the Answer as JSON",
        },
    },
    response_model=None,
)
def ask_question(
    ctx: Ctx,
    body: AskRequest,
    stream: Annotated[bool, Query(description="false: one JSON answer")] = True,
) -> StreamingResponse | AnswerOut:
    _check(ctx, body)
    if not stream:
        return _ask(ctx, body)
    return sse_response(_stream(ctx, body))


@router.post("/sync", responses=_RESPONSES)
def ask_sync(ctx: Ctx, body: AskRequest) -> AnswerOut:
    """The answer as one JSON body (steps are in ``answer.steps``)."""
    _check(ctx, body)
    return _ask(ctx, body)

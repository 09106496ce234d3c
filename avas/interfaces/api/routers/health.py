"""Liveness (the process answers) and readiness (the store opens and answers)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.schemas import Health

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    # async: answered on the event loop, so a full worker pool cannot delay it
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(ctx: Ctx) -> Health | JSONResponse:
    try:
        ctx.service.store.stats()
    except Exception as exc:  # any failure to reach the store means "not ready"
        # The detail (a path, a host) stays in the server log; the caller learns only the state.
        log.warning("readyz: the store does not answer: %s", exc)
        body = Health(status="unavailable", detail="the store does not answer")
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ok")

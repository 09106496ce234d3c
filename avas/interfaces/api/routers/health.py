"""Liveness (the process answers) and readiness (the store opens and answers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from avas.interfaces.api.deps import Ctx
from avas.interfaces.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(ctx: Ctx) -> Health | JSONResponse:
    try:
        ctx.service.store.stats()
    except Exception as exc:  # any failure to reach the store means "not ready"
        body = Health(status="unavailable", detail=str(exc))
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ok")

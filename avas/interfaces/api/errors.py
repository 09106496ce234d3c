"""AvasError -> HTTP status with a JSON ``{"detail": ...}`` body that names the bad input."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from avas.errors import AvasError, DependencyError, InputError, NotFoundError, StoreError


def status_for(exc: AvasError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, DependencyError | StoreError):
        return 503
    return 500


def install_error_handlers(app: FastAPI) -> None:
    async def on_avas_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AvasError)
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    app.add_exception_handler(AvasError, on_avas_error)

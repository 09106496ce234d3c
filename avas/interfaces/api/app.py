"""The HTTP API and the web page, over one Service.

app = create_app(Service(settings), settings.api)
uvicorn.run(app, host=settings.api.host, port=settings.api.port)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from avas.interfaces.api.deps import AppContext, require_token
from avas.interfaces.api.errors import install_error_handlers
from avas.interfaces.api.routers import (
    alerts,
    ask,
    graph,
    health,
    ingest,
    search,
    streams,
    videos,
)
from avas.interfaces.api.settings import ApiSettings
from avas.service import Service

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
UPLOAD_PATH = "/ingest/upload"
_MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the form fields around the file


class UploadLimit:
    """Refuses an upload by its Content-Length before a byte of the body is read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == UPLOAD_PATH and scope["method"] == "POST":
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            refusal = None
            if length is None or not length.isdigit():
                refusal = (411, "an upload needs a Content-Length header")
            elif int(length) > self.max_bytes + _MULTIPART_OVERHEAD:
                refusal = (413, f"the upload is larger than {self.max_bytes} bytes")
            if refusal is not None:
                body = json.dumps({"detail": refusal[1]}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": refusal[0],
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def create_app(service: Service, api: ApiSettings) -> FastAPI:
    ctx = AppContext(service, api)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.jobs.close()

    app = FastAPI(
        title="AVAS",
        summary="Ask questions about long videos; answers cite time spans.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.avas = ctx
    install_error_handlers(app)

    app.include_router(health.router)
    guarded = [Depends(require_token)]
    for module in (videos, graph, ingest, ask, search, streams, alerts):
        app.include_router(module.router, dependencies=guarded)

    # The page and its files carry no data; every call they make is guarded like any client's.
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.add_middleware(UploadLimit, max_bytes=api.max_upload_bytes)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Accept-Ranges", "Content-Length"],
        )
    return app

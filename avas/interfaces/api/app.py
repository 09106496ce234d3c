"""The HTTP API and the web page, over one Service.

app = create_app(Service(settings), settings.api)
uvicorn.run(app, host=settings.api.host, port=settings.api.port)
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from avas.errors import InputError
from avas.interfaces.api.deps import AppContext, require_token
from avas.interfaces.api.errors import install_error_handlers
from avas.interfaces.api.guard import Guard, document_guard
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
from avas.interfaces.api.schemas import ErrorOut
from avas.interfaces.api.settings import ApiSettings
from avas.service import Service

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
_REF = "#/components/schemas/{model}"
_SECRET_QUERY = re.compile(r"((?:access_token|token|sig)=)[^&\s]*", re.IGNORECASE)


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, api: ApiSettings) -> None:
    """Refuse to serve beyond this machine without a token: anyone on the network could ingest,
    delete and read everything."""
    if api.token is None and not is_loopback_host(host):
        raise InputError(
            f"--host {host} is reachable from other machines: set AVAS_API__TOKEN "
            "(16+ random characters) or bind 127.0.0.1"
        )


def redact(text: str) -> str:
    """``text`` with the values of token-like query parameters replaced by ``***``."""
    return _SECRET_QUERY.sub(r"\1***", text)


class _RedactQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


_REDACT = _RedactQuery()


def create_app(service: Service, api: ApiSettings) -> FastAPI:
    ctx = AppContext(service, api)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Here, not at import: uvicorn has configured its loggers by now.
        logging.getLogger("uvicorn.access").addFilter(_REDACT)
        yield
        ctx.jobs.close()
        ctx.relay.close()

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

    schema = app.openapi  # FastAPI's own, cached on the app

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # built once: FastAPI's schema, then the Guard's statuses
            doc = schema()
            doc["components"]["schemas"].setdefault(
                "ErrorOut", ErrorOut.model_json_schema(ref_template=_REF)
            )
            app.openapi_schema = document_guard(doc, _REF.format(model="ErrorOut"))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # The page and its files carry no data; every call they make is guarded like any client's.
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Accept-Ranges", "Content-Length"],
        )
    app.add_middleware(Guard, ctx=ctx)  # added last: outermost, sees every request first
    return app

"""The HTTP API and the web page, over one Service.

app = create_app(Service(settings), settings.api)
uvicorn.run(app, host=settings.api.host, port=settings.api.port)
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from avas.errors import InputError
from avas.interfaces.api.deps import AppContext, require_token, token_matches
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
# Served to anyone: they carry no data (the page's own calls are guarded like any client's).
_OPEN_PATHS = ("/healthz", "/readyz", "/", "/docs", "/docs/oauth2-redirect", "/openapi.json")
_MEDIA_PATH = re.compile(r"^/videos/([A-Za-z0-9][A-Za-z0-9._-]{0,79})/media$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
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


def _host_of(header: str) -> str:
    if header.startswith("["):  # [::1]:8000
        return header[1 : header.find("]")].lower() if "]" in header else ""
    return header.rsplit(":", 1)[0].lower() if header.count(":") == 1 else header.lower()


def _folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class Guard:
    """Everything decided from the request line and headers, before a byte of the body is read:
    the Host allow-list (DNS rebinding), the token (so a tokenless upload writes nothing), signed
    media URLs, and body, upload and upload-storage caps."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        api = ctx.api
        self.hosts = {h.lower().strip("[]") for h in (*_LOCAL_HOSTS, api.host, *api.allowed_hosts)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._check(scope)
        if refusal is not None:
            status, detail, extra = refusal
            body = json.dumps({"detail": detail}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *extra,
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        api = self.ctx.api
        headers = dict(scope["headers"])
        host = _host_of(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.hosts:
            return 421, "unknown Host header (see AVAS_API__ALLOWED_HOSTS)", []
        path: str = scope["path"]
        method: str = scope["method"]
        public = path in _OPEN_PATHS or path.startswith("/static/") or method == "OPTIONS"
        if api.token is not None and not public:
            auth = headers.get(b"authorization", b"").decode("latin-1")
            scheme, _, given = auth.partition(" ")
            if scheme.lower() == "bearer" and token_matches(api, given.strip()):
                pass
            elif (media := _MEDIA_PATH.match(path)) and self._signed(scope, media.group(1)):
                scope["avas.signed_media"] = True
            else:
                return 401, "missing or wrong bearer token", [(b"www-authenticate", b"Bearer")]
        length = headers.get(b"content-length")
        if method in ("POST", "PUT", "PATCH") and (length is None or not length.isdigit()):
            if length is not None or b"transfer-encoding" in headers:
                return 411, "a request body needs a Content-Length header", []
            length = b"0"
        size = int(length) if length is not None and length.isdigit() else 0
        if path == UPLOAD_PATH and method == "POST":
            if size > api.max_upload_bytes + _MULTIPART_OVERHEAD:
                return 413, f"the upload is larger than {api.max_upload_bytes} bytes", []
            if _folder_bytes(self.ctx.upload_dir) + size > api.max_upload_storage_bytes:
                return 507, "the upload folder is full (AVAS_API__MAX_UPLOAD_STORAGE_BYTES)", []
        elif size > api.max_body_bytes:
            return 413, f"the request body is larger than {api.max_body_bytes} bytes", []
        return None

    def _signed(self, scope: Scope, video_id: str) -> bool:
        from urllib.parse import parse_qs

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        exp = query.get("exp", [None])[0]
        sig = query.get("sig", [None])[0]
        return self.ctx.signer.valid(video_id, exp, sig)


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

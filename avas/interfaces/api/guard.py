"""The Guard middleware, and the statuses it answers with as the OpenAPI documents them.

Both read the same rules (``_public``, ``_BODY_METHODS``, ``UPLOAD_PATH``), so an operation's
documented statuses are the ones the Guard can send it: ``guard_responses(path, method)``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from avas.interfaces.api.deps import AppContext, token_matches

UPLOAD_PATH = "/ingest/upload"
_MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the form fields around the file
# Served to anyone: they carry no data (the page's own calls are guarded like any client's).
_OPEN_PATHS = ("/healthz", "/readyz", "/", "/docs", "/docs/oauth2-redirect", "/openapi.json")
_MEDIA_PATH = re.compile(r"^/videos/([A-Za-z0-9][A-Za-z0-9._-]{0,79})/media$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_BODY_METHODS = ("POST", "PUT", "PATCH")  # a body without a Content-Length gets 411

# What each refusal means, as the OpenAPI says it; the body is always ErrorOut ({"detail"}).
GUARD_STATUSES: dict[int, str] = {
    401: "missing or wrong bearer token (when the server sets AVAS_API__TOKEN)",
    411: "a request body without a Content-Length header (e.g. chunked)",
    413: "a request body larger than AVAS_API__MAX_BODY_BYTES (uploads: MAX_UPLOAD_BYTES)",
    421: "a Host header not in the allow-list (AVAS_API__ALLOWED_HOSTS)",
    507: "the upload folder is full (AVAS_API__MAX_UPLOAD_STORAGE_BYTES)",
}


def _public(path: str, method: str) -> bool:
    return path in _OPEN_PATHS or path.startswith("/static/") or method == "OPTIONS"


def guard_statuses(path: str, method: str) -> list[int]:
    """The statuses the Guard may answer ``method path`` with before its route runs (``path``
    as routed or as the OpenAPI template; the rules read no path parameter)."""
    method = method.upper()
    found = [421, 413]  # every request: the Host check, and a Content-Length over the cap
    if not _public(path, method):
        found.append(401)
    if method in _BODY_METHODS:
        found.append(411)
    if path == UPLOAD_PATH and method == "POST":
        found.append(507)
    return sorted(found)


def document_guard(openapi: dict[str, Any], error_ref: str) -> dict[str, Any]:
    """``openapi`` with the Guard's statuses added to every operation they apply to (a status a
    route documents itself keeps its own description)."""
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in guard_statuses(path, method):
                entry: dict[str, Any] = {
                    "description": GUARD_STATUSES[status],
                    "content": {"application/json": {"schema": {"$ref": error_ref}}},
                }
                if status == 401:
                    entry["headers"] = {
                        "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
                    }
                responses.setdefault(str(status), entry)
    return openapi


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
        if api.token is not None and not _public(path, method):
            auth = headers.get(b"authorization", b"").decode("latin-1")
            scheme, _, given = auth.partition(" ")
            if scheme.lower() == "bearer" and token_matches(api, given.strip()):
                pass
            elif (media := _MEDIA_PATH.match(path)) and self._signed(scope, media.group(1)):
                scope["avas.signed_media"] = True
            else:
                return 401, "missing or wrong bearer token", [(b"www-authenticate", b"Bearer")]
        length = headers.get(b"content-length")
        if method in _BODY_METHODS and (length is None or not length.isdigit()):
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

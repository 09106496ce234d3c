"""What routes share: the app context, the bearer check and the media-root guard.

def route(ctx: Ctx) -> ...: ctx.service.store.videos()
path = ctx.allowed_path("talks/a.mp4")   # resolved under a media root, else 403
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from avas.errors import InputError
from avas.interfaces.api.jobs import IngestJobs, JobLimits
from avas.interfaces.api.settings import ApiSettings
from avas.interfaces.api.url_relay import PinnedRelay
from avas.interfaces.checks import check_path_text
from avas.service import Service
from graph_schema import Video


def token_matches(api: ApiSettings, given: str | None) -> bool:
    """True when the server needs no token, or ``given`` is it (compared in constant time)."""
    if api.token is None:
        return True
    return given is not None and secrets.compare_digest(
        given.encode(), api.token.get_secret_value().encode()
    )


class MediaSigner:
    """Short-lived media URLs for <video src>, which cannot send a bearer header: an HMAC over
    the video id and the expiry, so the token itself never appears in a URL (or an access log)."""

    def __init__(self, ttl_ms: int) -> None:
        self.ttl_ms = ttl_ms
        self._key = secrets.token_bytes(32)  # per process: a restart revokes every URL

    def _sig(self, video_id: str, exp_ms: int) -> str:
        msg = f"{video_id}\n{exp_ms}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def url(self, video_id: str, *, now_ms: int | None = None) -> str:
        exp = (now_ms if now_ms is not None else int(time.time() * 1000)) + self.ttl_ms
        return f"/videos/{video_id}/media?exp={exp}&sig={self._sig(video_id, exp)}"

    def valid(self, video_id: str, exp: str | None, sig: str | None) -> bool:
        if exp is None or sig is None or not exp.isdigit() or len(exp) > 16:
            return False
        if int(exp) < int(time.time() * 1000):
            return False
        return secrets.compare_digest(sig.encode(), self._sig(video_id, int(exp)).encode())


class AppContext:
    def __init__(self, service: Service, api: ApiSettings) -> None:
        self.service = service
        self.api = api
        self.upload_dir = (api.upload_dir or service.settings.home / "uploads").resolve()
        # The upload folder is always a root: uploaded files must be playable.
        self.roots = [r.expanduser().resolve() for r in api.media_roots] + [self.upload_dir]
        self.jobs = IngestJobs(
            service,
            JobLimits(
                max_queued=api.max_queued_jobs,
                max_live=api.max_live_jobs,
                live_max_ms=api.live_job_max_ms,
            ),
        )
        self.relay = PinnedRelay(timeout_s=api.url_timeout_ms / 1000)
        self.signer = MediaSigner(api.media_url_ttl_ms)
        self._agent: Any = None
        self._agent_lock = threading.Lock()

    @property
    def agent(self) -> Any:
        # Built on the first question: the embedder loads then, not at startup.
        with self._agent_lock:
            if self._agent is None:
                from agents.graph import agent_for

                self._agent = agent_for(self.service)
            return self._agent

    def allowed_path(self, raw: str | Path) -> Path:
        """``raw`` resolved (relative to the first root), or 403 when it is outside every root.

        The check is on resolved paths with ``is_relative_to``: a string prefix would let
        ``/media0-evil`` pass for ``/media0``, and an unresolved one a symlink out of the root.
        """
        text = check_path_text(str(raw))
        # No ~ expansion: a client names files under a media root, not in server home folders.
        path = Path(text)
        if not path.is_absolute():
            path = self.roots[0] / path
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
            raise InputError(f"{self.public_name(text)!r} cannot be resolved") from exc
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"{self.public_name(text)!r} is outside the allowed media folders",
            )
        return resolved

    def public_name(self, path: str | Path) -> str:
        """How a client may see a server path: relative to its media root, else its name."""
        p = Path(path)
        for root in self.roots:
            if p.is_absolute() and p.is_relative_to(root):
                return p.relative_to(root).as_posix()
        return p.as_posix() if not p.is_absolute() else p.name

    def media_path(self, video: Video) -> Path:
        if video.is_live:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"video {video.id!r} is a live stream: no file to play"
            )
        # A stored video's path was written by an operator (the CLI) or by an API ingest that
        # already passed the root check; clients only name the video id. With no roots
        # configured, every stored video plays; configured roots restrict playback too.
        path = self.allowed_path(video.path) if self.api.media_roots else Path(video.path)
        if not path.is_file():
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"the media of video {video.id!r} is gone from disk"
            )
        return path


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.avas
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]

_bearer = HTTPBearer(auto_error=False, description="AVAS_API__TOKEN, when the server sets one")


def require_token(
    ctx: Ctx,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The bearer check as OpenAPI sees it; the Guard middleware has already enforced it (before
    any body was read), so this is a second lock on the same door."""
    if ctx.api.token is None or request.scope.get("avas.signed_media"):
        return
    if not token_matches(ctx.api, credentials.credentials if credentials is not None else None):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )

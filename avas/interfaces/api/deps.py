"""What routes share: the app context, the bearer check and the media-root guard.

def route(ctx: Ctx) -> ...: ctx.service.store.videos()
path = ctx.allowed_path("talks/a.mp4")   # resolved under a media root, else 403
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from avas.interfaces.api.jobs import IngestJobs
from avas.interfaces.api.settings import ApiSettings
from avas.service import Service
from graph_schema import Video


class AppContext:
    def __init__(self, service: Service, api: ApiSettings) -> None:
        self.service = service
        self.api = api
        self.upload_dir = (api.upload_dir or service.settings.home / "uploads").resolve()
        # The upload folder is always a root: uploaded files must be playable.
        self.roots = [r.expanduser().resolve() for r in api.media_roots] + [self.upload_dir]
        self.jobs = IngestJobs(service)
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
        """``raw`` resolved (relative to the first root), or 403 when it is outside every root."""
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = self.roots[0] / path
        resolved = path.resolve()
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"{str(raw)!r} is outside the allowed media folders"
            )
        return resolved

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
    token = ctx.api.token
    if token is None:
        return
    given = credentials.credentials if credentials is not None else None
    # <video src> cannot send headers, so media (only) also takes ?access_token=.
    if given is None and request.url.path.endswith("/media"):
        given = request.query_params.get("access_token")
    if given is None or not secrets.compare_digest(
        given.encode(), token.get_secret_value().encode()
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )

"""The HTTP API (FastAPI) and the web page it serves.

    app = create_app(Service(settings), settings.api)     # uvicorn.run(app, port=8000)
    curl -N -X POST localhost:8000/ask -H 'Content-Type: application/json' -d '{"question": "..."}'

``ApiSettings`` needs only pydantic, so avas.config can import it without loading FastAPI (and
without an import cycle through avas.service): ``create_app`` is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from avas.interfaces.api.settings import ApiSettings

if TYPE_CHECKING:
    from avas.interfaces.api.app import create_app

__all__ = ["ApiSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from avas.interfaces.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

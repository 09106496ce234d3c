"""The HTTP API (FastAPI) and the web page it serves.

app = create_app(Service(settings), settings.api)     # uvicorn.run(app, port=8000)
curl -N -X POST localhost:8000/ask -H 'Content-Type: application/json' -d '{"question": "..."}'
"""

from avas.interfaces.api.app import create_app
from avas.interfaces.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]

"""HTTP API settings live in ``avas.config`` (the one module reading the environment).

api = ApiSettings(token=SecretStr("a-long-random-token"), media_roots=[Path("/videos")])
"""

from avas.config import ApiSettings

__all__ = ["ApiSettings"]

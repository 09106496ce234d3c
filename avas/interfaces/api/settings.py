"""HTTP API settings: a section of ``Settings`` (``AVAS_API__TOKEN``, ``AVAS_API__MEDIA_ROOTS``).

api = ApiSettings(token=SecretStr("a-long-random-token"), media_roots=[Path("/videos")])
app = create_app(Service(), api)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator

_PLACEHOLDERS = {"changeme", "changethis", "secret", "token", "password"}


class ApiSettings(BaseModel):
    host: str = Field("127.0.0.1", description="`avas serve` binds here")
    port: int = Field(8000, ge=1, le=65535)
    token: SecretStr | None = Field(
        None, description="when set, every endpoint but /healthz and /readyz needs this bearer"
    )
    media_roots: list[Path] = Field(
        default_factory=list,
        description="folders the API may ingest from and play media out of (the upload folder "
        "is always allowed); relative ingest paths resolve against the first root",
    )
    upload_dir: Path | None = Field(None, description="default: <AVAS_HOME>/uploads")
    max_upload_bytes: int = Field(2 * 1024**3, ge=1, description="uploads above this get 413")
    allow_url_ingest: bool = Field(
        False, description="let clients ingest rtsp:// / http(s):// URLs (the server connects)"
    )
    cors_origins: list[str] = Field(default_factory=list, description="e.g. http://localhost:5173")

    @field_validator("token")
    @classmethod
    def _real_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if secret.lower() in _PLACEHOLDERS or len(secret) < 16:
            raise ValueError("the API token must be at least 16 characters and not a placeholder")
        return value

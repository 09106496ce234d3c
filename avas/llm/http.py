"""The one HTTP client for OpenAI-compatible servers, with the one retry policy.

    http = EndpointHTTP("http://localhost:8000/v1", "/chat/completions", what="caption", model=m)
    data = http.call(lambda: http.post(body), parse=lambda resp: resp.json())

Transport errors (connect, timeout, dropped connection), 429 and 5xx are retried with
exponential backoff; any other 4xx fails at once with the server's message, since retrying a
wrong request cannot help. ``parse`` may raise one of ``retry_output`` (an answer that was not
what was asked for): that gets one more try within the same budget, as a sampled bad answer may
not recur but a model that cannot follow the request will not learn on the third try. Every
error is a DependencyError that names the server's URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from avas.errors import DependencyError

log = logging.getLogger(__name__)

T = TypeVar("T")


def endpoint_url(base_url: str, path: str) -> str:
    """``path`` under the server's /v1, from either "http://host:8000" or "http://host:8000/v1"
    (the OpenAI-SDK style)."""
    root = base_url.rstrip("/").removesuffix("/v1")
    return f"{root}/v1/{path.lstrip('/')}"


def snippet(text: str, limit: int = 300) -> str:
    """A server's answer, squeezed to one short line for an error message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class EndpointHTTP:
    """Thread-safe (one pooled httpx client); nothing touches the network before a request."""

    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        what: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60,
        retries: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        if retries < 0 or timeout_s <= 0:
            raise ValueError("need retries >= 0 and timeout_s > 0")
        self.url = endpoint_url(base_url, path)
        self.what = what
        self.model = model
        self.retries = retries
        self.backoff_s = backoff_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    def close(self) -> None:
        self._client.close()

    def post(self, body: dict[str, Any]) -> httpx.Response:
        """One POST, no retry: the ``send`` step of most calls."""
        return self._client.post(self.url, json=body)

    def call(
        self,
        send: Callable[[], httpx.Response],
        parse: Callable[[httpx.Response], T],
        *,
        retry_output: type[Exception] | tuple[type[Exception], ...] = (),
    ) -> T:
        """``send`` under the retry policy, then ``parse`` the first answer that is not an error."""
        attempts = 1 + self.retries
        last = "no attempt made"
        bad_outputs = 0
        for attempt in range(attempts):
            if attempt:
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "%s request to %s failed (%s); retry %d/%d in %.1fs",
                    self.what, self.url, last, attempt, self.retries, delay,
                )  # fmt: skip
                time.sleep(delay)
            try:
                resp = send()
            except httpx.TransportError as e:  # connect errors, timeouts, dropped connections
                last = f"{type(e).__name__}: {e}"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}: {snippet(resp.text)}"
                continue
            if resp.status_code >= 400:  # the request itself is wrong: retrying cannot help
                raise DependencyError(
                    f"{self.what} server {self.url} rejected the request for model "
                    f"{self.model!r}: HTTP {resp.status_code}: {snippet(resp.text)}"
                )
            try:
                return parse(resp)
            except retry_output as e:
                bad_outputs += 1
                if bad_outputs > 1 or attempt == attempts - 1:
                    raise
                last = str(e)
        raise DependencyError(
            f"{self.what} server {self.url} failed after {attempts} attempt(s); last error: {last}"
        )

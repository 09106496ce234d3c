"""Structured (JSON-schema) chat completions from any OpenAI-compatible server.

    chat = JSONChatClient("http://localhost:8000/v1", "Qwen/Qwen2.5-7B-Instruct", what="planner")
    plan = chat.complete(messages, schema=PLAN_SCHEMA, name="plan", validate=Plan.model_validate)

vLLM and hosted APIs take ``response_format={"type": "json_schema", ...}``; llama.cpp's server
refuses that (HTTP 500) and takes ``{"type": "json_object", "schema": ...}``: ``response_format``
picks, and ``"auto"`` tries json_schema first and settles on json_object when only that works.
Transport and retries are EndpointHTTP's (avas.llm.http): backoff on transport errors, 429 and
5xx, one retry for an answer that is not valid JSON for the schema, other 4xx at once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from pydantic import ValidationError

from avas.errors import DependencyError
from avas.llm.http import EndpointHTTP, snippet

if TYPE_CHECKING:
    from avas.config import EndpointSettings

log = logging.getLogger(__name__)

ResponseFormat = Literal["auto", "json_schema", "json_object"]
T = TypeVar("T")

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


class ChatOutputError(DependencyError):
    """The server answered, but not with valid JSON for the requested schema."""


class JSONChatClient:
    """Thread-safe (one pooled httpx client); nothing touches the network before a request."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        what: str = "chat",
        api_key: str | None = None,
        timeout_s: float = 60,
        retries: int = 2,
        backoff_s: float = 0.5,
        max_tokens: int = 1024,
        response_format: ResponseFormat = "json_schema",
    ) -> None:
        if response_format not in ("auto", "json_schema", "json_object"):
            raise ValueError(
                f"response_format must be auto, json_schema or json_object, not {response_format!r}"
            )
        self.http = EndpointHTTP(
            base_url,
            "chat/completions",
            what=what,
            model=model,
            api_key=api_key,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
        )
        self.url = self.http.url
        self.model = model
        self.what = what
        self.max_tokens = max_tokens
        self.response_format = response_format
        # The form requests use now; "auto" starts with json_schema and may settle on json_object.
        self.form: Literal["json_schema", "json_object"] = (
            "json_object" if response_format == "json_object" else "json_schema"
        )
        self._probing = response_format == "auto"
        self.tokens_used = 0

    @classmethod
    def from_endpoint(
        cls, endpoint: EndpointSettings, *, what: str, max_tokens: int = 1024
    ) -> JSONChatClient:
        if not endpoint.url:
            raise ValueError(f"the {what} endpoint has no URL")
        return cls(
            endpoint.url,
            endpoint.model,
            what=what,
            api_key=endpoint.key(),
            timeout_s=endpoint.timeout_s,
            retries=endpoint.retries,
            max_tokens=max_tokens,
            response_format=endpoint.response_format,
        )

    def close(self) -> None:
        self.http.close()

    def body(
        self, messages: list[dict[str, Any]], *, schema: dict[str, Any], name: str
    ) -> dict[str, Any]:
        if self.form == "json_schema":  # OpenAI / vLLM form
            fmt: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            }
        else:  # llama.cpp server form
            fmt = {"type": "json_object", "schema": schema}
        return {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "response_format": fmt,
        }

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any],
        name: str,
        validate: Callable[[Any], T],
    ) -> T:
        return self.http.call(
            lambda: self._post(messages, schema=schema, name=name),
            lambda resp: self._parse(resp, validate),
            retry_output=ChatOutputError,
        )

    def _post(
        self, messages: list[dict[str, Any]], *, schema: dict[str, Any], name: str
    ) -> httpx.Response:
        resp = self.http.post(self.body(messages, schema=schema, name=name))
        if self._probing and resp.status_code in (400, 422, 500):
            # "auto": the server may only know llama.cpp's form. Try it once; keep it only if
            # the server takes it, else report the first error as it was.
            self.form = "json_object"
            retry = self.http.post(self.body(messages, schema=schema, name=name))
            if retry.status_code >= 400:
                self.form = "json_schema"
                return resp
            log.info(
                "%s server %s refused json_schema (HTTP %d); using json_object with a schema",
                self.what, self.url, resp.status_code,
            )  # fmt: skip
            resp = retry
        if resp.status_code < 400:
            self._probing = False  # the form that worked stays
        return resp

    def _parse(self, resp: httpx.Response, validate: Callable[[Any], T]) -> T:
        try:
            data = resp.json()
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise ChatOutputError(
                f"{self.what} server {self.url} sent no chat completion ({type(e).__name__}): "
                f"{snippet(resp.text)}"
            ) from e
        usage = data.get("usage") or {}
        self.tokens_used += int(usage.get("total_tokens") or 0)
        if not isinstance(content, str) or not content.strip():
            raise ChatOutputError(
                f"{self.what} server {self.url} sent an empty message: {snippet(resp.text)}"
            )
        try:
            return validate(json.loads(_unfence(content)))
        except (ValueError, ValidationError) as e:
            hint = (
                " (finish_reason=length: raise max_tokens)"
                if choice.get("finish_reason") == "length"
                else ""
            )
            kind = (
                "invalid JSON"
                if isinstance(e, json.JSONDecodeError)
                else f"not a valid {self.what}"
            )
            raise ChatOutputError(
                f"{self.what} server {self.url} answered with {kind}{hint}: {snippet(content)}"
            ) from e


def _unfence(content: str) -> str:
    m = _FENCE.match(content)
    return m.group(1).strip() if m else content.strip()

"""JSONChatClient's response_format="auto": the form each OpenAI-compatible server accepts.

Scripted servers on 127.0.0.1 answer the way the real ones do: vLLM takes
``{"type": "json_schema", ...}``; llama.cpp's server answers that with HTTP 500 ("only 'text' or
'json_object'") and takes ``{"type": "json_object", "schema": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openai_stub import OpenAIStub, Reply, Request, chat_completion, error_body

from avas.errors import DependencyError
from avas.llm.openai_chat import JSONChatClient

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ok"],
    "properties": {"ok": {"type": "boolean"}},
}


def _server(accepts: set[str]) -> OpenAIStub:
    def respond(req: Request) -> Reply:
        fmt = req.body["response_format"]
        valid = (fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == SCHEMA) or (
            fmt["type"] == "json_object" and fmt.get("schema") == SCHEMA
        )
        if fmt["type"] in accepts and valid:
            return Reply(200, chat_completion({"ok": True}, tokens=7))
        # llama.cpp's server: a 500 naming the forms it knows.
        return Reply(500, error_body("response_format type must be text or json_object"))

    return OpenAIStub(respond)


Serve = Callable[[set[str]], tuple[str, OpenAIStub]]


def _forms(stub: OpenAIStub) -> list[str]:
    return [body["response_format"]["type"] for body in stub.bodies]


@pytest.fixture
def serve() -> Iterator[Serve]:
    started: list[OpenAIStub] = []

    def start(accepts: set[str]) -> tuple[str, OpenAIStub]:
        started.append(_server(accepts))
        return started[-1].v1, started[-1]

    yield start
    for stub in started:
        stub.close()


def _ask(chat: JSONChatClient) -> Any:
    messages = [{"role": "user", "content": "ok?"}]
    return chat.complete(messages, schema=SCHEMA, name="check", validate=lambda d: d)


def test_auto_settles_on_json_object_for_llama_cpp(serve: Serve) -> None:
    url, stub = serve({"json_object"})
    chat = JSONChatClient(url, "m", response_format="auto", retries=0)
    assert _ask(chat) == {"ok": True} and _ask(chat) == {"ok": True}
    # One refused probe, then llama.cpp's form for this request and every later one.
    assert _forms(stub) == ["json_schema", "json_object", "json_object"]
    assert chat.form == "json_object"


def test_auto_keeps_json_schema_for_vllm(serve: Serve) -> None:
    url, stub = serve({"json_schema", "json_object"})
    chat = JSONChatClient(url, "m", response_format="auto", retries=0)
    assert _ask(chat) == {"ok": True} and _ask(chat) == {"ok": True}
    assert _forms(stub) == ["json_schema", "json_schema"] and chat.form == "json_schema"


def test_fixed_json_schema_does_not_fall_back(serve: Serve) -> None:
    url, stub = serve({"json_object"})
    chat = JSONChatClient(url, "m", response_format="json_schema", retries=0)
    with pytest.raises(DependencyError, match="HTTP 500"):
        _ask(chat)
    assert _forms(stub) == ["json_schema"]


def test_auto_reports_the_first_error_when_no_form_works(serve: Serve) -> None:
    url, stub = serve(set())
    chat = JSONChatClient(url, "m", response_format="auto", retries=0)
    with pytest.raises(DependencyError, match=r"HTTP 500: .*json_object"):
        _ask(chat)
    assert _forms(stub) == ["json_schema", "json_object"] and chat.form == "json_schema"

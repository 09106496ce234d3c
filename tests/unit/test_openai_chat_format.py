"""JSONChatClient's response_format="auto": the form each OpenAI-compatible server accepts.

Scripted servers on 127.0.0.1 answer the way the real ones do: vLLM takes
``{"type": "json_schema", ...}``; llama.cpp's server answers that with HTTP 500 ("only 'text' or
'json_object'") and takes ``{"type": "json_object", "schema": ...}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from avas.errors import DependencyError
from avas.llm.openai_chat import JSONChatClient

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ok"],
    "properties": {"ok": {"type": "boolean"}},
}


def _server(accepts: set[str]) -> tuple[ThreadingHTTPServer, list[str]]:
    forms: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fmt = body["response_format"]
            forms.append(fmt["type"])
            valid = (fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == SCHEMA) or (
                fmt["type"] == "json_object" and fmt.get("schema") == SCHEMA
            )
            if fmt["type"] in accepts and valid:
                reply: dict[str, Any] = {
                    "choices": [{"message": {"role": "assistant", "content": '{"ok": true}'}}],
                    "usage": {"total_tokens": 7},
                }
                status = 200
            else:
                # llama.cpp's server: a 500 naming the forms it knows.
                reply = {"error": {"message": "response_format type must be text or json_object"}}
                status = 500
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, forms


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[ThreadingHTTPServer] = []

    def start(accepts: set[str]) -> tuple[str, list[str]]:
        httpd, forms = _server(accepts)
        started.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/v1", forms

    yield start
    for httpd in started:
        httpd.shutdown()


def _ask(chat: JSONChatClient) -> Any:
    messages = [{"role": "user", "content": "ok?"}]
    return chat.complete(messages, schema=SCHEMA, name="check", validate=lambda d: d)


def test_auto_settles_on_json_object_for_llama_cpp(serve: Any) -> None:
    url, forms = serve({"json_object"})
    chat = JSONChatClient(url, "m", response_format="auto", retries=0)
    assert _ask(chat) == {"ok": True} and _ask(chat) == {"ok": True}
    # One refused probe, then llama.cpp's form for this request and every later one.
    assert forms == ["json_schema", "json_object", "json_object"]
    assert chat.form == "json_object"


def test_auto_keeps_json_schema_for_vllm(serve: Any) -> None:
    url, forms = serve({"json_schema", "json_object"})
    chat = JSONChatClient(url, "m", response_format="auto", retries=0)
    assert _ask(chat) == {"ok": True} and _ask(chat) == {"ok": True}
    assert forms == ["json_schema", "json_schema"] and chat.form == "json_schema"


def test_fixed_json_schema_does_not_fall_back(serve: Any) -> None:
    url, forms = serve({"json_object"})
    chat = JSONChatClient(url, "m", response_format="json_schema", retries=0)
    with pytest.raises(DependencyError, match="HTTP 500"):
        _ask(chat)
    assert forms == ["json_schema"]


def test_auto_reports_the_first_error_when_no_form_works(serve: Any) -> None:
    url, forms = serve(set())
    chat = JSONChatClient(url, "m", response_format="auto", retries=0)
    with pytest.raises(DependencyError, match=r"HTTP 500: .*json_object"):
        _ask(chat)
    assert forms == ["json_schema", "json_object"] and chat.form == "json_schema"

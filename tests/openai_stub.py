"""One OpenAI-compatible server for the tests: real HTTP on loopback, scripted answers, and a
record of every request it got, so a test asserts on the request contract the client really sent.

    def respond(req: Request) -> Reply:
        return Reply(200, chat_completion({"ok": True}))

    with OpenAIStub(respond, check=my_contract) as stub:   # stub.v1: http://127.0.0.1:PORT/v1
        stub.queue(Reply(503, error_body("overloaded")))   # the next request fails once
        client = JSONChatClient(stub.v1, "m", retries=1)
        ...
        assert stub.bodies[0]["model"] == "m"

Each request is answered by the first of: ``check`` (a contract problem -> HTTP 400 naming it,
as a real server refuses a malformed request), the next queued reply, ``respond``. Only the
answers are canned, since no model can run in the suite.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    """One request as the server got it."""

    method: str
    path: str
    headers: Message  # case-insensitive .get(), like the server's own view
    raw: bytes
    body: Any  # the parsed JSON body; None when it was not JSON


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded; bytes are sent as they are
    delay_s: float = 0.0  # wait before answering (a slow or hung server)


@dataclass(frozen=True)
class Slow:
    """A queued entry: wait ``delay_s``, then answer as ``respond`` would."""

    delay_s: float


Responder = Callable[[Request], Reply]
Queued = Reply | Slow | Responder


def error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message}}


def chat_completion(
    content: Any, *, model: str = "stub", tokens: int = 0, finish_reason: str = "stop"
) -> dict[str, Any]:
    """A chat completion whose message is ``content`` (a non-string is sent as its JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return {
        "id": "cmpl-stub",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"total_tokens": tokens},
    }


def image_parts(body: Any) -> list[dict[str, Any]]:
    """The ``image_url`` parts of a chat body's messages."""
    messages = body.get("messages", []) if isinstance(body, dict) else []
    return [
        part
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") == "image_url"
    ]


def _not_served(req: Request) -> Reply:
    return Reply(404, error_body(f"no answer scripted for {req.path}"))


class OpenAIStub:
    """A threaded HTTP server on a free loopback port; close() (or ``with``) stops it."""

    def __init__(
        self,
        respond: Responder = _not_served,
        *,
        check: Callable[[Request], str | None] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:  # tests never listen beyond loopback
            raise ValueError(f"the stub serves on loopback only, not {host}")
        self.respond = respond
        self.check = check
        self.requests: list[Request] = []
        self.inflight = 0
        self.max_inflight = 0
        self._queued: list[Queued] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        port = self._server.server_address[1]
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        self.v1 = f"{self.url}/v1"

    @property
    def bodies(self) -> list[Any]:
        with self._lock:
            return [r.body for r in self.requests]

    def queue(self, *entries: Queued) -> None:
        """Answer the next requests (that pass ``check``) with these, in order."""
        with self._lock:
            self._queued.extend(entries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> OpenAIStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving -------------------------------------------------------------------------------

    def _answer(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
        problem = self.check(req) if self.check is not None else None
        if problem is not None:
            return Reply(400, error_body(problem))
        with self._lock:
            entry = self._queued.pop(0) if self._queued else None
        if isinstance(entry, Reply):
            return entry
        if isinstance(entry, Slow):
            time.sleep(entry.delay_s)
            return self.respond(req)
        return (entry or self.respond)(req)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                req = Request(self.command, self.path, self.headers, raw, body)
                with stub._lock:
                    stub.inflight += 1
                    stub.max_inflight = max(stub.max_inflight, stub.inflight)
                try:
                    reply = stub._answer(req)
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                finally:
                    # Out of flight before the reply leaves: the client may send its next
                    # request at once.
                    with stub._lock:
                        stub.inflight -= 1
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
                payload = data if isinstance(data, bytes) else data.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (a timeout test)
                    pass

        return Handler


def chat_problem(
    req: Request, *, model: str, form: str = "json_schema", with_images: bool = False
) -> str | None:
    """What a real chat-completions server (and our contract) refuses in ``req``, if anything:
    the path, the model, the structured-output form, and for a VLM JPEG data-URI images."""
    body = req.body
    if req.path != "/v1/chat/completions":
        return f"unknown path {req.path}"
    if not isinstance(body, dict) or body.get("model") != model:
        return "model missing or wrong"
    fmt = body.get("response_format")
    if not isinstance(fmt, dict) or fmt.get("type") != form:
        return f"response_format must be {form}, not {fmt}"
    if with_images:
        images = image_parts(body)
        jpeg = "data:image/jpeg;base64,"
        if not images or not all(p["image_url"]["url"].startswith(jpeg) for p in images):
            return "want JPEG data-URI images"
    return None

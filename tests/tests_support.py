"""Helpers shared by test modules (import as `tests_support`; pytest puts tests/ on the path)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(relative: str) -> Path:
    """A file under ../shared, or a skip naming what is missing (users' clones have no shared/)."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared exists only on the project's machines")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def udp_bound(port: int) -> bool:
    """Whether some process has bound 127.0.0.1:port for UDP (a receiver listening)."""
    rows = Path("/proc/net/udp").read_text().splitlines()[1:]
    return any(row.split()[1] == f"0100007F:{port:04X}" for row in rows)


def wait_udp_bound(
    port: int, *, timeout_s: float, alive: Callable[[], bool] = lambda: True
) -> bool:
    """Wait until a receiver has bound 127.0.0.1:port for UDP (datagrams sent before are lost);
    False when ``timeout_s`` passes or ``alive`` (the receiver's process) turns false first."""
    deadline = time.monotonic() + timeout_s
    while alive() and not udp_bound(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive() and udp_bound(port)


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn  # lazily: callers skip their module when it is missing

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def parse_sse(lines: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` pairs of a server-sent-events body; comments (keep-alives) are skipped."""
    messages: list[tuple[str, dict[str, Any]]] = []
    event, data = "message", ""
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            messages.append((event, json.loads(data)))
            event, data = "message", ""
    return messages

"""/healthz latency while many SSE watchers are connected (all on loopback).

.venv/bin/python -m benchmarks.sse_health --watchers 100 --probes 200

Starts the real app under uvicorn on 127.0.0.1 over a fresh home, opens N `/alerts/stream`
watchers (each idle: no monitor writes alerts) and, with them connected, times sequential
/healthz and /videos requests. Before async SSE each idle watcher held a worker thread.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from avas.config import Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.service import Service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _run(base: str, watchers: int, probes: int) -> dict[str, list[float]]:
    limits = httpx.Limits(max_connections=watchers + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        opened = asyncio.Event()
        connected = 0

        async def watch() -> None:
            nonlocal connected
            async with client.stream("GET", "/alerts/stream") as response:
                connected += 1
                if connected == watchers:
                    opened.set()
                async for _ in response.aiter_lines():
                    pass

        tasks = [asyncio.create_task(watch()) for _ in range(watchers)]
        await asyncio.wait_for(opened.wait(), timeout=60)
        await asyncio.sleep(0.5)
        times: dict[str, list[float]] = {"/healthz": [], "/videos": []}
        async with httpx.AsyncClient(base_url=base, timeout=60) as probe:
            for _ in range(probes):
                for path in times:
                    t0 = time.perf_counter()
                    reply = await probe.get(path)
                    times[path].append((time.perf_counter() - t0) * 1000)
                    assert reply.status_code == 200, reply.text
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        service = Service(Settings(home=Path(home)))
        port = _free_port()
        app = create_app(service, ApiSettings(port=port))
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            times = asyncio.run(_run(f"http://127.0.0.1:{port}", args.watchers, args.probes))
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            service.close()
    print(f"{args.watchers} idle SSE watchers on /alerts/stream, {args.probes} probes each")
    print(f"{'endpoint':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for path, values in times.items():
        print(
            f"{path:<10} {statistics.median(values):>8.1f} {_pct(values, 0.95):>8.1f} "
            f"{max(values):>8.1f}"
        )


if __name__ == "__main__":
    main()

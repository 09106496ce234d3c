"""scripts/neo4j-server on a throwaway port and data folder: starts a real Neo4j 5.26 from the
cached Maven Central jars, listens on 127.0.0.1 only, takes the store's login, and `stop` ends
exactly the process that `start` started.

    .venv/bin/pytest tests/integration/test_neo4j_server_script.py -q   # needs Java 17 and Maven
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from avas.errors import DependencyError
from avas.graph.neo4j_store import Neo4jEventStore

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "neo4j-server"
PASSWORD = "script-test-password"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("java") is None or shutil.which("mvn") is None,
        reason="the Neo4j launcher needs Java 17 and Maven",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=600
    )


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the listening TCP sockets on ``port`` (IPv4 and IPv6 tables)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def test_start_status_stop(tmp_path: Path) -> None:
    port = free_port()
    env = os.environ | {
        "AVAS_NEO4J_PORT": str(port),
        "AVAS_NEO4J_DATA": str(tmp_path / "neo4j"),
        "AVAS_NEO4J__PASSWORD": PASSWORD,
    }
    started = run(env, "start")
    try:
        assert started.returncode == 0, started.stderr
        uri = started.stdout.strip()
        assert uri == f"bolt://127.0.0.1:{port}"
        pid = int((tmp_path / "neo4j" / "avas-neo4j.pid").read_text())
        status = run(env, "status")
        assert (status.returncode, status.stdout.strip()) == (0, f"running (pid {pid}) {uri}")
        # Loopback only: 127.0.0.1, as IPv4 (0100007F) or IPv4-mapped IPv6.
        addresses = listening_addresses(port)
        assert addresses and all(a.endswith("0100007F") for a in addresses), addresses
        again = run(env, "start")  # idempotent: the same server, no second one
        assert (again.returncode, again.stdout.strip()) == (0, uri)

        store = Neo4jEventStore(uri, "neo4j", PASSWORD, vector_dimensions=8).connect()
        assert store.videos() == []
        store.close()
        with pytest.raises(DependencyError, match=uri):
            Neo4jEventStore(uri, "neo4j", "wrong-password", vector_dimensions=8).connect()
    finally:
        stopped = run(env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not Path(f"/proc/{pid}").exists()
    assert run(env, "status").returncode == 3

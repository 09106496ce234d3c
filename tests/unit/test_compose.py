"""docker-compose.yml is checked structurally (no Docker engine runs in the suite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_have_healthchecks_and_wiring() -> None:
    services = _compose()["services"]
    assert {"neo4j", "vllm", "api"} <= services.keys()
    for name in ("neo4j", "vllm", "api"):
        assert "test" in services[name]["healthcheck"], name
    assert services["vllm"]["profiles"] == ["gpu"]  # never part of a CPU deployment
    api = services["api"]
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["environment"]["AVAS_NEO4J__URI"] == "bolt://neo4j:7687"
    assert api["environment"]["AVAS_PERCEPTION__CAPTIONER_URL"] == "http://vllm:8001/v1"
    declared = set(_compose()["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("$", ".", "/")) or source in declared, volume


def test_ports_are_published_on_loopback_only() -> None:
    services = _compose()["services"]
    for name in ("neo4j", "vllm"):  # no auth (vLLM) or a well-known password (Neo4j)
        for port in services[name]["ports"]:
            assert port.startswith("127.0.0.1:"), (name, port)
    (api_port,) = services["api"]["ports"]
    assert api_port.startswith("${AVAS_API_PUBLISH:-127.0.0.1}:"), api_port


def test_the_api_requires_a_real_token() -> None:
    token = _compose()["services"]["api"]["environment"]["AVAS_API__TOKEN"]
    # ${VAR:?message}: compose refuses to start without it (an empty token stops the API anyway)
    assert token.startswith("${AVAS_API_TOKEN:?"), token


def test_dockerfile_pins_cpu_torch_and_serves() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in text and "download.pytorch.org/whl/cpu" in text
    assert 'CMD ["avas", "serve"' in text


def test_compose_config_validates() -> None:
    """`docker-compose config` parses and validates the file without a Docker engine."""
    import shutil
    import subprocess

    import pytest

    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    import os

    env = {k: v for k, v in os.environ.items() if k != "AVAS_API_TOKEN"}
    for args in ([], ["--profile", "gpu"]):
        proc = subprocess.run(
            [tool, *args, "config", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**env, "AVAS_API_TOKEN": "a-real-token-0123456789"},
        )
        assert proc.returncode == 0, proc.stderr
    missing = subprocess.run(
        [tool, "config", "-q"], cwd=ROOT, capture_output=True, text=True, check=False, env=env
    )
    assert missing.returncode != 0 and "AVAS_API_TOKEN" in missing.stderr

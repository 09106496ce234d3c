"""schemathesis against the served API (uvicorn on 127.0.0.1; the real app, a real embedded store):
no server error, and every status the API returns is one its OpenAPI documents.

Few examples per operation and a fixed derandomized seed: a property run that stays short and
repeatable. A finding fails the test with schemathesis' own report for each operation. The
Guard's refusals (401, 411, 413, 421, 507) come before any parameter is read, so generated cases
never meet them: each is sent as one explicit case per operation to a second, guarded server.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests_support import serve_app

schemathesis = pytest.importorskip("schemathesis", reason="the dev extra (schemathesis)")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import status_code_conformance  # noqa: E402

from avas.config import Settings  # noqa: E402
from avas.interfaces.api import ApiSettings, create_app  # noqa: E402
from avas.interfaces.api.guard import guard_statuses  # noqa: E402
from avas.service import Service  # noqa: E402

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance]
TOKEN = "schemathesis-guard-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PARAMS = {"video_id": "clip", "job_id": "nope"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The served app's schema, over a store holding one real (tiny) video, "clip"."""
    home = tmp_path_factory.mktemp("schemathesis-home")
    media = tmp_path_factory.mktemp("schemathesis-media")
    (media / "notes.txt").write_text("not a video")
    clip = media / "clip.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi"),
            *("-i", "testsrc=size=320x240:rate=10:duration=3", "-pix_fmt", "yuv420p", str(clip)),
        ],
        check=True,
    )
    service = Service(Settings(home=home))
    try:
        service.ingest(clip, name="clip")
        app = create_app(service, ApiSettings(media_roots=[media]))
        with serve_app(app) as base_url:  # one server, one lifespan, for every case
            yield schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    finally:
        service.close()


@pytest.fixture(scope="module")
def guarded_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second server with a token, the smallest body cap and a full upload folder."""
    home = tmp_path_factory.mktemp("schemathesis-guarded")
    uploads = home / "uploads"
    uploads.mkdir()
    (uploads / "earlier.mp4").write_bytes(b"\0" * 2048)
    service = Service(Settings(home=home))
    api = ApiSettings(
        token=TOKEN,
        max_body_bytes=1024,
        max_upload_bytes=1,  # + 64 KiB the Guard allows for the multipart framing
        max_upload_storage_bytes=1024,
        upload_dir=uploads,
    )
    try:
        with serve_app(create_app(service, api)) as base_url:
            yield schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    finally:
        service.close()


def _run_operation(operation: object) -> str | None:
    failure: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # a fixed seed: the same cases every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    def check(case: object) -> None:
        try:
            case.call_and_validate(checks=CHECKS)  # type: ignore[attr-defined]
        except (Exception, BaseExceptionGroup) as exc:  # keep the first finding of an operation
            if not failure:
                failure.append(f"{operation.label}: {exc}")  # type: ignore[attr-defined]

    check()
    return failure[0] if failure else None


def test_schemathesis_finds_nothing(schema: Any) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    findings = [f for f in (_run_operation(op) for op in operations) if f is not None]
    assert not findings, "\n\n".join(findings)


def _trip(status: int) -> dict[str, Any]:
    """What trips the guard behind ``status``: it answers from the headers, before a body."""
    trips: dict[int, dict[str, Any]] = {
        421: {"headers": {**AUTH, "Host": "attacker.invalid"}},
        401: {"headers": {}},
        411: {"headers": AUTH, "data": iter([b"{}"])},  # an iterator goes chunked: no length
        413: {"headers": AUTH, "data": b"x" * (66 * 1024)},  # over both caps of the server
        507: {"headers": AUTH, "data": b"x" * 100},  # the upload folder is over its cap already
    }
    return trips[status]


def test_guard_refusals_are_documented(guarded_schema: Any) -> None:
    """Each operation, each status the Guard may send it: that status, documented, ErrorOut."""
    findings, tried = [], 0
    for result in guarded_schema.get_all_operations():
        operation = result.ok()
        path, method = operation.path, operation.method.upper()
        params = {k: v for k, v in PARAMS.items() if f"{{{k}}}" in path}
        for status in guard_statuses(path, method):
            case = operation.Case(path_parameters=params)
            # 507 is a 5xx by design (the server's disk, not a fault): conformance alone there.
            checks = [status_code_conformance] if status == 507 else CHECKS
            try:
                response = case.call_and_validate(checks=checks, timeout=30, **_trip(status))
            except (Exception, BaseExceptionGroup) as exc:
                findings.append(f"{method} {path} ({status}): {exc}")
                continue
            if response.status_code != status or set(response.json()) != {"detail"}:
                findings.append(f"{method} {path}: {response.status_code} {response.text}")
            tried += 1
    assert not findings, "\n\n".join(findings)
    assert tried >= 60, tried  # 421 and 413 on each of 21 operations, 401 on all but 2, ...


@pytest.mark.parametrize(
    ("path", "method", "parts", "status"),
    [
        # the findings of the first full run, each pinned as one explicit case
        ("/ingest", "POST", {"body": {"path": "clip\x00.mp4"}}, 400),
        ("/ingest", "POST", {"body": {"path": "missing.mp4"}}, 400),
        (
            "/videos/{video_id}/events",
            "GET",
            {"path_parameters": {"video_id": "clip"}, "query": {"start_ms": 5000, "end_ms": 10}},
            400,
        ),
        ("/search", "GET", {"query": {"q": "anything", "video": "nope"}}, 404),
    ],
)
def test_known_findings_are_documented(
    schema: Any, path: str, method: str, parts: dict[str, Any], status: int
) -> None:
    case = schema[path][method].Case(**parts)
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == status, response.text
    assert "detail" in response.json()

"""The Guard's statuses (401, 411, 413, 421, 507) in the OpenAPI and on the wire.

For every operation in /openapi.json: each status the Guard can send it is documented there with
the ErrorOut body, none it cannot send is, and a real request that trips that guard (through the
app's test client, in process) gets exactly that status and a ``{"detail": str}`` body.

Where each guard applies is written out here, apart from the code under test, so a Guard or a
documentation change that drifts from it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from avas.config import Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.service import Service

TOKEN = "guard-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 1024  # the smallest the settings allow
MAX_UPLOAD = 1
MULTIPART_OVERHEAD = 64 * 1024  # what the Guard allows an upload on top of MAX_UPLOAD
STORAGE = 16
GUARD_STATUSES = (401, 411, 413, 421, 507)
OPEN = {("/healthz", "get"), ("/readyz", "get")}  # served without a token
PARAMS = {"video_id": "clip", "job_id": "nope"}


def expected(path: str, method: str) -> set[int]:
    """Where each guard applies: the Host check and the body cap to every request, the token to
    all but the open operations, a missing Content-Length to bodies, a full folder to uploads."""
    found = {421, 413}
    if (path, method) not in OPEN:
        found.add(401)
    if method in ("post", "put", "patch"):
        found.add(411)
    if (path, method) == ("/ingest/upload", "post"):
        found.add(507)
    return found


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("guard-home")
    uploads = home / "uploads"
    uploads.mkdir()
    (uploads / "earlier.mp4").write_bytes(b"\0" * (STORAGE + 1))  # the folder is full already
    service = Service(Settings(home=home))
    api = ApiSettings(
        token=TOKEN,
        max_body_bytes=MAX_BODY,
        max_upload_bytes=MAX_UPLOAD,
        max_upload_storage_bytes=STORAGE,
        upload_dir=uploads,
    )
    try:
        with TestClient(create_app(service, api), base_url="http://127.0.0.1") as c:
            yield c
    finally:
        service.close()


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    doc: dict[str, Any] = client.get("/openapi.json").json()  # open: no token needed
    return doc


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    return [(path, method) for path, ops in openapi["paths"].items() for method in ops]


def _trip(client: TestClient, status: int, path: str, method: str) -> httpx2.Response:
    """A real request that only the guard behind ``status`` refuses."""
    url = path.format(**PARAMS)
    verb = method.upper()
    if status == 421:
        return client.request(verb, url, headers={**AUTH, "Host": "attacker.invalid"})
    if status == 401:
        return client.request(verb, url)
    if status == 411:  # an iterator body goes out chunked, with no Content-Length
        return client.request(verb, url, headers=AUTH, content=iter([b"{}"]))
    if status == 413:
        cap = MAX_UPLOAD + MULTIPART_OVERHEAD if path == "/ingest/upload" else MAX_BODY
        return client.request(verb, url, headers=AUTH, content=b"x" * (cap + 1))
    assert status == 507
    return client.request(verb, url, headers=AUTH, files={"file": ("a.mp4", b"\0\0\0\0")})


def test_every_operation_is_covered(openapi: dict[str, Any]) -> None:
    operations = _operations(openapi)
    assert ("/streams", "get") in operations and ("/ingest/upload", "post") in operations
    assert len(operations) >= 20, operations


def test_each_guard_status_is_documented_where_it_applies(openapi: dict[str, Any]) -> None:
    wrong = []
    for path, method in _operations(openapi):
        responses = openapi["paths"][path][method]["responses"]
        documented = {s for s in GUARD_STATUSES if str(s) in responses}
        if documented != expected(path, method):
            wrong.append(f"{method.upper()} {path}: {sorted(documented)}")
        for status in documented & expected(path, method):
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, method, status)
    assert not wrong, "documented guard statuses differ from where they apply:\n" + "\n".join(wrong)
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"] and error["properties"]["detail"]["type"] == "string"
    assert "WWW-Authenticate" in openapi["paths"]["/videos"]["get"]["responses"]["401"]["headers"]


@pytest.mark.parametrize("status", GUARD_STATUSES)
def test_a_request_that_trips_a_guard_gets_its_documented_status(
    client: TestClient, openapi: dict[str, Any], status: int
) -> None:
    tried = 0
    for path, method in _operations(openapi):
        if status not in expected(path, method):
            continue
        response = _trip(client, status, path, method)
        label = f"{method.upper()} {path}"
        assert response.status_code == status, (label, response.status_code, response.text)
        body = response.json()
        assert set(body) == {"detail"} and isinstance(body["detail"], str), (label, body)
        assert str(status) in openapi["paths"][path][method]["responses"], label
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer", label
        tried += 1
    assert tried >= 1


def test_open_operations_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    assert client.get("/readyz").status_code == 200
    assert client.get("/videos").status_code == 401
    assert client.get("/videos", headers=AUTH).json() == []


def test_a_full_upload_folder_wrote_nothing(client: TestClient, tmp_path: Path) -> None:
    uploads = Path(client.app.state.avas.upload_dir)  # type: ignore[attr-defined]
    before = sorted(p.name for p in uploads.rglob("*"))
    response = _trip(client, 507, "/ingest/upload", "post")
    assert response.status_code == 507
    assert sorted(p.name for p in uploads.rglob("*")) == before == ["earlier.mp4"]

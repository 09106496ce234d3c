"""The HTTP API against the real app and the real embedded store (the session's ingested video).

Mutating tests (ingest, upload, delete) use their own store, so the session's store keeps one video.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tests_support import parse_sse

from avas.config import Settings
from avas.interfaces.api import ApiSettings, create_app
from avas.media.sample import (
    PlantedFact,
    SampleManifest,
    SampleSpec,
    SceneSpec,
    SpeechSpec,
    make_sample_video,
)
from avas.pipeline import IngestReport
from avas.service import Service

TOKEN = "test-token-0123456789abcdef"


def _client(service: Service, **api: object) -> TestClient:
    # A Host the server accepts (the Host allow-list refuses TestClient's "testserver").
    return TestClient(
        create_app(service, ApiSettings.model_validate(api)), base_url="http://127.0.0.1"
    )


@pytest.fixture(scope="module")
def media_root(sample: SampleManifest) -> Path:
    return Path(sample.path).resolve().parent


@pytest.fixture(scope="module")
def client(service: Service, ingested: IngestReport, media_root: Path) -> Iterator[TestClient]:
    with _client(service, media_roots=[media_root]) as c:
        yield c


@pytest.fixture(scope="module")
def budget(sample: SampleManifest) -> PlantedFact:
    (fact,) = [f for f in sample.speech() if "budget" in f.text.lower()]
    return fact


# ---------- read side ----------


def test_health_ready_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    assert client.get("/readyz").status_code == 200
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/videos", "/videos/{video_id}/events", "/ask", "/ingest/{job_id}/events"):
        assert path in paths


def test_videos_list_one_and_unknown(client: TestClient, ingested: IngestReport) -> None:
    (video,) = client.get("/videos").json()
    assert video["id"] == "short" and video["status"] == "complete"
    assert video["events"] == ingested.events and "path" not in video
    assert client.get("/videos/short").json()["media_url"] == "/videos/short/media"
    missing = client.get("/videos/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert client.get("/videos/bad%20id!").status_code == 422


def test_events_in_a_span(client: TestClient, budget: PlantedFact) -> None:
    span = budget.span
    events = client.get(
        "/videos/short/events", params={"start_ms": span.start_ms, "end_ms": span.end_ms}
    ).json()
    assert events, "no event overlaps the budget speech"
    for e in events:
        assert e["span"]["start_ms"] < span.end_ms and span.start_ms < e["span"]["end_ms"]
    assert any("budget" in " ".join(e["speech"]).lower() for e in events)
    assert len(client.get("/videos/short/events").json()) >= len(events)
    assert client.get("/videos/short/events?start_ms=5000&end_ms=10").status_code == 400
    assert client.get("/videos/short/events?start_ms=-1").status_code == 422


def test_graph_stats(client: TestClient, ingested: IngestReport) -> None:
    stats = client.get("/graph/stats").json()
    assert stats["videos"] == 1 and stats["nodes"]["event"] == ingested.events


def test_ask_streams_steps_then_a_cited_answer(client: TestClient, budget: PlantedFact) -> None:
    body = {"question": "What did the speaker say about the budget?", "video_id": "short"}
    with client.stream("POST", "/ask", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        messages = parse_sse(response.iter_lines())
    names = [name for name, _ in messages]
    assert names[-1] == "answer" and names.count("answer") == 1
    assert "step" in names[:-1] and set(names[:-1]) == {"step"}
    answer = messages[-1][1]
    assert answer["found"], answer["text"]
    first = answer["citations"][0]  # type: ignore[index]
    span = budget.span
    assert first["video_id"] == "short"
    assert first["span"]["start_ms"] < span.end_ms and span.start_ms < first["span"]["end_ms"]

    # The answer goes back as history for a follow-up.
    follow = {"question": "And what happened right after that?", "history": [answer]}
    sync = client.post("/ask/sync", json=follow)
    assert sync.status_code == 200 and sync.json()["question"] == follow["question"]


def test_ask_without_streaming(client: TestClient) -> None:
    body = {"question": "What text appears on screen?", "video_id": "short"}
    response = client.post("/ask", params={"stream": "false"}, json=body)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json()["citations"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "x" * 2_001},
        {"question": "budget?", "video_id": "../etc"},
        {"question": "budget?", "history": "not a list"},
        {"question": "budget?", "history": [{"text": "no question"}]},
    ],
)
def test_ask_refuses_bad_bodies(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/ask", json=body)
    assert response.status_code == 422, response.text


def test_ask_about_an_unknown_video(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "budget?", "video_id": "ghost"})
    assert response.status_code == 404 and "ghost" in response.json()["detail"]


# ---------- media ----------


def test_media_ranges(client: TestClient, sample: SampleManifest) -> None:
    data = Path(sample.path).read_bytes()
    full = client.get("/videos/short/media")
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-type"] == "video/mp4"

    part = client.get("/videos/short/media", headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206
    assert part.content == data[100:1124]
    assert part.headers["content-range"] == f"bytes 100-1123/{len(data)}"

    tail = client.get("/videos/short/media", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == data[-500:]

    beyond = client.get("/videos/short/media", headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


def test_stored_media_plays_without_configured_roots(
    service: Service, ingested: IngestReport
) -> None:
    with _client(service) as c:
        assert c.get("/videos/short/media", headers={"Range": "bytes=0-9"}).status_code == 206


def test_media_outside_the_roots_is_refused(
    service: Service, ingested: IngestReport, tmp_path: Path
) -> None:
    with _client(service, media_roots=[tmp_path]) as c:
        assert c.get("/videos/short/media").status_code == 403


# ---------- security ----------


def test_token_required_when_set(
    service: Service, ingested: IngestReport, media_root: Path
) -> None:
    with _client(service, token=SecretStr(TOKEN), media_roots=[media_root]) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 200
        for method, path in [("GET", "/videos"), ("GET", "/graph/stats"), ("POST", "/ask")]:
            refused = c.request(method, path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == "Bearer"
        assert c.get("/videos", headers={"Authorization": "Bearer wrong"}).status_code == 401
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert c.get("/videos", headers=good).status_code == 200
        assert c.get("/graph/stats", headers=good).status_code == 200
        # <video src> cannot send headers: the listing hands out a signed, expiring media URL;
        # the token itself is never accepted in a URL.
        assert c.get(f"/videos/short/media?access_token={TOKEN}").status_code == 401
        assert c.get(f"/videos?access_token={TOKEN}").status_code == 401
        signed = c.get("/videos/short", headers=good).json()["media_url"]
        assert signed.startswith("/videos/short/media?exp=") and TOKEN not in signed
        assert c.get(signed, headers={"Range": "bytes=0-9"}).status_code == 206
        assert c.get(signed.replace("sig=", "sig=0")).status_code == 401  # tampered
        assert c.get(signed.replace("/short/", "/other/")).status_code == 401  # another video
        assert c.get(signed.replace("/media?", "/events?")).status_code == 401  # not media
        exp = int(signed.split("exp=")[1].split("&")[0])
        assert c.get(signed.replace(f"exp={exp}", f"exp={exp + 1}")).status_code == 401


def test_token_off_means_open(client: TestClient) -> None:
    assert client.get("/videos").status_code == 200


def test_placeholder_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        ApiSettings(token=SecretStr("changeme"))


def test_ingest_paths_outside_the_roots_are_refused(client: TestClient, tmp_path: Path) -> None:
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"not really a video")
    for path in ("../../etc/passwd", "/etc/passwd", str(outside), "/dev/video0"):
        response = client.post("/ingest", json={"path": path})
        assert response.status_code == 403, (path, response.text)
        assert "outside" in response.json()["detail"]


@pytest.mark.parametrize("path", ["~/x.mp4", "~nosuchuser/x.mp4", "a\x00b.mp4"])
def test_odd_paths_are_bad_input_not_server_errors(client: TestClient, path: str) -> None:
    # No ~ expansion (clients name files under a root); a NUL byte is refused by name.
    response = client.post("/ingest", json={"path": path})
    assert response.status_code == 400, response.text
    assert "/" + str(Path.home()).strip("/") not in response.json()["detail"]


@pytest.fixture
def roots(tmp_path: Path) -> dict[str, Path]:
    """``media0`` (the root), ``media0-evil`` beside it (a string-prefix twin), a symlink to the
    root, and inside the root a symlink that points out of it."""
    media0, evil = tmp_path / "media0", tmp_path / "media0-evil"
    media0.mkdir()
    evil.mkdir()
    (media0 / "ok.mp4").write_bytes(b"inside")
    (evil / "x.mp4").write_bytes(b"beside the root")
    os.symlink(evil / "x.mp4", media0 / "escape.mp4")
    os.symlink(evil, media0 / "evil-dir")
    os.symlink(media0, tmp_path / "media-link")
    return {"root": media0, "evil": evil, "link": tmp_path / "media-link"}


def _ingest_status(service: Service, root: Path, path: str) -> int:
    with _client(service, media_roots=[root]) as c:
        return c.post("/ingest", json={"path": path}).status_code


@pytest.mark.parametrize("configured", ["root", "link"])
def test_a_sibling_folder_with_the_roots_name_as_prefix_is_outside(
    service: Service, roots: dict[str, Path], configured: str
) -> None:
    root = roots[configured]  # the root itself, or a symlink to it
    evil = roots["evil"]
    assert str(evil / "x.mp4").startswith(str(roots["root"]))  # the trap: a shared prefix
    assert _ingest_status(service, root, str(evil / "x.mp4")) == 403
    assert _ingest_status(service, root, "../media0-evil/x.mp4") == 403
    assert _ingest_status(service, root, str(root / ".." / "media0-evil" / "x.mp4")) == 403


@pytest.mark.parametrize("configured", ["root", "link"])
def test_symlinks_inside_a_root_pointing_out_are_refused(
    service: Service, roots: dict[str, Path], configured: str
) -> None:
    root = roots[configured]
    assert _ingest_status(service, root, "escape.mp4") == 403
    assert _ingest_status(service, root, "evil-dir/x.mp4") == 403
    assert _ingest_status(service, root, str(root / "escape.mp4")) == 403


def test_a_symlinked_root_still_admits_its_own_files(
    service: Service, roots: dict[str, Path]
) -> None:
    with _client(service, media_roots=[roots["link"]]) as c:
        ctx = c.app.state.avas  # type: ignore[attr-defined]
        for given in ("ok.mp4", str(roots["link"] / "ok.mp4"), str(roots["root"] / "ok.mp4")):
            assert ctx.allowed_path(given) == roots["root"] / "ok.mp4", given


def test_url_ingest_is_off_by_default(client: TestClient) -> None:
    response = client.post("/ingest", json={"url": "rtsp://camera.local/stream"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [{}, {"path": "a.mp4", "url": "rtsp://x/y"}, {"path": "a.mp4", "name": "bad name!"}],
)
def test_ingest_refuses_bad_bodies(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/ingest", json=body).status_code == 422


def test_unknown_job(client: TestClient) -> None:
    assert client.get("/ingest/nope").status_code == 404
    assert client.get("/ingest/nope/events").status_code == 404


# ---------- write side, in a store of its own ----------


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    spec = SampleSpec(
        scenes=[
            SceneSpec(
                duration_ms=4_000,
                background="red",
                text="ALPHA DOCK",
                speech=[SpeechSpec(offset_ms=500, text="The red scene comes first.")],
            ),
            SceneSpec(duration_ms=4_000, background="blue", text="BETA GATE"),
        ]
    )
    return make_sample_video(tmp_path_factory.mktemp("clips") / "clip.mp4", spec)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory, clip: SampleManifest) -> Iterator[TestClient]:
    svc = Service(Settings(home=tmp_path_factory.mktemp("api-home")))
    api = {"media_roots": [Path(clip.path).parent], "max_upload_bytes": 1_000_000}
    with _client(svc, **api) as c:
        yield c
    svc.close()


def _follow(c: TestClient, job_id: str) -> list[tuple[str, dict[str, object]]]:
    with c.stream("GET", f"/ingest/{job_id}/events") as response:
        assert response.status_code == 200
        return parse_sse(response.iter_lines())


def test_ingest_job_reports_progress_then_completes(
    scratch: TestClient, clip: SampleManifest
) -> None:
    started = scratch.post("/ingest", json={"path": "clip.mp4", "name": "clip"})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("queued", "running") and job["source"] == "clip.mp4"

    messages = _follow(scratch, job["id"])
    names = [name for name, _ in messages]
    assert names[-1] == "complete", messages[-1]
    progress = [data for name, data in messages if name == "progress" or data.get("progress")]
    assert progress, names
    report = messages[-1][1]["report"]
    assert report["video_id"] == "clip" and report["events"] >= 2  # type: ignore[index]

    status = scratch.get(f"/ingest/{job['id']}").json()
    assert status["status"] == "complete" and status["finished_at"]
    assert status["progress"]["media_ms"] == clip.duration_ms
    assert job["id"] in [j["id"] for j in scratch.get("/ingest").json()]
    assert [v["id"] for v in scratch.get("/videos").json()] == ["clip"]


def test_upload_then_ingest_then_delete(scratch: TestClient, clip: SampleManifest) -> None:
    data = Path(clip.path).read_bytes()
    files = {"file": ("my clip.mp4", data, "video/mp4")}
    started = scratch.post("/ingest/upload", files=files, data={"name": "uploaded"})
    assert started.status_code == 202, started.text
    messages = _follow(scratch, started.json()["id"])
    assert messages[-1][0] == "complete", messages[-1]

    media = scratch.get("/videos/uploaded/media", headers={"Range": "bytes=0-99"})
    assert media.status_code == 206 and media.content == data[:100]
    head = scratch.head("/videos/uploaded/media")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))

    assert scratch.delete("/videos/uploaded").status_code == 204
    assert scratch.get("/videos/uploaded").status_code == 404
    assert scratch.delete("/videos/uploaded").status_code == 404


def test_upload_limits(scratch: TestClient) -> None:
    too_big = {"file": ("big.mp4", b"\0" * 1_200_000, "video/mp4")}
    assert scratch.post("/ingest/upload", files=too_big).status_code == 413
    not_video = {"file": ("notes.txt", b"hello", "text/plain")}
    response = scratch.post("/ingest/upload", files=not_video)
    assert response.status_code == 400 and "notes.txt" in response.json()["detail"]
    assert scratch.post("/ingest/upload", data={"name": "x"}).status_code == 422


def test_a_broken_upload_fails_its_job(scratch: TestClient) -> None:
    files = {"file": ("broken.mp4", b"this is not a video at all", "video/mp4")}
    started = scratch.post("/ingest/upload", files=files)
    assert started.status_code == 202
    messages = _follow(scratch, started.json()["id"])
    name, job = messages[-1]
    assert name == "failed" and "broken.mp4" in str(job["error"])
    uploads = scratch.app.state.avas.upload_dir  # type: ignore[attr-defined]
    assert not any("broken" in p.name for p in uploads.rglob("*")), "a failed upload is removed"


@pytest.mark.parametrize("case", ["crafted.mkv", "playlist.mp4"])
def test_hostile_uploads_fail_their_job_and_the_server_goes_on(
    scratch: TestClient, tmp_path: Path, case: str
) -> None:
    """Issue 16's two files: an MKV whose second frame is stamped at 1e9 s (it once aborted the
    whole server in decord) and an HLS playlist named .mp4 (FFmpeg opened its target)."""
    path = tmp_path / case
    if case == "crafted.mkv":
        late = "setpts='if(eq(N\\,1)\\,1000000000/TB\\,PTS)'"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=s=64x64:r=1:d=2",
             "-vf", late, "-f", "matroska", str(path)],
            check=True,
        )  # fmt: skip
    else:
        target = tmp_path / "secret.ts"
        path.write_text(f"#EXTM3U\n#EXTINF:3,\n{target}\n#EXT-X-ENDLIST\n")
    before = scratch.get("/videos").json()
    started = scratch.post("/ingest/upload", files={"file": (case, path.read_bytes())})
    if started.status_code == 400:  # refused at the door, before any job: also fine
        assert case in started.json()["detail"]
    else:
        assert started.status_code == 202, started.text
        name, job = _follow(scratch, started.json()["id"])[-1]
        assert name == "failed" and case in str(job["error"]), job
        assert "secret" not in str(job["error"])
    assert scratch.get("/healthz").status_code == 200
    assert scratch.get("/videos").json() == before


def test_cors_origins_are_configurable(service: Service, ingested: IngestReport) -> None:
    origin = "http://localhost:5173"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    with _client(service, cors_origins=[origin]) as c:
        allowed = c.options("/ask", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == origin
        other = c.options("/ask", headers={**preflight, "Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with _client(service) as c:  # none configured: no CORS headers at all
        assert "access-control-allow-origin" not in c.get("/videos", headers=preflight).headers


def test_search_moments(service: Service, ingested: IngestReport, sample: SampleManifest) -> None:
    with _client(service) as c:
        moments = c.get("/search", params={"q": "HARBOR BRIDGE", "video": "short"}).json()
        (fact,) = [f for f in sample.texts() if "HARBOR" in f.text]
        first = moments[0]
        assert first["span"]["start_ms"] < fact.span.end_ms
        assert fact.span.start_ms < first["span"]["end_ms"]
        assert c.get("/search", params={"q": "zzqx qqzz"}).json() == []
        assert c.get("/search", params={"q": "x", "video": "nope"}).status_code == 404
        ranked = c.get("/search/videos", params={"q": "budget"}).json()
        assert ranked[0]["video_id"] == "short"

"""The visual modality end to end: a generated video ingested with an image embedder behind an
OpenAI-compatible embeddings server, then moment search that can only succeed through the frames.

The server (tests/fake_image_embeddings.py) decodes every keyframe it is sent and answers with
its mean colour, and maps "ocean" to blue, "tomato" to red: knowledge an image-text model has
and the offline caption ("Scene: mostly blue, bright") lacks. So "the ocean" finds the blue
scene only if real frames went through ingest, the store and the fused search.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_image_embeddings import MODEL, Script, serve
from openai_stub import OpenAIStub

from avas.config import ImageEmbeddingSettings, PerceptionSettings, Settings
from avas.service import Service
from graph_schema import TimeSpan

SCENE_MS = 4_000
COLOURS = ["red", "blue", "green"]


@pytest.fixture(scope="module")
def colour_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    out = tmp_path_factory.mktemp("media") / "colours.mp4"
    inputs: list[str] = []
    for colour in COLOURS:
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s=320x180:r=10:d={SCENE_MS / 1000}"]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex",
         f"concat=n={len(COLOURS)}:v=1:a=0", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[Script, OpenAIStub]]:
    script = Script()
    with serve(script) as stub:
        yield script, stub


def _service(home: Path, shared: Service, url: str | None) -> Service:
    settings = Settings(
        home=home,
        perception=PerceptionSettings(ocr="none", asr="none"),
        image_embedding=ImageEmbeddingSettings(
            backend="http" if url else "none", url=url, model=MODEL, frames_per_event=2
        ),
    )
    svc = Service(settings)
    svc.embedder = shared.embedder  # the session's text model: loading it again costs seconds
    return svc


@pytest.fixture(scope="module")
def visual(
    tmp_path_factory: pytest.TempPathFactory,
    colour_video: Path,
    fake_server: tuple[Script, OpenAIStub],
    service: Service,
) -> Iterator[Service]:
    svc = _service(tmp_path_factory.mktemp("visual-home"), service, fake_server[1].v1)
    svc.ingest(colour_video, name="colours")
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def offline(
    tmp_path_factory: pytest.TempPathFactory, colour_video: Path, service: Service
) -> Iterator[Service]:
    svc = _service(tmp_path_factory.mktemp("offline-home"), service, None)
    svc.ingest(colour_video, name="colours")
    yield svc
    svc.close()


def scene(colour: str) -> TimeSpan:
    i = COLOURS.index(colour)
    return TimeSpan(start_ms=i * SCENE_MS, end_ms=(i + 1) * SCENE_MS)


def test_ingest_embeds_keyframes_of_every_event(
    visual: Service, fake_server: tuple[Script, OpenAIStub]
) -> None:
    script, stub = fake_server
    events = visual.store.events("colours")
    assert [e.span for e in events] == [scene(c) for c in COLOURS]
    assert all(f"openai-embed:{MODEL}" in e.observers for e in events)
    image_requests = [r for r in stub.bodies if "messages" in r]
    assert len(image_requests) == 2 * len(events)  # frames_per_event
    assert visual.store.has_frames("colours")
    # The frames that reached the server show the scenes' colours, in order.
    reds = [float(img[..., 0].mean()) > 200 for img in script.images]
    assert reds == [True, True, False, False, False, False]


def test_the_frame_modality_finds_what_no_text_says(visual: Service) -> None:
    finder = visual.moment_finder()
    moments = finder.find("the ocean", video_id="colours")
    assert moments, "the blue scene was not found"
    assert moments[0].span == scene("blue")
    assert moments[0].modality == "frame"
    assert finder.find("a ripe tomato")[0].span == scene("red")
    # Without the frames, the same store and query find nothing: the words match no text.
    assert finder.find("the ocean", modalities=("speech", "text", "caption")) == []


def test_frame_and_caption_evidence_fuse(visual: Service) -> None:
    finder = visual.moment_finder()
    fused = finder.find("a blue ocean", video_id="colours")
    words_only = finder.find("a blue ocean", modalities=("speech", "text", "caption"))
    assert fused[0].span == words_only[0].span == scene("blue")
    # The caption's "blue" and the frames agree: the fused moment scores higher than either.
    frames_only = finder.find("a blue ocean", modalities=("frame",))
    assert frames_only[0].span == scene("blue")
    assert fused[0].score > words_only[0].score
    assert fused[0].score > frames_only[0].score


def test_offline_default_has_no_visual_modality(offline: Service) -> None:
    assert offline.image_embedder is None
    assert not offline.store.has_frames()
    events = offline.store.events("colours")
    assert events and not any(o.startswith("openai-embed") for e in events for o in e.observers)
    finder = offline.moment_finder()
    assert finder.image_embedder is None and finder.reranker is None
    assert finder.find("the ocean") == []

"""Image embedders: the HTTP backend against a local server that checks requests like vLLM's
/v1/embeddings would, and the open_clip backend's error paths (no CLIP weights exist here).

The server decodes each data-URI image and answers with its mean colour as a vector, so a test
passes only if the frame really travelled (as a JPEG of the right picture), not just a request.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_image_embeddings import FAIL, MODEL, SLOW, Script, bad_count, serve
from openai_stub import OpenAIStub

from avas.errors import DependencyError
from avas.perception.image_embed_base import pick_keyframes, unit_rows
from avas.perception.image_embed_http import HTTPImageEmbedder

Fake = tuple[Script, OpenAIStub]


@pytest.fixture
def fake() -> Iterator[Fake]:
    script = Script()
    with serve(script) as stub:
        yield script, stub


def solid(rgb: tuple[int, int, int], h: int = 120, w: int = 200) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = rgb
    return img


def embedder(url: str, **kw: Any) -> HTTPImageEmbedder:
    kw.setdefault("timeout_s", 5)
    kw.setdefault("backoff_s", 0.01)
    return HTTPImageEmbedder(url + "/v1", MODEL, **kw)


def test_images_travel_as_data_uris_and_come_back_as_unit_rows(fake: Fake) -> None:
    script, stub = fake
    url = stub.url
    emb = embedder(url, max_side_px=64)
    frames = [solid((230, 20, 20)), solid((20, 20, 230), h=400, w=300)]
    rows = emb.embed_images(frames)
    assert rows.shape == (2, 4) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert emb.dim == 4
    # One request per image, in the chat form, with the prompt beside the image.
    assert len(stub.bodies) == 2
    parts = stub.bodies[0]["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["image_url", "text"]
    assert parts[1]["text"] == "Represent the given image."
    # The decoded images are the frames (shrunk to max_side_px), not just any JPEG.
    assert max(script.images[1].shape[:2]) == 64
    assert script.images[0].reshape(-1, 3).mean(axis=0)[0] > 200
    texts = emb.embed_texts(["a tomato", "the ocean"])
    assert stub.bodies[-1]["input"] == ["a tomato", "the ocean"]
    sims = texts @ rows.T
    assert sims[0, 0] > 0.9 and sims[1, 1] > 0.9  # red frame ~ tomato, blue frame ~ ocean
    assert sims[0, 1] < 0 and sims[1, 0] < 0


def test_a_500_is_retried(fake: Fake) -> None:
    _script, stub = fake
    url = stub.url
    stub.queue(FAIL)
    rows = embedder(url, retries=1).embed_images([solid((0, 200, 0))])
    assert rows.shape == (1, 4)
    assert len(stub.bodies) == 2


def test_persistent_500_fails_naming_the_url(fake: Fake) -> None:
    _script, stub = fake
    url = stub.url
    stub.queue(FAIL, FAIL, FAIL)
    with pytest.raises(DependencyError, match=rf"{url}/v1/embeddings failed after 3 attempt.*500"):
        embedder(url, retries=2).embed_texts(["red"])
    assert len(stub.bodies) == 3


def test_timeout_fails_naming_the_url(fake: Fake) -> None:
    _script, stub = fake
    url = stub.url
    stub.queue(SLOW, SLOW)
    with pytest.raises(DependencyError, match=rf"{url}/v1/embeddings .*Timeout"):
        embedder(url, retries=1, timeout_s=0.3).embed_images([solid((1, 2, 3))])


def test_a_rejected_request_is_not_retried(fake: Fake) -> None:
    _script, stub = fake
    url = stub.url
    emb = HTTPImageEmbedder(url, "some-other-model", retries=3, backoff_s=0.01)
    with pytest.raises(DependencyError, match=r"rejected .*some-other-model.*HTTP 404"):
        emb.embed_texts(["red"])
    assert len(stub.bodies) == 1


def test_wrong_number_of_vectors_is_an_error(fake: Fake) -> None:
    script, stub = fake
    url = stub.url
    stub.queue(bad_count(script))
    with pytest.raises(DependencyError, match=r"sent 2 embedding\(s\) .* for 1 input"):
        embedder(url).embed_texts(["red"])


def test_unreachable_server_names_the_url() -> None:
    emb = HTTPImageEmbedder("http://127.0.0.1:9", MODEL, retries=0, timeout_s=2)
    with pytest.raises(DependencyError, match=r"http://127.0.0.1:9/v1/embeddings"):
        emb.embed_images([solid((9, 9, 9))])


def test_a_bad_frame_names_the_server(fake: Fake) -> None:
    _, stub = fake
    url = stub.url
    with pytest.raises(ValueError, match=r"embeddings: frame must be H x W x 3 uint8"):
        embedder(url).embed_images([np.zeros((10, 10), np.uint8)])


def test_pick_keyframes_spreads_over_the_event() -> None:
    assert pick_keyframes(0, 3) == []
    assert pick_keyframes(5, 1) == [2]
    assert pick_keyframes(2, 3) == [0, 1]
    assert pick_keyframes(12, 3) == [2, 6, 10]
    assert len(pick_keyframes(30, 16)) == 16


def test_unit_rows_leaves_a_zero_row_alone() -> None:
    rows = unit_rows([[3.0, 4.0], [0.0, 0.0]])
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


# -- open_clip: no weights and no open_clip here, so only its errors can be checked -------------


def test_openclip_missing_weights_names_the_path(tmp_path: Path) -> None:
    from avas.perception.image_embed_openclip import OpenClipImageEmbedder

    missing = tmp_path / "ViT-B-32.bin"
    with pytest.raises(DependencyError, match=str(missing)):
        OpenClipImageEmbedder(missing)


def test_openclip_without_the_package_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from avas.perception.image_embed_openclip import OpenClipImageEmbedder

    weights = tmp_path / "ViT-B-32.bin"
    weights.write_bytes(b"not really weights")
    monkeypatch.setitem(sys.modules, "open_clip", None)  # import fails even where it is installed
    with pytest.raises(DependencyError, match=r"pip install 'avas\[clip\]'"):
        OpenClipImageEmbedder(weights)


def test_importing_the_backends_loads_no_model_library() -> None:
    import subprocess

    code = (
        "import sys, avas.perception.image_embed_openclip, avas.perception.image_embed_http, "
        "avas.retrieval.rerank_cross_encoder, avas.service; "
        "print(sorted(m for m in ('torch', 'open_clip', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

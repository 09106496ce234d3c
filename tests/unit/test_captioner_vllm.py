"""The in-process vLLM captioner (AVAS_PERCEPTION__CAPTIONER=vllm, extra `avas[gpu]`).

vLLM cannot be installed or run here (no GPU, no weights), so these tests check OUR SIDE of
vLLM's offline API only: the error when the extra is missing, and the calls we make through a
minimal stand-in ``vllm`` module put in sys.modules that records them: the engine arguments,
``LLM.chat`` with a batch of conversations (system prompt, text part, JPEG data-URI image
parts), greedy ``SamplingParams`` with structured-output (guided JSON) decoding by the caption
schema, and how we read outputs shaped like vLLM's ``RequestOutput``. They do not prove that a
real vLLM accepts these calls; that needs a GPU host with the weights.
"""

from __future__ import annotations

import base64
import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from avas.config import PerceptionSettings, Settings
from avas.errors import DependencyError
from avas.perception.captioner_base import caption_json_schema
from avas.perception.captioner_openai import DEFAULT_PROMPT_PATH, CaptionError
from avas.perception.captioner_vllm import VLLMCaptioner
from avas.service import Service

GOOD = {
    "caption": "A person reads a sheet of paper at a small table.",
    "entities": [{"name": "woman", "type": "person", "attributes": ["grey cardigan"]}],
    "actions": ["reads"],
    "relations": [],
    "visible_text": [],
}


@dataclass
class Recorder:
    init: dict[str, Any] = field(default_factory=dict)
    chats: list[dict[str, Any]] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)  # (text, finish_reason)


def _stand_in(recorder: Recorder, *, new_api: bool = True) -> dict[str, types.ModuleType]:
    """A `vllm` with LLM, SamplingParams and the structured-output params class of one era."""
    vllm = types.ModuleType("vllm")
    params = types.ModuleType("vllm.sampling_params")

    class SamplingParams:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

    @dataclass
    class StructuredOutputsParams:  # vLLM >= 0.11
        json: dict[str, Any] | None = None

    @dataclass
    class GuidedDecodingParams:  # vLLM 0.6-0.10
        json: dict[str, Any] | None = None

    class LLM:
        def __init__(self, **kwargs: Any) -> None:
            recorder.init = kwargs

        def chat(self, messages: Any, sampling_params: Any = None, **kwargs: Any) -> list[Any]:
            recorder.chats.append(
                {"messages": messages, "sampling_params": sampling_params, **kwargs}
            )
            # A list of conversations gets one RequestOutput per conversation, in order.
            out = []
            for i, _ in enumerate(messages):
                text, reason = (
                    recorder.replies.pop(0) if recorder.replies else (json.dumps(GOOD), "stop")
                )
                completion = types.SimpleNamespace(index=0, text=text, finish_reason=reason)
                out.append(
                    types.SimpleNamespace(
                        request_id=str(i), prompt="...", outputs=[completion], finished=True
                    )
                )
            return out

    vllm.LLM = LLM  # type: ignore[attr-defined]
    vllm.SamplingParams = SamplingParams  # type: ignore[attr-defined]
    if new_api:
        params.StructuredOutputsParams = StructuredOutputsParams  # type: ignore[attr-defined]
    else:
        params.GuidedDecodingParams = GuidedDecodingParams  # type: ignore[attr-defined]
    vllm.sampling_params = params  # type: ignore[attr-defined]
    return {"vllm": vllm, "vllm.sampling_params": params}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    for name, module in _stand_in(rec).items():
        monkeypatch.setitem(sys.modules, name, module)
    return rec


def _frames(n: int, size: tuple[int, int] = (360, 640)) -> list[Any]:
    return [np.full((*size, 3), 40 * i, dtype=np.uint8) for i in range(n)]


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # `import vllm` raises ImportError
    with pytest.raises(DependencyError, match=r"pip install 'avas\[gpu\]'"):
        VLLMCaptioner("Qwen/Qwen2.5-VL-7B-Instruct")
    service = Service(
        Settings(home=Path("/nonexistent"), perception=PerceptionSettings(captioner="vllm"))
    )
    with pytest.raises(DependencyError, match="AVAS_PERCEPTION__CAPTIONER=vllm"):
        _ = service.captioner


def test_batch_request_and_outputs(recorder: Recorder) -> None:
    captioner = VLLMCaptioner(
        "Qwen/Qwen2.5-VL-7B-Instruct", max_images=3, max_side_px=256, max_model_len=8192
    )
    assert recorder.init == {
        "model": "Qwen/Qwen2.5-VL-7B-Instruct",
        "max_model_len": 8192,
        "gpu_memory_utilization": 0.9,
        "limit_mm_per_prompt": {"image": 3},
    }
    assert captioner.model_id == "vllm/Qwen/Qwen2.5-VL-7B-Instruct"
    caps = captioner.caption_many(
        [_frames(5), _frames(1), _frames(2)], contexts=["On-screen text: “EXIT”.", "", ""]
    )
    assert [c.caption for c in caps] == [GOOD["caption"]] * 3
    assert caps[0].entities[0].type == "person"

    (call,) = recorder.chats  # three events, one engine call
    assert call["use_tqdm"] is False
    params = call["sampling_params"].kwargs
    assert params["temperature"] == 0.0 and params["max_tokens"] == 1024
    assert params["structured_outputs"].json == caption_json_schema()
    conversations = call["messages"]
    assert len(conversations) == 3
    system, user = conversations[0]
    assert system == {"role": "system", "content": DEFAULT_PROMPT_PATH.read_text().strip()}
    assert user["role"] == "user"
    text, *images = user["content"]
    assert text["type"] == "text" and "3 frame(s)" in text["text"] and "EXIT" in text["text"]
    assert len(images) == 3  # 5 frames -> max_images, first and last included
    for part in images:
        assert part["type"] == "image_url"
        url = part["image_url"]["url"]
        assert url.startswith("data:image/jpeg;base64,")
        jpeg = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), dtype=np.uint8)
        decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
        assert decoded is not None and max(decoded.shape[:2]) == 256
    assert len(conversations[1][1]["content"]) == 2  # one frame: text + one image
    assert "Context" not in conversations[1][1]["content"][0]["text"]


def test_batches_are_split_and_order_kept(recorder: Recorder) -> None:
    captioner = VLLMCaptioner("m", batch_size=2)
    recorder.replies = [(json.dumps({**GOOD, "caption": f"event {i}"}), "stop") for i in range(5)]
    caps = captioner.caption_many([_frames(1) for _ in range(5)])
    assert [c.caption for c in caps] == [f"event {i}" for i in range(5)]
    assert [len(c["messages"]) for c in recorder.chats] == [2, 2, 1]
    assert captioner.caption(_frames(2)).caption == GOOD["caption"]  # the Captioner protocol


def test_cut_off_output_is_a_caption_error(recorder: Recorder) -> None:
    captioner = VLLMCaptioner("m")
    recorder.replies = [(json.dumps(GOOD), "stop"), ('{"caption": "A pers', "length")]
    with pytest.raises(CaptionError, match=r"event 1 of the batch .*cut off by max_tokens"):
        captioner.caption_many([_frames(1), _frames(1)])


def test_older_vllm_gets_guided_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    for name, module in _stand_in(rec, new_api=False).items():
        monkeypatch.setitem(sys.modules, name, module)
    captioner = VLLMCaptioner("m")
    params = captioner.sampling_params.kwargs
    assert "structured_outputs" not in params
    assert params["guided_decoding"].json == caption_json_schema()


def test_selected_by_the_captioner_setting(recorder: Recorder, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        perception=PerceptionSettings(
            captioner="vllm",
            captioner_model="Qwen/Qwen2.5-VL-3B-Instruct",
            captioner_max_images=2,
            captioner_vllm_batch_size=8,
            captioner_vllm_gpu_memory_utilization=0.8,
        ),
    )
    captioner = Service(settings).captioner
    assert isinstance(captioner, VLLMCaptioner) and captioner.batch_size == 8
    assert recorder.init["model"] == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert recorder.init["gpu_memory_utilization"] == 0.8
    assert recorder.init["limit_mm_per_prompt"] == {"image": 2}

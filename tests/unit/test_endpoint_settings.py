"""One EndpointSettings for every OpenAI-compatible server, under the names users already set."""

from __future__ import annotations

import pytest

from avas.config import EndpointSettings, SearchSettings, Settings

# The flat names README and docker-compose.yml document, per section.
LEGACY = {
    "AVAS_AGENT__LLM_URL": ("agent", "llm"),
    "AVAS_PERCEPTION__CAPTIONER_URL": ("perception", "vlm"),
    "AVAS_SEARCH__RERANK_URL": ("search", "reranker"),
    "AVAS_SUMMARY__URL": ("summary", "llm"),
    "AVAS_IMAGE_EMBEDDING__URL": ("image_embedding", "server"),
}


def _endpoint(settings: Settings, section: str, field: str) -> EndpointSettings:
    value = getattr(getattr(settings, section), field)
    assert isinstance(value, EndpointSettings)
    return value


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_documented_flat_names_still_configure_the_endpoint(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, "http://127.0.0.1:8123/v1")
    monkeypatch.setenv(name.removesuffix("URL") + "API_KEY", "sk-legacy")
    monkeypatch.setenv(name.removesuffix("URL") + "TIMEOUT_S", "7")
    ep = _endpoint(Settings(), *LEGACY[name])
    assert ep.url == "http://127.0.0.1:8123/v1"
    assert ep.key() == "sk-legacy"
    assert ep.timeout_s == 7


def test_nested_names_win_and_keep_the_sections_own_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVAS_AGENT__LLM_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("AVAS_AGENT__LLM__URL", "http://127.0.0.1:2/v1")
    monkeypatch.setenv("AVAS_SUMMARY__LLM__MODEL", "tiny-summariser")
    settings = Settings()
    assert settings.agent.llm.url == "http://127.0.0.1:2/v1"
    # Setting one field must not reset the others to EndpointSettings' generic defaults.
    assert settings.agent.llm.response_format == "auto"
    assert settings.agent.llm.model == "Qwen/Qwen2.5-7B-Instruct"
    assert settings.summary.llm.model == "tiny-summariser"
    assert settings.summary.llm.timeout_s == 120
    assert settings.image_embedding.server.model == "TIGER-Lab/VLM2Vec-Full"
    assert settings.perception.vlm.model == "Qwen/Qwen2.5-VL-7B-Instruct"


def test_flat_keyword_arguments_and_nested_models_both_construct_a_section() -> None:
    flat = SearchSettings(rerank="llm", rerank_url="http://127.0.0.1:3/v1", rerank_top_n=5)
    nested = SearchSettings(
        rerank="llm", rerank_top_n=5, reranker=EndpointSettings(url="http://127.0.0.1:3/v1")
    )
    assert flat == nested
    assert flat.reranker.timeout_s == 30  # the re-ranker's own default, not the generic 60
    assert flat.rerank_top_n == 5  # a non-endpoint rerank_* field stays where it is

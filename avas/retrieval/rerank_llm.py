"""Re-ranking by any OpenAI-compatible chat model, with a JSON-schema structured answer.

    reranker = LLMReranker("http://localhost:8001/v1", "Qwen/Qwen2.5-7B-Instruct")
    reranker.score("the forklift near the dock", ["(speech) ...", "(text) LOADING DOCK B"])

The model sees the query and the numbered candidates in one request and rates each 0-10; a
candidate it leaves out counts as unrated (below every rated one), so a sloppy answer demotes
only what it skipped. Transport, retry and schema handling are JSONChatClient's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from avas.llm.openai_chat import JSONChatClient, ResponseFormat

if TYPE_CHECKING:
    from avas.config import EndpointSettings

SYSTEM = (
    "You rank search results from videos. Each numbered candidate is what a moment shows or "
    "says: speech, on-screen text or a caption. Rate how well each candidate answers the "
    "search query, from 0 (unrelated) to 10 (exactly what was searched for). Judge only the "
    "text given; rate every candidate by its number."
)
MAX_PASSAGE_CHARS = 400


class _Rating(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int = Field(description="The candidate's number.")
    relevance: int = Field(ge=0, le=10, description="0 unrelated .. 10 exactly what was sought.")


class Ratings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ratings: list[_Rating]


RATINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ratings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "relevance": {"type": "integer", "minimum": 0, "maximum": 10},
                },
                "required": ["id", "relevance"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["ratings"],
    "additionalProperties": False,
}


class LLMReranker:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        response_format: ResponseFormat = "json_schema",
        timeout_s: float = 30,
        retries: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        self.model_id = f"llm-rerank:{model}"
        self.chat = JSONChatClient(
            base_url,
            model,
            what="re-ranker",
            api_key=api_key,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
            max_tokens=1024,
            response_format=response_format,
        )

    @classmethod
    def from_endpoint(cls, endpoint: EndpointSettings) -> LLMReranker:
        if not endpoint.url:
            raise ValueError("the re-ranker endpoint has no URL")
        return cls(
            endpoint.url,
            endpoint.model,
            api_key=endpoint.key(),
            response_format=endpoint.response_format,
            timeout_s=endpoint.timeout_s,
            retries=endpoint.retries,
        )

    def close(self) -> None:
        self.chat.close()

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        listed = "\n".join(
            f"[{i}] {' '.join(p.split())[:MAX_PASSAGE_CHARS]}" for i, p in enumerate(passages, 1)
        )
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Search query: {query}\n\nCandidates:\n{listed}"},
        ]
        ratings = self.chat.complete(
            messages, schema=RATINGS_SCHEMA, name="ratings", validate=Ratings.model_validate
        )
        scores = [-1.0] * len(passages)  # unrated: below any rating the model gave
        for rating in ratings.ratings:
            if 1 <= rating.id <= len(passages):
                scores[rating.id - 1] = float(rating.relevance)
        return scores

"""One tool registry for both policies: the LLM's call schema comes from the argument models."""

from __future__ import annotations

from agents.llm_policy import CALL_SCHEMA, PLAN_SCHEMA, ToolCall
from agents.registry import TOOLS, ToolContext, run_tool


def test_call_schema_is_generated_from_every_argument_model() -> None:
    props = CALL_SCHEMA["properties"]
    assert props["tool"]["enum"] == list(TOOLS)
    hidden = {"keywords", "k"}  # the offline policy's own search knobs
    assert not hidden & set(props)
    for tool in TOOLS.values():
        for field in set(tool.args.model_fields) - hidden:
            assert field in props, (tool.name, field)
            assert field in CALL_SCHEMA["required"]
            assert "null" in props[field]["type"]  # unused arguments are null
    assert PLAN_SCHEMA["properties"]["calls"]["items"] is CALL_SCHEMA


def test_a_call_as_the_model_writes_it_keeps_only_given_arguments() -> None:
    call = ToolCall.model_validate(
        {"tool": "search", "query": "budget", "modality": "speech", "node_id": None, "k": None}
    )
    assert call.arguments() == {"query": "budget", "modality": "speech"}


def test_calls_that_do_not_fit_find_nothing() -> None:
    ctx = ToolContext(video_id=None, question="q")
    # No toolkit is touched: validation fails first (an unknown tool, a search without a query,
    # a modality that does not exist).
    assert run_tool(None, "drop_tables", {}, ctx) == []  # type: ignore[arg-type]
    assert run_tool(None, "search", {"modality": "speech"}, ctx) == []  # type: ignore[arg-type]
    assert run_tool(None, "search", {"query": "x", "modality": "smell"}, ctx) == []  # type: ignore[arg-type]

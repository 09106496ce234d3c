"""Questions and look-ups: `avas ask`, `avas find`, `avas chat`, `avas videos`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from avas.errors import AvasError, InputError
from avas.interfaces.checks import require_video
from avas.interfaces.cli.app import (
    _agent,
    _answer,
    _service,
    app,
    err,
    out,
    videos_app,
)
from graph_schema import fmt_span

if TYPE_CHECKING:
    pass


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question about the video(s)")],
    video: Annotated[
        str | None, typer.Option("--video", help="video id; default: the whole corpus")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
) -> None:
    """Answer a question with cited time spans."""
    service = _service()
    try:
        answer = _answer(service, question, video)
    finally:
        service.close()
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        out.print(answer.render(), highlight=False, soft_wrap=True)


@videos_app.callback()
def videos(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List the videos in the store."""
    if ctx.invoked_subcommand is not None:
        return
    service = _service()
    try:
        found = service.store.videos()
        counts = {v.id: len(service.store.events(v.id)) for v in found}
    finally:
        service.close()
    if as_json:
        print(json.dumps([v.model_dump(mode="json") | {"events": counts[v.id]} for v in found]))
        return
    table = Table("id", "duration", "events", "status", "path")
    for v in found:
        table.add_row(v.id, f"{v.duration_ms / 1000:.0f} s", str(counts[v.id]), v.status, v.path)
    out.print(table)


@videos_app.command("rm")
def videos_rm(video_id: Annotated[str, typer.Argument(help="the video id to remove")]) -> None:
    """Remove a video and everything ingested from it (shared entities stay if still used)."""
    service = _service()
    try:
        service.store.delete_video(video_id)
    finally:
        service.close()
    out.print(f"removed {video_id}")


@app.command()
def find(
    query: Annotated[str, typer.Argument(help="words, a quoted sign, or what was said")],
    video: Annotated[str | None, typer.Option("--video", help="video id; default: all")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="how many results")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    whole_videos: Annotated[
        bool, typer.Option("--videos", help="rank whole videos instead of moments")
    ] = False,
) -> None:
    """Find the moments (or videos) that match a query, without asking the agent."""
    if whole_videos and video:
        raise InputError("--videos ranks the whole corpus: drop --video")
    service = _service()
    try:
        if video is not None:
            require_video(service.store, video)
        finder = service.moment_finder()  # with the visual modality and re-ranker when configured
        if whole_videos:
            ranked = finder.rank_videos(query, k=k)
            if as_json:
                print(json.dumps([h.model_dump(mode="json") for h in ranked]))
                return
            table = Table("video", "score", "moments", "best moment")
            for h in ranked:
                table.add_row(h.video_id, f"{h.score:.3f}", str(h.moments), fmt_span(h.best.span))
        else:
            moments = finder.find(query, video_id=video, k=k)
            if as_json:
                print(json.dumps([m.model_dump(mode="json") for m in moments]))
                return
            table = Table("video", "span", "matched", "score", "snippet")
            for m in moments:
                table.add_row(m.video_id, fmt_span(m.span), m.modality, f"{m.score:.3f}", m.snippet)
        if table.row_count:
            out.print(table)
        else:
            out.print("no matching moments")
    finally:
        service.close()


@app.command()
def chat(
    video: Annotated[
        str | None, typer.Option("--video", help="video id; default: the whole corpus")
    ] = None,
) -> None:
    """Interactive questions with memory: follow-ups like "and right after that?" work."""
    from agents.graph import Conversation
    from agents.state import Answer as AgentAnswer

    service = _service()
    try:
        if video is not None:
            require_video(service.store, video)
        conversation = Conversation(_agent(service), video_id=video)
        out.print("Ask about the video (empty line or Ctrl-D to quit).", style="dim")
        while True:
            try:
                question = input("you> ").strip()
            except EOFError:
                break
            if not question:
                break
            try:
                for item in conversation.stream(question):
                    if isinstance(item, AgentAnswer):
                        out.print(item.render(), highlight=False, soft_wrap=True)
                    else:
                        out.print(f"  … {item}", style="dim", highlight=False, soft_wrap=True)
            except AvasError as exc:  # a bad question is not the end of the conversation
                err.print(f"[red]error:[/] {exc}", highlight=False)
    finally:
        service.close()

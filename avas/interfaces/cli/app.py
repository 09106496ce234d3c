"""The Typer app, its sub-command groups, the consoles, and what every command shares."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from avas.errors import AvasError
from avas.interfaces.checks import require_video, require_videos

if TYPE_CHECKING:
    from agents.state import Answer
    from avas.service import Service


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="AVAS: ask questions about long videos and get answers with cited time spans.",
)
graph_app = typer.Typer(no_args_is_help=True, help="Inspect the event knowledge graph.")
app.add_typer(graph_app, name="graph")
try:  # the benchmark harness ships beside the runtime; absent from a runtime-only install
    from benchmarks.harness.cli import bench_app

    app.add_typer(bench_app, name="bench", help="LVBench, Video-MME, MLVU and needle runs.")
except ImportError:  # pragma: no cover
    pass
videos_app = typer.Typer(help="List (default) or remove videos.", invoke_without_command=True)
app.add_typer(videos_app, name="videos")
out = Console()
err = Console(stderr=True)

DEFAULT_QUESTIONS = (
    "What does the speaker say?",
    "What text appears on screen?",
    "What happens in the video?",
)


def _service() -> Service:
    from avas.service import Service

    return Service()


def _agent(service: Service) -> Any:
    from agents.graph import agent_for

    return agent_for(service)


def _answer(service: Service, question: str, video: str | None) -> Answer:
    from agents.graph import ask as ask_agent

    if video is not None:
        require_video(service.store, video)
    require_videos(service.store)
    return ask_agent(_agent(service), question, video_id=video)


def main() -> None:
    try:
        app(standalone_mode=False)
    except AvasError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted; committed events are kept, re-run to resume")
        sys.exit(130)
    except Exception as exc:
        # Usage errors (unknown command, bad option) come from typer's bundled click: show them
        # as click would, by duck type, since the class lives in a private module.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise

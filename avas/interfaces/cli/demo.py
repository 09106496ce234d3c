"""`avas demo`: a generated sample (or your video), ingested, asked, checked."""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from avas.interfaces.cli.app import (
    DEFAULT_QUESTIONS,
    _answer,
    _service,
    app,
    out,
)
from avas.interfaces.cli.ingest import _ingest, _print_report
from graph_schema import fmt_span

if TYPE_CHECKING:
    from agents.state import Answer


@app.command()
def demo(
    path: Annotated[
        Path | None, typer.Argument(help="your video; default: a generated 3-minute sample")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Ingest a video and answer a few questions about it, offline."""
    from avas.media.sample import SampleManifest, make_sample_video

    service = _service()
    try:
        manifest: SampleManifest | None = None
        name: str | None = None
        if path is None:
            path = service.settings.home / "demo" / "avas-demo.mp4"
            manifest_path = path.with_suffix(".json")
            if path.exists() and manifest_path.exists():
                manifest = SampleManifest.model_validate_json(manifest_path.read_text())
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                out.print(f"generating a 3-minute sample video at {path} ...")
                manifest = make_sample_video(path)
            name = "avas-demo"
        report = _ingest(service, str(path), name, "quiet" if quiet else "bar")
        _print_report(report)
        questions = _demo_questions() if manifest else DEFAULT_QUESTIONS
        for question in questions:
            answer = _answer(service, question, report.video_id)
            out.print(f"\n[bold]Q: {question}[/]", highlight=False)
            out.print(answer.render(), highlight=False, soft_wrap=True)
            if manifest is not None:
                out.print(_check_against(manifest, answer), highlight=False, soft_wrap=True)
    finally:
        service.close()


def _demo_questions() -> tuple[str, ...]:
    return (
        "What did the speaker say about the budget?",
        "What on-screen text mentions the harbor?",
        "What text appeared right after 'LOADING DOCK B'?",
    )


def _check_against(manifest: Any, answer: Answer) -> str:
    """For the generated sample: does the first citation overlap a planted fact of the same text?"""
    from graph_schema import normalize_name

    if not answer.citations:
        return "  (no citation)"
    cited = answer.citations[0]
    for fact in manifest.facts:
        # OCR and ASR are not perfect ("BUDGETP REVIEW", "4 million"): compare loosely.
        same = SequenceMatcher(None, normalize_name(fact.text), normalize_name(cited.text)).ratio()
        if fact.kind != "scene" and same >= 0.75 and fact.span.overlaps(cited.span):
            return f"  ✓ overlaps the planted {fact.kind} “{fact.text}” at {fmt_span(fact.span)}"
    return "  ✗ no planted fact overlaps the first citation"

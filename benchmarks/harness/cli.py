"""`avas bench`: run LVBench / Video-MME / MLVU / needle benchmarks, or make a needle benchmark.

avas bench needle-make --minutes 10 --out /tmp/needle
avas bench needle --annotations /tmp/needle/needle-10m-s0.meta.jsonl --videos /tmp/needle --out r
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

bench_app = typer.Typer(help="Benchmarks: accuracy with official scoring, resumable runs.")

Annotations = Annotated[Path, typer.Option("--annotations", help="annotation file (or folder)")]
Videos = Annotated[Path, typer.Option("--videos", help="folder holding the video files")]
Out = Annotated[Path, typer.Option("--out", help="results folder (predictions, summary, chart)")]
Limit = Annotated[int | None, typer.Option("--limit", help="only the first N questions")]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, help="questions in parallel")]


def _run(
    kind: str, annotations: Path, videos: Path, out: Path, limit: int | None, concurrency: int
) -> None:
    from avas.config import Settings
    from avas.service import Service
    from benchmarks.harness.runner import run_benchmark

    if not annotations.exists():
        raise typer.BadParameter(f"{annotations} does not exist", param_hint="--annotations")
    if not videos.is_dir():
        raise typer.BadParameter(f"{videos} is not a folder", param_hint="--videos")
    service = Service(Settings())
    try:
        summary = run_benchmark(
            kind,  # type: ignore[arg-type]
            annotations,
            videos,
            out,
            service,
            limit=limit,
            concurrency=concurrency,
            progress=lambda msg: typer.echo(msg, err=True),
        )
    finally:
        service.close()
    score = summary.score
    typer.echo(f"{kind}: {score.headline_name} {score.headline:.3f} ({score.rule})")
    typer.echo(f"  overall {score.overall.correct}/{score.overall.total}")
    for group, categories in score.groups.items():
        for name, cat in categories.items():
            typer.echo(f"  {group:>14} | {name:<28} {cat.accuracy:.3f} ({cat.correct}/{cat.total})")
    for name, variant in summary.variants.items():
        typer.echo(f"  {name}: {variant.headline:.3f} ({variant.rule})")
    if summary.grounding is not None:
        g = summary.grounding
        typer.echo(
            f"  grounding: mean IoU {g.mean_iou:.3f}, R@0.3 {g.recall_at_03:.3f}, "
            f"R@0.5 {g.recall_at_05:.3f} over {g.questions}"
        )
    typer.echo(
        f"  answered {summary.answered}/{summary.questions} through the agent; "
        f"{summary.guessed} of them guesses by the option scorer (the agent had no evidence); "
        f"right without guessing {summary.by_agent_correct}/{summary.answered}"
    )
    typer.echo(
        f"  missing videos {len(summary.missing_videos)}; failed {len(summary.failed_videos)}"
    )
    for t in summary.timings.ingest:
        typer.echo(
            f"  ingest {t.video}: {t.seconds:.1f} s for {t.media_s:.0f} s ({t.x_realtime:.1f}x)"
        )
    typer.echo(f"  {summary.timings.seconds_per_question_mean:.2f} s per question (mean)")
    typer.echo(f"  results in {out}")


@bench_app.command("lvbench")
def lvbench(
    annotations: Annotations,
    videos: Videos,
    out: Out,
    limit: Limit = None,
    concurrency: Concurrency = 1,
) -> None:
    """LVBench (video_info.meta.jsonl); videos named <key>.mp4."""
    _run("lvbench", annotations, videos, out, limit, concurrency)


@bench_app.command("videomme")
def videomme(
    annotations: Annotations,
    videos: Videos,
    out: Out,
    limit: Limit = None,
    concurrency: Concurrency = 1,
) -> None:
    """Video-MME (parquet, or JSON Lines with its columns); videos named <videoID>.mp4."""
    _run("videomme", annotations, videos, out, limit, concurrency)


@bench_app.command("mlvu")
def mlvu(
    annotations: Annotations,
    videos: Videos,
    out: Out,
    limit: Limit = None,
    concurrency: Concurrency = 1,
) -> None:
    """MLVU dev multiple choice (folder with 1_plotQA.json..7_topic_reasoning.json, or one file)."""
    _run("mlvu", annotations, videos, out, limit, concurrency)


@bench_app.command("needle")
def needle(
    annotations: Annotations,
    videos: Videos,
    out: Out,
    limit: Limit = None,
    concurrency: Concurrency = 1,
) -> None:
    """A generated needle benchmark (LVBench format), with temporal-grounding IoU."""
    _run("needle", annotations, videos, out, limit, concurrency)


@bench_app.command("needle-make")
def needle_make(
    minutes: Annotated[float, typer.Option("--minutes", min=1, help="video length")],
    out: Annotated[Path, typer.Option("--out", help="folder for the video and annotations")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Generate a needle video (planted facts at known times) and its LVBench-format questions."""
    from benchmarks.harness.needle import make_needle_benchmark

    bench = make_needle_benchmark(out, minutes, seed)
    typer.echo(f"video:       {bench.video}")
    typer.echo(f"annotations: {bench.annotations} ({bench.questions} questions)")
    typer.echo(
        f"run:         avas bench needle --annotations {bench.annotations} "
        f"--videos {bench.video.parent} --out {out / 'results'}"
    )


@bench_app.command("realqa")
def realqa(
    media: Annotated[
        Path, typer.Option("--media", help="the real clips (the project's ../shared/media)")
    ] = Path("../shared/media"),
    work: Annotated[Path, typer.Option("--work", help="where the composed video is kept")] = Path(
        "/tmp/avas-realqa"
    ),
    details: Annotated[bool, typer.Option(help="print every question and answer")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the report here")] = None,
) -> None:
    """The real-footage dev set: compose, ingest, ask every question through the agent."""
    from avas.config import Settings
    from avas.service import Service
    from benchmarks.realqa.run import render, run_realqa

    if not media.is_dir():
        raise typer.BadParameter(f"{media} is not a folder", param_hint="--media")
    service = Service(Settings())
    try:
        report = run_realqa(service, media_root=media, work=work)
    finally:
        service.close()
    typer.echo(render(report, details=details))
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2))

"""The ``avas`` command line.

    avas demo                       # generate a sample video, ingest it, answer three questions
    avas ingest talk.mp4 --name talk && avas ask "What did the speaker say about the budget?"

Exit codes: 0 ok, 2 bad input (the message names it), 3 missing dependency, 4 store problem,
1 anything unexpected.
"""

from __future__ import annotations

import json
import sys
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from avas.errors import AvasError, InputError
from avas.interfaces.checks import require_video, require_videos
from graph_schema import fmt_ms, fmt_span

if TYPE_CHECKING:
    from agents.state import Answer
    from avas.pipeline import IngestReport
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


def _ingest(
    service: Service, source: str, name: str | None, mode: str = "bar", realtime: bool = False
) -> IngestReport:
    """Ingest with a progress display: ``bar`` (rich), ``json`` (lines on stdout) or ``quiet``."""
    from avas.pipeline import Progress as IngestProgress

    if mode == "quiet":
        return service.ingest(source, name=name, realtime=realtime)
    from avas.ingest import is_live_uri

    if is_live_uri(source):
        return _ingest_live(service, source, name, mode)
    if mode == "json":

        def emit(p: IngestProgress) -> None:
            print(json.dumps({"type": "progress", **p.model_dump()}), flush=True)

        report = service.ingest(source, name=name, progress=emit, realtime=realtime)
        print(json.dumps({"type": "report", **report.model_dump(mode="json")}), flush=True)
        return report
    with Progress(
        TextColumn("[bold]ingest[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(Path(source).name or source, total=None, rate="")

        def on_progress(p: IngestProgress) -> None:
            rate = f"{p.media_ms / 1000 / p.elapsed_s:.1f}x real time" if p.elapsed_s else ""
            bar.update(
                task, completed=p.media_ms, total=p.total_ms, rate=f"{rate}, {p.events} events"
            )

        return service.ingest(source, name=name, progress=on_progress, realtime=realtime)


def _ingest_live(service: Service, uri: str, name: str | None, mode: str) -> IngestReport:
    """A stream: a status line refreshed in place, or (json) a status record every few seconds."""
    import threading

    from rich.live import Live
    from rich.text import Text

    from avas.ingest import open_source
    from avas.ingest.live_source import LiveSource
    from avas.ingest.status import StreamWatch
    from avas.pipeline import Progress as IngestProgress
    from avas.pipeline import live_video_id, validate_video_id

    stored = service.store.events(validate_video_id(name) if name else live_video_id(uri))
    source = open_source(uri, service.settings.ingest)
    assert isinstance(source, LiveSource)
    watch = StreamWatch(source, resumed_from_ms=stored[-1].span.end_ms if stored else 0)
    # Progress and status records come from two threads: a status never counts an event whose
    # progress record is not out yet.
    lock = threading.RLock()

    def emit(record: dict[str, Any]) -> None:
        with lock:
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()

    def on_progress(p: IngestProgress) -> None:
        with lock:
            watch.on_progress(p)
            if mode == "json":
                emit({"type": "progress", **p.model_dump()})

    def emit_status() -> None:
        with lock:
            emit({"type": "status", **watch.status().model_dump()})

    stop = threading.Event()
    # Ctrl-C / SIGTERM end the stream gracefully: what was received is committed, the video
    # is marked stopped. A second Ctrl-C interrupts at once (committed events are kept).
    import signal

    def on_signal(signum: int, _frame: object) -> None:
        if source.stopped:
            raise KeyboardInterrupt
        source.stop(f"stopped by {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if mode == "json":
            every = service.settings.ingest.live_status_interval_s

            def tick() -> None:
                while not stop.wait(every):
                    emit_status()

            threading.Thread(target=tick, name="avas-status", daemon=True).start()
            report = service.pipeline.run(source, name=name, progress=on_progress)
        else:

            def line() -> Text:
                return Text(watch.status().line(), overflow="ellipsis", no_wrap=True)

            with Live(console=err, refresh_per_second=2, transient=True, get_renderable=line):
                report = service.pipeline.run(source, name=name, progress=on_progress)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop.set()
        source.close()
    watch.finish()
    if mode == "json":
        emit_status()
        emit({"type": "report", **report.model_dump(mode="json")})
    return report


def _print_report(report: IngestReport) -> None:
    done = f"{report.media_ms / 1000:.0f} s of video in {report.seconds:.1f} s"
    out.print(
        f"ingested [bold]{report.video_id}[/]: {report.events} events "
        f"({report.events_skipped} already stored), {report.speech_segments} speech segments, "
        f"{report.texts} on-screen texts, {done} ({report.x_realtime:.1f}x real time)",
        soft_wrap=True,
    )
    if report.resumed_from_ms:
        out.print(f"resumed at {fmt_ms(report.resumed_from_ms)} after an interrupted run")
    if report.stopped:
        err.print(f"[yellow]warning:[/] {report.stopped}; ingested what was readable")
    for gap in report.gaps:
        out.print(f"gap {fmt_ms(gap.start_ms)}–{fmt_ms(gap.end_ms)}: {gap.reason}")


def _agent(service: Service) -> Any:
    from agents.graph import agent_for

    return agent_for(service)


def _answer(service: Service, question: str, video: str | None) -> Answer:
    from agents.graph import ask as ask_agent

    if video is not None:
        require_video(service.store, video)
    require_videos(service.store)
    return ask_agent(_agent(service), question, video_id=video)


@app.command()
def ingest(
    source: Annotated[
        list[str], typer.Argument(help="video file(s), or a live URL (udp://, rtsp://, ...)")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="video id (default: file name + content hash)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress display")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="progress and report as JSON lines on stdout")
    ] = False,
    realtime: Annotated[
        bool, typer.Option("--realtime", help="replay a file at real speed, like a camera")
    ] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="chunk-parallel on a Ray cluster: local, auto, host:port or ray://host:port "
            "(pip install 'avas[cluster]')",
        ),
    ] = None,
    chunk_minutes: Annotated[
        float, typer.Option("--chunk-minutes", help="with --ray: minutes of video per task")
    ] = 10.0,
) -> None:
    """Ingest video files or a live stream into the event graph.

    Re-running after a crash or Ctrl-C resumes after the last committed event.
    """
    service = _service()
    try:
        mode = "json" if as_json else "quiet" if quiet else "bar"
        if ray is not None:
            from avas.cluster.commands import ingest_command

            ingest_command(
                service, source, name=name, address=ray, chunk_minutes=chunk_minutes, mode=mode
            )
            return
        if len(source) != 1:
            raise InputError("several videos at once need --ray (e.g. --ray local)")
        report = _ingest(service, source[0], name, mode, realtime)
        if not as_json:
            _print_report(report)
    finally:
        service.close()


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


@graph_app.command("stats")
def graph_stats(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Counts of videos, nodes by kind, edges by type, and events per observer."""
    service = _service()
    try:
        stats = service.store.stats()
    finally:
        service.close()
    if as_json:
        print(stats.model_dump_json(indent=2))
        return
    table = Table("what", "count")
    table.add_row("videos", str(stats.videos))
    for kind, n in stats.nodes.items():
        table.add_row(f"nodes: {kind}", str(n))
    for etype, n in stats.edges.items():
        table.add_row(f"edges: {etype}", str(n))
    for model, n in stats.observers.items():
        table.add_row(f"events observed by {model}", str(n))
    out.print(table)


@graph_app.command("export")
def graph_export(
    out_path: Annotated[Path, typer.Argument(help="file to write")],
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (re-importable) or graphml")
    ] = "jsonl",
) -> None:
    """Export the whole graph: JSON Lines (for `avas graph import`) or GraphML (graph tools)."""
    from avas.knowledge.transfer import export_graphml, export_jsonl

    if fmt not in ("jsonl", "graphml"):
        raise InputError(f"unknown export format {fmt!r}: use jsonl or graphml")
    service = _service()
    try:
        if fmt == "jsonl":
            n = export_jsonl(service.store, out_path)
            out.print(f"exported {n} events to {out_path}")
        else:
            n = export_graphml(service.store, out_path)
            out.print(f"exported {n} nodes to {out_path}")
    finally:
        service.close()


@graph_app.command("import")
def graph_import(
    in_path: Annotated[Path, typer.Argument(help="a JSON Lines export")],
) -> None:
    """Import a JSON Lines export (vectors are recomputed with this store's embedder)."""
    from avas.knowledge.transfer import import_jsonl

    service = _service()
    try:
        n = import_jsonl(
            service.store,
            service.embedder,
            in_path,
            segment_ms=service.settings.segment.summary_segment_ms,
        )
    finally:
        service.close()
    out.print(f"imported {n} events from {in_path}")


@graph_app.command("merges")
def graph_merges(
    video: Annotated[
        str | None, typer.Option("--video", help="only merges made ingesting this video")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Entities linked to another by a similar name: the alias, its canonical entity, the score
    and the event that linked them. `avas graph unmerge ALIAS_ID` undoes one."""
    service = _service()
    try:
        found = service.store.merges(video_id=video)
        names = {}
        for m in found:
            for node_id in (m.alias_id, m.canonical_id):
                entity = service.store.entity(node_id)
                names[node_id] = entity.name if entity is not None else ""
    finally:
        service.close()
    if as_json:
        rows = [
            m.model_dump(mode="json")
            | {"alias_name": names[m.alias_id], "canonical_name": names[m.canonical_id]}
            for m in found
        ]
        print(json.dumps(rows))
        return
    if not found:
        out.print("no merges")
        return
    table = Table("alias", "alias name", "canonical name", "score", "event", "model")
    for m in found:
        table.add_row(
            m.alias_id,
            names[m.alias_id],
            names[m.canonical_id],
            f"{m.score:.3f}",
            m.event_id,
            m.model,
        )
    out.print(table)


@graph_app.command("unmerge")
def graph_unmerge(
    alias_id: Annotated[str, typer.Argument(help="the alias's entity id (`avas graph merges`)")],
) -> None:
    """Undo a merge: the alias is a separate entity again, with its own events."""
    service = _service()
    try:
        merge = service.store.unmerge_entity(alias_id)
    finally:
        service.close()
    out.print(f"unmerged {merge.alias_id} from {merge.canonical_id}", highlight=False)


@graph_app.command("prune")
def graph_prune(
    keep: Annotated[
        str, typer.Option("--keep", help="detail kept behind each video's newest event: 6h, 90m")
    ],
    video: Annotated[str | None, typer.Option("--video", help="one video; default: all")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON report per video")] = False,
) -> None:
    """Roll events older than --keep into segment summaries and delete their details."""
    from avas.knowledge.retention import parse_duration_ms, prune_video
    from avas.knowledge.summaries import make_summariser

    keep_ms = parse_duration_ms(keep)
    service = _service()
    try:
        summariser = make_summariser(service.settings.summary)
        if video is not None:
            require_video(service.store, video)
        ids = [video] if video is not None else [v.id for v in service.store.videos()]
        segment_ms = service.settings.segment.summary_segment_ms
        for video_id in ids:
            report = prune_video(
                service.store,
                service.embedder,
                video_id,
                keep_ms=keep_ms,
                segment_ms=segment_ms,
                summariser=summariser,
            )
            if as_json:
                print(report.model_dump_json())
            else:
                out.print(
                    f"{video_id}: {report.events_deleted} events before "
                    f"{fmt_ms(report.before_ms)} rolled into summaries "
                    f"({report.segments_summarised} segment summaries written)"
                )
    finally:
        service.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="default: AVAS_API__HOST")] = None,
    port: Annotated[int | None, typer.Option("--port", help="default: AVAS_API__PORT")] = None,
) -> None:
    """The HTTP API and the web page (video + chat + cited spans) at http://HOST:PORT/."""
    import uvicorn

    from avas.interfaces.api.app import check_exposure, create_app

    service = _service()
    try:
        api = service.settings.api
        api = api.model_copy(update={"host": host or api.host, "port": port or api.port})
        check_exposure(api.host, api)  # before binding: no token, no network exposure
        out.print(f"AVAS at http://{api.host}:{api.port}/ (API docs at /docs)")
        uvicorn.run(create_app(service, api), host=api.host, port=api.port)
    finally:
        service.close()


@app.command()
def monitor(
    sources: Annotated[list[str], typer.Argument(help="live URLs (udp://, rtsp://, ...) or files")],
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="a standing question, in words")
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="a YAML or JSON rules file")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST alerts here")] = None,
    alerts: Annotated[Path | None, typer.Option("--alerts", help="append alerts here")] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="stream names, in source order")
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option("--keep", help="retention: keep events this long (6h); default: all"),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray", help="one actor per stream on a Ray cluster: local, auto or an address"
        ),
    ] = None,
) -> None:
    """Watch streams continuously; alerts as JSON lines on stdout (files replay in real time)."""
    from avas.knowledge.retention import parse_duration_ms
    from avas.monitor.runner import format_status, run_monitor

    keep_ms = parse_duration_ms(keep) if keep is not None else None
    service = _service()
    settings = service.settings.monitor
    if keep_ms is not None:
        settings = settings.model_copy(update={"keep_events_ms": keep_ms})
    try:
        if ray is not None:
            from avas.cluster.commands import monitor_command

            statuses = monitor_command(
                service,
                sources,
                address=ray,
                rule_texts=rule or [],
                rules_file=rules,
                webhook=webhook,
                alerts_file=alerts,
                names=name or None,
                settings=settings,
            )
        else:
            statuses = run_monitor(
                service,
                sources,
                rule_texts=rule or [],
                rules_file=rules,
                webhook=webhook,
                alerts_file=alerts,
                names=name or None,
                settings=settings,
            )
    finally:
        service.close()
    for status in statuses:
        err.print(format_status(status), highlight=False, soft_wrap=True)


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
    from graph_schema import fmt_span, normalize_name

    if not answer.citations:
        return "  (no citation)"
    cited = answer.citations[0]
    for fact in manifest.facts:
        # OCR and ASR are not perfect ("BUDGETP REVIEW", "4 million"): compare loosely.
        same = SequenceMatcher(None, normalize_name(fact.text), normalize_name(cited.text)).ratio()
        if fact.kind != "scene" and same >= 0.75 and fact.span.overlaps(cited.span):
            return f"  ✓ overlaps the planted {fact.kind} “{fact.text}” at {fmt_span(fact.span)}"
    return "  ✗ no planted fact overlaps the first citation"


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


if __name__ == "__main__":
    main()

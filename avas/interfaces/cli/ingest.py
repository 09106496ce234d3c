"""`avas ingest`: files and live streams, with a progress bar, JSON lines or quiet."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from avas.errors import InputError
from avas.interfaces.cli.app import (
    _service,
    app,
    err,
    out,
)
from graph_schema import fmt_ms

if TYPE_CHECKING:
    from avas.pipeline import IngestReport
    from avas.service import Service


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
    ticker: threading.Thread | None = None
    try:
        if mode == "json":
            every = service.settings.ingest.live_status_interval_s

            def tick() -> None:
                while not stop.wait(every):
                    emit_status()

            ticker = threading.Thread(target=tick, name="avas-status", daemon=True)
            ticker.start()
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
        if ticker is not None:  # a tick under way prints before the final status, not after
            ticker.join()
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

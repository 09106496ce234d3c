"""Long-running services: `avas serve` (HTTP API + page), `avas monitor` (live rules)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from avas.interfaces.cli.app import (
    _service,
    app,
    err,
    out,
)

if TYPE_CHECKING:
    pass


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

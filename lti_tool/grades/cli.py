"""`flask --app lti_tool grades …`: the delivery worker, outbox status and retries."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import db
from .queries import outbox_counts
from .services import retry, retry_failed
from .worker import Worker, WorkerOptions, oldest_pending

grades_cli = click.Group("grades", help="Deliver scores to the LMS gradebooks (AGS outbox).")


@grades_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver everything that is due, then exit.")
@click.option("--max-rows", type=click.IntRange(min=1), default=None,
              help="Exit after handling this many rows.")
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=None,
              help="Seconds to wait when nothing is due (default 2).")
@click.option("--batch-size", type=click.IntRange(min=1, max=1000), default=None,
              help="Rows claimed at a time (default 20).")
@click.option("--lease-seconds", type=click.FloatRange(min=1), default=None,
              help="How long a claimed row is held before another worker may retry it "
                   "(default 120).")
@click.option("--http-timeout", type=click.FloatRange(min=0.1), default=None,
              help="Seconds to wait for the platform per request (default 10).")
@with_appcontext
def worker_cmd(once: bool, max_rows: int | None, poll_interval: float | None,
               batch_size: int | None, lease_seconds: float | None,
               http_timeout: float | None) -> None:
    """Run the delivery worker (any number, on any hosts, with PostgreSQL)."""
    from ..lti.advantage import AdvantageClient

    opts = WorkerOptions.from_config(current_app.config, once=once, max_rows=max_rows,
                                     poll_interval=poll_interval, batch_size=batch_size,
                                     lease_seconds=lease_seconds, http_timeout=http_timeout)
    if opts.lease_seconds <= opts.http_timeout * 2:
        raise click.BadParameter("must be more than twice --http-timeout (a token request and "
                                 "a score post fit in one lease)", param_hint="--lease-seconds")
    shared: Any = current_app.extensions["lti_tool.advantage"]
    client = AdvantageClient(shared.http, shared.keystore, timeout=opts.http_timeout)
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        click.echo("grades worker: stopping after the current row", err=True)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    click.echo(f"grades worker: started (batch {opts.batch_size}, lease {opts.lease_seconds:g}s,"
               f" timeout {opts.http_timeout:g}s{', once' if once else ''})", err=True)
    stats = Worker(client, opts).run(stop)
    click.echo(f"grades worker: claimed {stats.claimed}, delivered {stats.delivered} "
               f"({stats.already_there} already there), rescheduled {stats.rescheduled}, "
               f"parked {stats.parked}, superseded {stats.superseded}, "
               f"lost leases {stats.lost_leases}")


@grades_cli.command("status")
@with_appcontext
def status_cmd() -> None:
    """How many scores are pending, sent, failed or superseded."""
    counts = outbox_counts()
    for name in ("pending", "sent", "failed", "superseded"):
        click.echo(f"{name:>10}: {counts.get(name, 0)}")
    oldest = oldest_pending()
    if oldest is not None:
        click.echo(f"oldest pending since {oldest.isoformat(timespec='seconds')}")


@grades_cli.command("retry")
@click.argument("row_ids", nargs=-1, type=int)
@click.option("--course", "context_pk", type=int, help="Retry every failed score of a course "
              "(the tool's course id).")
@with_appcontext
def retry_cmd(row_ids: tuple[int, ...], context_pk: int | None) -> None:
    """Queue failed (parked) scores again."""
    if not row_ids and context_pk is None:
        raise click.UsageError("Give outbox row ids or --course.")
    n = 0
    for row_id in row_ids:
        row = retry(row_id)
        n += int(row is not None and row.status == "pending")
    if context_pk is not None:
        n += retry_failed(context_pk)
    db.session.commit()
    click.echo(f"{n} score(s) queued again.")

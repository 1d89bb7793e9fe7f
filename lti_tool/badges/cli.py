"""`flask --app lti_tool badges …`: back-fill missing awards, revoke one, list them. Another
adapter over the same services as the views; it commits once per batch.

The back-fill is also how time-based milestones are caught (a mid-point that passes, a
programme end date reached with no event on that day): run it daily, e.g. from cron.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from tqdm import tqdm

from ..db import db, utcnow
from ..modules.library import Library, Problem
from . import facts, services
from .definitions import BadgeContentError, load_definitions
from .models import BadgeAward
from .queries import award_by_credential

badges_cli = AppGroup("badges", help="Award, revoke and list milestone badges.")


def _runtime() -> services.BadgeRuntime:
    rt: services.BadgeRuntime = current_app.extensions["lti_tool.badges"]
    return rt


@badges_cli.command("backfill")
@click.option("--course", "context_id", type=int, help="Only this course (its id in the tool).")
@click.option("--batch", "batch_pairs", type=click.IntRange(1, 10_000), default=250,
              show_default=True, help="Pairs per transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def backfill_command(context_id: int | None, batch_pairs: int, quiet: bool) -> None:
    """Evaluate every rule for every pair and learner; issue the awards that are missing.

    Idempotent: run it as often as you like; existing (and revoked) awards are never re-issued.
    """
    rt = _runtime()
    now = utcnow()
    issuer = services.issuer_now(rt)
    db.session.commit()  # the badge key, when this is the very first use
    pair_ids = facts.evaluated_pair_ids(context_id)
    issued = 0
    with tqdm(total=len(pair_ids), unit="pair", file=sys.stderr, disable=quiet,
              desc="badges") as bar:
        for start in range(0, len(pair_ids), batch_pairs):
            chunk = pair_ids[start:start + batch_pairs]
            awards = services.evaluate_pairs(rt, chunk, now, bulk=True, issuer=issuer)
            db.session.commit()
            db.session.expunge_all()  # keep memory flat over many batches
            issued += len(awards)
            bar.update(len(chunk))
            bar.set_postfix_str(f"awarded={issued}")
    click.echo(f"{len(pair_ids)} pair{'' if len(pair_ids) == 1 else 's'} checked; "
               f"{issued} badge{'' if issued == 1 else 's'} awarded.")


@badges_cli.command("revoke")
@click.argument("credential_id")
@click.option("--reason", required=True, help="Why (shown on the badge's public page).")
def revoke_command(credential_id: str, reason: str) -> None:
    """Revoke one award, by its credential id (urn:uuid:… or the bare uuid)."""
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise click.BadParameter("give a reason of 3 to 500 characters", param_hint="--reason")
    award = award_by_credential(credential_id)
    if award is None:
        raise click.ClickException(f"no award has the credential id {credential_id!r}")
    changed = services.revoke(award, reason, utcnow())
    db.session.commit()
    click.echo(f"{award.credential_id} revoked." if changed else
               f"{award.credential_id} was already revoked ({award.revoke_reason}); unchanged.")


@badges_cli.command("list")
@click.option("--course", "context_id", type=int, help="Only this course (its id in the tool).")
@click.option("--revoked/--all", "only_revoked", default=False, help="Only revoked awards.")
def list_command(context_id: int | None, only_revoked: bool) -> None:
    """One line per award: credential id, badge, learner id, course id, date, status."""
    query = select(BadgeAward).order_by(BadgeAward.awarded_at, BadgeAward.id)
    if context_id is not None:
        query = query.where(BadgeAward.context_id == context_id)
    if only_revoked:
        query = query.where(BadgeAward.revoked_at.is_not(None))
    count = 0
    for award in db.session.scalars(query).yield_per(1000):
        status = f"revoked: {award.revoke_reason}" if award.revoked_at else "active"
        click.echo(f"{award.credential_id}\t{award.badge_slug}\tuser {award.user_id}\t"
                   f"course {award.context_id}\t{award.awarded_at:%Y-%m-%d}\t{status}")
        count += 1
    click.echo(f"{count} award{'' if count == 1 else 's'}.", err=True)


def content_check(content_dir: Path, library: Library) -> Iterable[Problem]:
    """`content check` for content/badges: definitions, and the module slugs rules name."""
    root = content_dir / "badges"
    if not root.is_dir():
        return [Problem(str(root), None, "the badge definitions folder is missing",
                        "copy content/badges from the tool's repository")]
    try:
        badges = load_definitions(root)
    except BadgeContentError as exc:
        return [_problem(p) for p in exc.problems]
    found: list[Problem] = []
    for badge in badges.values():
        for key in ("mentor_modules", "shared_any_of"):
            for slug in badge.rule.get(key, ()):
                if slug not in library and slug not in getattr(library, "hidden", ()):
                    found.append(Problem(str(badge.source), None,
                                         f"rule.{key} names the module {slug!r}, which does "
                                         "not exist", "use the slug of a module in "
                                         "content/modules"))
    return found


def _problem(text: str) -> Problem:
    where, _sep, message = text.partition(": ")
    file, _colon, line = where.rpartition(":")
    if file and line.isdigit():
        return Problem(file, int(line), message, "fix the badge file as the message says")
    return Problem(text, None, "invalid badge content", "fix the badge file")

"""`flask --app lti_tool lti …` and `… keys …`: manual registration and key rotation."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import IO

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import db
from .models import Registration
from .services import activate_deployment, purge_used_nonces, register_platform

lti_cli = click.Group("lti", help="Register platforms and manage deployments.")
keys_cli = click.Group("keys", help="Show and rotate the tool's signing keys.")


@lti_cli.command("register")
@click.option("--issuer", required=True, help="The platform's issuer (Moodle: its wwwroot).")
@click.option("--client-id", required=True, help="The client ID the platform gave the tool.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token URL.")
@click.option("--key-set-url", help="The platform's public keyset (JWKS) URL.")
@click.option("--key-set-file", type=click.File("r"), help="A JWKS file, if there is no URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True,
              help="A deployment ID to activate (repeatable).")
@click.option("--name", default="", help="A name to recognise the platform by.")
@click.option("--token-audience", default=None, help="Only if the platform asks for a special "
              "token audience.")
@with_appcontext
def register_cmd(issuer: str, client_id: str, auth_login_url: str, auth_token_url: str,
                 key_set_url: str | None, key_set_file: IO[str] | None,
                 deployment_ids: tuple[str, ...], name: str, token_audience: str | None) -> None:
    """Register a platform by hand (when it cannot use Dynamic Registration)."""
    key_set = None
    if key_set_file is not None:
        try:
            key_set = json.load(key_set_file)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--key-set-file") from exc
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            raise click.BadParameter('must be a JWKS: {"keys": [...]}',
                                     param_hint="--key-set-file")
    if not key_set_url and key_set is None:
        raise click.UsageError("Give --key-set-url or --key-set-file.")
    try:
        reg = register_platform(issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
                                auth_token_url=auth_token_url, key_set_url=key_set_url,
                                key_set=key_set, name=name, token_audience=token_audience,
                                deployment_ids=deployment_ids)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    db.session.commit()
    click.echo(f"Registered {reg.issuer} (client {reg.client_id}); "
               f"active deployments: {', '.join(deployment_ids) or 'none yet'}.")


@lti_cli.command("list")
@with_appcontext
def list_cmd() -> None:
    """List registrations and their deployments."""
    regs = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    if not regs:
        click.echo("No platforms registered yet.")
    for reg in regs:
        click.echo(f"{reg.id}: {reg.name} — issuer {reg.issuer}, client {reg.client_id} "
                   f"({reg.source})")
        for dep in reg.deployments:
            click.echo(f"    deployment {dep.deployment_id}: "
                       f"{'active' if dep.active else 'NOT ACTIVE'}")


@lti_cli.command("activate")
@click.argument("issuer")
@click.argument("client_id")
@click.argument("deployment_id")
@click.option("--deactivate", is_flag=True, help="Switch the deployment off instead.")
@with_appcontext
def activate_cmd(issuer: str, client_id: str, deployment_id: str, deactivate: bool) -> None:
    """Activate (or deactivate) a deployment of a registered platform."""
    reg = db.session.scalar(select(Registration).where(Registration.issuer == issuer,
                                                       Registration.client_id == client_id))
    if reg is None:
        raise click.UsageError(f"No registration for issuer {issuer!r} and client {client_id!r}; "
                               "see `flask --app lti_tool lti list`.")
    activate_deployment(reg, deployment_id, active=not deactivate)
    db.session.commit()
    current_app.extensions["lti_tool.lti"]["registry"].forget()
    click.echo(f"Deployment {deployment_id} is now {'inactive' if deactivate else 'active'}.")


@lti_cli.command("purge-nonces")
@with_appcontext
def purge_cmd() -> None:
    """Delete used launch nonces that have expired (launches also do this now and then)."""
    count = purge_used_nonces()
    db.session.commit()
    click.echo(f"Deleted {count} expired nonces.")


@keys_cli.command("list")
@click.option("--purpose", type=click.Choice(["lti", "badges"]), default="lti")
@with_appcontext
def keys_list(purpose: str) -> None:
    """List keys with their state."""
    for row in current_app.extensions["lti_tool.keys"].all_rows(purpose):
        until = row.publish_until.isoformat() if row.publish_until else "-"
        click.echo(f"{row.kid}  {row.state:8}  created {row.created_at:%Y-%m-%d}  "
                   f"published until {until}")


@keys_cli.command("rotate")
@click.option("--purpose", type=click.Choice(["lti", "badges"]), default="lti")
@click.option("--overlap-days", type=click.IntRange(min=0), default=None,
              help="Days the retired LTI key stays published (default LTI_TOOL_KEY_OVERLAP_DAYS).")
@with_appcontext
def keys_rotate(purpose: str, overlap_days: int | None) -> None:
    """Promote the next key to current and retire the current one (kept published)."""
    store = current_app.extensions["lti_tool.keys"]
    days = current_app.config["KEY_OVERLAP_DAYS"] if overlap_days is None else overlap_days
    # Badge keys stay published for ever: old credentials must keep verifying.
    overlap = None if purpose == "badges" else timedelta(days=days)
    new = store.rotate(purpose, overlap)
    db.session.commit()
    click.echo(f"Now signing with {new.kid}. The previous key stays published "
               + ("for ever." if overlap is None else f"for {days} days."))

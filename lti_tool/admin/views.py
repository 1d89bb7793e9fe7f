"""Administration: sign in with LTI_TOOL_ADMIN_TOKEN, register platforms, activate deployments."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..authz import ADMIN, ADMIN_COOKIE, admin_serializer, check_admin_token, public_post, requires
from ..db import db
from ..errors import NotFound, ValidationFailed
from ..lti.models import Deployment, Registration
from ..lti.services import activate_deployment, register_platform

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/login", methods=["GET", "POST"])
@public_post
def login() -> Any:
    """Sign in with the admin token (a first-party page: open it directly, not in an LMS)."""
    if not current_app.config.get("ADMIN_TOKEN"):
        return render_template("admin/login.html", disabled=True), 403
    if request.method == "GET":
        return render_template("admin/login.html")
    if not check_admin_token(request.form.get("token", "")):
        return render_template("admin/login.html", error=_("That token is not right.")), 401
    resp = redirect(url_for("admin.index"), code=303)
    secure = current_app.config["TOOL_BASE_URL"].startswith("https")
    resp.set_cookie(ADMIN_COOKIE, admin_serializer().dumps(secrets.token_urlsafe(16)),
                    max_age=8 * 3600, httponly=True, secure=secure, samesite="Strict",
                    path="/admin")
    return resp


@bp.get("/")
@requires(ADMIN)
def index() -> Any:
    regs = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    return render_template("admin/index.html", registrations=regs,
                           base_url=current_app.config["TOOL_BASE_URL"])


@bp.post("/registrations")
@requires(ADMIN)
def add_registration() -> Any:
    form = {k: request.form.get(k, "").strip() for k in (
        "issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url", "name",
        "deployment_id")}
    try:
        register_platform(issuer=form["issuer"], client_id=form["client_id"],
                          auth_login_url=form["auth_login_url"],
                          auth_token_url=form["auth_token_url"],
                          key_set_url=form["key_set_url"] or None, name=form["name"],
                          deployment_ids=[form["deployment_id"]] if form["deployment_id"] else [])
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    db.session.commit()
    current_app.extensions["lti_tool.lti"]["registry"].forget()
    flash(_("Platform saved."))
    return redirect(url_for("admin.index"), code=303)


@bp.post("/deployments/<int:deployment_pk>")
@requires(ADMIN)
def set_deployment(deployment_pk: int) -> Any:
    dep = db.session.get(Deployment, deployment_pk)
    if dep is None:
        raise NotFound(_("That deployment does not exist."))
    activate_deployment(dep.registration, dep.deployment_id,
                        active=request.form.get("active") == "1")
    db.session.commit()
    current_app.extensions["lti_tool.lti"]["registry"].forget()
    return redirect(url_for("admin.index"), code=303)

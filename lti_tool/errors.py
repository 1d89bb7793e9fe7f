"""A small domain error tree and the one set of error handlers (HTML or JSON)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .db import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """An error a person can act on. `message` is shown; `hint` says what to do next."""

    status_code = 400
    title: Any = _l("Something is not right")

    def __init__(self, message: str, *, hint: str | None = None, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = fields or {}


class BadRequest(DomainError):
    status_code = 400


class Unauthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class ValidationFailed(DomainError):
    """Input failed a schema; `fields` maps field names to messages."""

    status_code = 422


def wants_json(req: Request) -> bool:
    if req.path.startswith("/api/") or req.is_json:
        return True
    best = req.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _render(status: int, title: str, message: str, hint: str | None, fields: dict[str, Any]) -> Any:
    if wants_json(request):
        body: dict[str, Any] = {"error": title, "message": message}
        if hint:
            body["hint"] = hint
        if fields:
            body["fields"] = fields
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, message=message,
                           hint=hint, fields=fields), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> Any:
        db.session.rollback()
        return _render(exc.status_code, str(exc.title), exc.message, exc.hint, exc.fields)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Any:
        db.session.rollback()
        status = exc.code or 500
        messages = {
            400: _("The request could not be understood."),
            404: _("This page does not exist. Check the address, or go back and try again."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large. Send a smaller file or less text."),
            429: _("Too many requests. Wait a moment and try again."),
        }
        return _render(status, exc.name, messages.get(status, exc.description or exc.name), None, {})

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, _("Something went wrong on our side"),
                       _("The tool hit an unexpected problem. Nothing you entered was saved. "
                         "Please try again in a minute."), None, {})

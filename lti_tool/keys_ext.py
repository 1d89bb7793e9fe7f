"""Wires the key store into the app (one per process)."""

from __future__ import annotations

from flask import Flask

from .keys.services import KeyStore


def init_app(app: Flask) -> None:
    app.extensions["lti_tool.keys"] = KeyStore(app.config["SECRET_KEY"],
                                               app.config.get("KEY_ENCRYPTION_KEY"))

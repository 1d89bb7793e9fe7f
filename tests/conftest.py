"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
LTI_TOOL_TEST_DATABASE_URL is set), the app, and live servers on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import BaseWSGIServer, make_server

from lti_tool import create_app
from lti_tool.db import Base

TEST_SECRET = "test-secret-" + secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LTI_TOOL_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """Build the schema once per session from the models (tests/test_migrations.py checks that
    the Alembic migrations build exactly the same schema)."""
    app = create_app({"ENVIRON": _environ(database_url, "http://127.0.0.1:5000")})
    with app.app_context():
        from lti_tool.db import db

        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
    return database_url


def _environ(database_url: str, base_url: str) -> dict[str, str]:
    return {"LTI_TOOL_SECRET_KEY": TEST_SECRET, "LTI_TOOL_DATABASE_URL": database_url,
            "LTI_TOOL_BASE_URL": base_url, "LTI_TOOL_ENV": "testing",
            "LTI_TOOL_ADMIN_TOKEN": "admin-token-for-tests-0123456789"}


def _truncate(database_url: str) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


class _LateApp:
    """A WSGI callable whose app is set after the server has picked its port."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def serve(build: Callable[[str], Any]) -> tuple[LiveServer, Any]:
    """Serve the app that `build(base_url)` returns on a free port of 127.0.0.1."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    late.app = build(url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveServer(url, server, thread), late.app


@pytest.fixture
def make_app(migrated_database: str) -> Iterator[Callable[..., Any]]:
    """Factory for apps on the test database; the database is emptied after the test."""
    created: list[Any] = []

    def factory(base_url: str = "http://127.0.0.1:5000", **config: Any) -> Any:
        app = create_app({"ENVIRON": _environ(migrated_database, base_url), **config})
        created.append(app)
        return app

    yield factory
    for app in created:
        with app.app_context():
            from lti_tool.db import db

            db.session.remove()
            db.engine.dispose()
    _truncate(migrated_database)


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (bin/install-deps --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()

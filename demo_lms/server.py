"""Run a demo LMS in a background thread (for end-to-end tests and benchmarks).

    from demo_lms.server import start_platform_server
    with start_platform_server(PlatformConfig(tool_url=tool.url)) as lms_server:
        requests.get(f"{lms_server.url}/jwks")
        lms_server.lms.faults.down("ags")
"""

from __future__ import annotations

import dataclasses
import threading
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .config import PlatformConfig
from .platform import create_platform_app, get_lms
from .state import DemoLMS


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print one log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _LateBoundApp:
    """WSGI app set after the socket is bound, so the issuer can contain the real port."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


class PlatformServer:
    """A demo LMS served by a threaded werkzeug server on a background thread."""

    def __init__(self, server: BaseWSGIServer, app: Flask, url: str) -> None:
        self._server = server
        self.app = app
        self.url = url
        self._thread = threading.Thread(target=server.serve_forever, name=f"demo_lms {url}",
                                        daemon=True)
        self._thread.start()

    @property
    def lms(self) -> DemoLMS:
        """State and admin API (faults, counters, keys, registrations, scores)."""
        return get_lms(self.app)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> PlatformServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()


def start_platform_server(config: PlatformConfig | None = None, host: str = "127.0.0.1",
                          port: int = 0, quiet: bool = True) -> PlatformServer:
    """Start a demo LMS on ``host:port`` (0 = an ephemeral port) and return at once.

    When ``config.issuer`` is None it becomes ``http://<host>:<bound port>``.
    """
    config = config or PlatformConfig()
    holder = _LateBoundApp()
    server = make_server(host, port, holder, threaded=True,
                         request_handler=_QuietHandler if quiet else None)
    url = f"http://{host}:{server.server_port}"
    if config.issuer is None:
        config = dataclasses.replace(config, issuer=url)
    holder.app = create_platform_app(config)
    return PlatformServer(server, holder.app, url)

"""The benchmark's stand-in for an LMS: it only serves the platform's public key set.

    python mock_platform.py JWKS_FILE

Binds 127.0.0.1 on a free port and prints that port on its first line of output. Routes:
  GET /jwks              the key set (after the configured delay: a remote LMS answers late)
  GET /_control?delay_ms=N   set the delay for later /jwks requests
  GET /_stats            {"jwks_requests": n, "delay_ms": d}: key-set requests served so far
Anything else is 404: the driver never follows the redirect to the authorization URL, it signs
the id_token itself, as the platform would.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _State:
    def __init__(self, jwks: bytes):
        self.jwks = jwks
        self.delay = 0.0
        self.count = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        st = self.state
        if parts.path == "/jwks":
            with st.lock:
                st.count += 1
                delay = st.delay
            if delay:
                time.sleep(delay)
            self._send(200, st.jwks)
        elif parts.path == "/_control":
            query = parse_qs(parts.query)
            with st.lock:
                st.delay = float(query.get("delay_ms", ["0"])[0]) / 1000.0
            self._send(200, b"{}")
        elif parts.path == "/_stats":
            with st.lock:
                body = {"jwks_requests": st.count, "delay_ms": st.delay * 1000.0}
            self._send(200, json.dumps(body).encode())
        else:
            self._send(404, b'{"error": "not found"}')


def main() -> None:
    with open(sys.argv[1], "rb") as fh:
        jwks = fh.read()
    json.loads(jwks)  # fail early on a bad file
    handler = type("Handler", (_Handler,), {"state": _State(jwks)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    main()

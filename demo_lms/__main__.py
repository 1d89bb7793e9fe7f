"""Run the demo LMS: ``python -m demo_lms --port 5001 --tool http://127.0.0.1:5000``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from werkzeug.serving import run_simple

from .config import PlatformConfig
from .platform import create_platform_app, get_lms


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo_lms",
        description="A demo LMS (LTI 1.3 platform) to launch the reverse mentoring tool.")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5001, help="port (default 5001)")
    parser.add_argument("--issuer", help="public base URL / iss (default http://HOST:PORT)")
    parser.add_argument("--tool", default="http://127.0.0.1:5000",
                        help="tool base URL (default http://127.0.0.1:5000)")
    parser.add_argument("--client-id", default="demo-client",
                        help="pre-registered client_id (default demo-client)")
    parser.add_argument("--deployment-id", default="demo-deployment",
                        help="pre-registered deployment_id (default demo-deployment)")
    parser.add_argument("--no-preregister", action="store_true",
                        help="start with no tool registered (use Dynamic Registration)")
    parser.add_argument("--key-file", help="platform private key PEM; created if missing, "
                        "so restarts keep the same key")
    parser.add_argument("--tool-jwks-file", help="use this tool JWKS JSON file instead of "
                        "fetching TOOL/lti/jwks")
    parser.add_argument("--nrps-page-size", type=int,
                        help="page NRPS results even when the tool sends no limit")
    parser.add_argument("--plain-page-numbers", action="store_true",
                        help="page=2 in Link headers instead of opaque mixed-case cursors")
    parser.add_argument("--debug", action="store_true", help="Flask debug mode (reloader off)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool_jwks = None
    if args.tool_jwks_file:
        tool_jwks = json.loads(Path(args.tool_jwks_file).read_text(encoding="utf-8"))
    config = PlatformConfig(
        issuer=args.issuer or f"http://{args.host}:{args.port}",
        tool_url=args.tool,
        client_id=None if args.no_preregister else args.client_id,
        deployment_id=args.deployment_id,
        key_file=args.key_file,
        tool_jwks=tool_jwks,
        nrps_default_limit=args.nrps_page_size,
        opaque_page_cursors=not args.plain_page_numbers,
    )
    app = create_platform_app(config)
    lms = get_lms(app)
    settings = lms.platform_settings()
    print(f"Demo LMS on {lms.issuer}/  (tool: {lms.tool_url})", file=sys.stderr)
    print("Configure the tool with:", file=sys.stderr)
    for key, value in settings.items():
        print(f"  {key:24} {value if value is not None else '(register first)'}",
              file=sys.stderr)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False,
               use_debugger=args.debug)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the 1EdTech Open Badges 2.0 validator (PyPI `openbadges` 1.1.2, openbadges-validator-core)
offline against the tool served on this machine.

    .venv-ob2/bin/python tests/conformance/ob2_validate.py INPUT [--email ADDRESS]

INPUT is a hosted Assertion URL on 127.0.0.1/localhost, or a baked PNG/SVG file. Prints one JSON
object (valid, errorCount, warningCount, messages) and exits 0 when valid, 1 when not, 3 on a
usage error.

Offline: every HTTP request goes through one transport adapter that answers the Open Badges 2.0
JSON-LD context from the copy inside the validator package (it would fetch
https://w3id.org/openbadges/v2) and refuses any host other than this machine.
Runs in its own virtualenv (bin/install-deps --test makes .venv-ob2): the validator pins
packages that clash with the tool's.
"""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

CONTEXTS = ("https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json",
            "http://w3id.org/openbadges/v2")
LOCAL = ("127.0.0.1", "localhost", "::1")


class OfflineAdapter(HTTPAdapter):
    """Serves the bundled context; passes only local requests on; refuses the rest."""

    def send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        url = str(request.url)
        if url.split("#")[0].rstrip("/") in CONTEXTS:
            from openbadges.verifier.openbadges_context import OPENBADGES_CONTEXT_V2_DICT

            response = requests.Response()
            response.status_code, response.url, response.request = 200, url, request
            response._content = json.dumps(OPENBADGES_CONTEXT_V2_DICT).encode()
            response.headers["Content-Type"] = "application/ld+json"
            response.encoding = "utf-8"
            return response
        if urlsplit(url).hostname not in LOCAL:
            raise requests.ConnectionError(f"offline: refusing to fetch {url}")
        return super().send(request, *args, **kwargs)


_session_init = requests.Session.__init__


def _offline_session(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    _session_init(self, *args, **kwargs)
    adapter = OfflineAdapter()
    self.mount("http://", adapter)
    self.mount("https://", adapter)


# The validator (and PyLD 0.7 inside it) make their own sessions or call requests.get().
requests.Session.__init__ = _offline_session  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="hosted Assertion URL, or a baked .png/.svg file")
    parser.add_argument("--email", help="the recipient's e-mail, to check the hashed identity")
    args = parser.parse_args()

    from openbadges import verify

    source = args.input
    if source.endswith((".png", ".svg")):
        source = open(source, "rb")  # noqa: SIM115 - the validator reads it
    elif urlsplit(source).hostname not in LOCAL:
        print(json.dumps({"error": "give a local URL or a baked image file"}))
        return 3
    profile = {"email": args.email} if args.email else None
    result = verify(source, recipient_profile=profile, use_cache=False)
    report = result["report"]
    print(json.dumps({"valid": report["valid"], "errorCount": report["errorCount"],
                      "warningCount": report["warningCount"], "messages": report["messages"]},
                     indent=1))
    return 0 if report["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())

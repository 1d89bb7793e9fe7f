"""Badge credential benchmark: issue and verify OB 3.0 credentials (eddsa-rdfc-2022, pyld).

    .venv/bin/python benchmarks/badges.py [--count 300] [--repeat 5]

Warm process (contexts loaded, the safe-mode check already done once per badge template), one
thread, did:web issuer, the ten milestone badges in turn with e-mail recipients and one
Evidence each. Reports CPU time per credential (median and fastest of `--repeat` runs), since
the 2-core machine is shared and wall time would include the neighbours' work. A cold first
credential (imports excluded) is reported separately.

Last run (2 cores shared with other jobs, load ≈ 7), CPU ms per credential, median / fastest:
  issue 2.5 / 2.3 · issue_many(300) 2.3 / 1.9 · verify 1.95 / 1.8 · status list (131,072
  entries, 1,000 revoked) build + sign 0.6 · PNG render 512 px 24 · bake PNG 0.1 · first
  credential in a fresh process 15 (contexts + one safe-mode check).
Before processed contexts were remembered (lti_tool/badges/jsonld.py `_Processor`) and the proof
configuration's digest cached (dataintegrity.py): issue 5.5–6.3, verify 6.0–6.4. pyld
re-processed the OB type-scoped contexts on every call, more than half of the time; what remains
is expansion, RDF conversion and URDNA2015 of the ~2.6 KB credential. Ed25519 ≈ 0.05 ms.
End-to-end (rules, database, signing, public pages): benchmarks/badge_pages.py.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.badges import baking, did, ob3, statuslist
from lti_tool.badges.definitions import badge_definitions
from lti_tool.keys.services import SigningKey, _b64u, _thumbprint

BASE = "https://mentoring.example.org"


def _key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64u(raw)}
    jwk["kid"] = _thumbprint(jwk)
    return SigningKey(jwk["kid"], "badges", private, jwk)


def _time(label: str, run: Callable[[], object], per: int, repeat: int) -> None:
    samples = []
    for _ in range(repeat):
        # CPU time of this process: the machine is shared, wall time would measure neighbours.
        start = time.process_time()
        run()
        samples.append((time.process_time() - start) / per * 1000)
    print(f"{label:<44} median {statistics.median(samples):7.2f} ms   "
          f"fastest {min(samples):7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    key = _key()
    urls = ob3.BadgeUrls(BASE)
    issuer = ob3.web_issuer(BASE, key, name="Reverse Mentoring at Example")
    resolve = did.resolver(did.did_document(issuer.id, [key.public_jwk]))
    badges = list(badge_definitions().values())
    awards = [ob3.Award(badges[i % 10], ob3.Recipient(ob3.new_salt(), email=f"l{i}@example.org"),
                        datetime(2025, 3, 14, tzinfo=UTC), urls.status_list(1), i,
                        (ob3.Evidence.summary("Milestone summary", {"Sessions": i % 9 + 1}),))
              for i in range(args.count)]

    start = time.process_time()
    first = ob3.issue(awards[0], issuer, urls)
    cold = 1000 * (time.process_time() - start)
    print(f"{'first credential, cold (check + contexts)':<44} {cold:7.2f} ms")
    for award in awards[:10]:  # one safe-mode check per badge template, as in a running app
        ob3.issue(award, issuer, urls)

    _time("issue (one credential)", lambda: [ob3.issue(a, issuer, urls) for a in awards],
          len(awards), args.repeat)
    creds = ob3.issue_many(awards, issuer, urls)
    _time(f"issue_many({len(awards)}), per credential",
          lambda: ob3.issue_many(awards, issuer, urls), len(awards), args.repeat)
    _time("verify (one credential)", lambda: [ob3.verify_credential(c, resolve) for c in creds],
          len(creds), args.repeat)
    revoked = range(0, statuslist.LIST_SIZE, statuslist.LIST_SIZE // 1000)
    _time("status list build + sign (1,000 revoked)", lambda: statuslist.
          build_status_list_credential(issuer, urls.status_list(1), revoked), 1, args.repeat)
    svg = badges[0].image_svg
    _time("render PNG 512 px (uncached)", lambda: baking.render_png.__wrapped__(svg, 512), 1,
          args.repeat)
    png = baking.badge_png(badges[0])
    _time("bake PNG", lambda: baking.bake_png(png, first), 1, args.repeat)


if __name__ == "__main__":
    main()

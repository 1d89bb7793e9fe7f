"""Platform key sets: cached per process and in the database, refetched on an unknown kid.

pylti1p3 fetches the platform JWKS on every launch, or caches it for a fixed time with no refetch
when the platform rotates (pylti1.3 #90). Here a launch never waits for the network while the
kid is known: expired sets keep serving known kids while one background thread refreshes them,
and an unknown kid triggers one synchronous refetch (rate-limited, so random kids cannot be used
to hammer the platform).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta
from typing import Any

import jwt
import requests
from flask import Flask

from ..db import db, upsert, utcnow
from .models import PlatformKeySet

log = logging.getLogger(__name__)

# An unknown kid triggers a refetch, at most this many per key set and minute, and never twice
# for the same kid within a minute: random kids cannot turn the tool against the platform.
_MAX_REFETCHES_PER_MINUTE = 6
_MAX_AGE_RE = re.compile(r"max-age=(\d+)")


class KeySetUnavailable(Exception):
    pass


class _Entry:
    __slots__ = ("keys", "expires", "fetches", "missed", "refreshing")

    def __init__(self, keys: dict[str, jwt.PyJWK], expires: float, fetches: list[float]):
        self.keys = keys
        self.expires = expires
        self.fetches = fetches  # monotonic times of recent fetches
        self.missed: dict[str, float] = {}  # unknown kids, when last looked for
        self.refreshing = False

    def may_refetch_for(self, kid: str, now: float) -> bool:
        recent = [t for t in self.fetches if now - t < 60]
        missed_at = self.missed.get(kid)
        return len(recent) < _MAX_REFETCHES_PER_MINUTE and (
            missed_at is None or now - missed_at >= 60)


class PlatformKeySets:
    def __init__(self, app: Flask, http: requests.Session | None = None):
        self._app = app
        self._http = http or requests.Session()
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.fetch_count = 0  # for tests and benchmarks

    def key(self, url: str, kid: str) -> jwt.PyJWK:
        """The platform's public key `kid` from the key set at `url`."""
        entry = self._entries.get(url)
        now = time.monotonic()
        if entry is None:
            entry = self._from_db(url)
        if entry is not None and kid in entry.keys:
            if now > entry.expires:
                self._refresh_in_background(url, entry)
            return entry.keys[kid]
        # Unknown kid (or nothing cached): the platform may have rotated its key.
        if entry is not None and not entry.may_refetch_for(kid, now):
            raise KeyError(kid)
        fresh = self._fetch(url, entry)
        if kid not in fresh.keys:
            fresh.missed[kid] = now
            raise KeyError(kid)
        return fresh.keys[kid]

    def _from_db(self, url: str) -> _Entry | None:
        row = db.session.get(PlatformKeySet, url)
        if row is None:
            return None
        ttl = (row.expires_at - utcnow()).total_seconds()
        age = (utcnow() - row.fetched_at).total_seconds()
        entry = _Entry(_parse(row.jwks), time.monotonic() + ttl, [time.monotonic() - age])
        self._entries[url] = entry
        return entry

    def _fetch(self, url: str, previous: _Entry | None = None) -> _Entry:
        self.fetch_count += 1
        try:
            resp = self._http.get(url, timeout=10, headers={"Accept": "application/json"})
            resp.raise_for_status()
            jwks = resp.json()
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
                raise ValueError("not a JWK set")
        except (requests.RequestException, ValueError) as exc:
            log.warning("platform key set %s unavailable: %s", url, exc)
            raise KeySetUnavailable(str(exc)) from exc
        ttl = self._ttl(resp.headers.get("Cache-Control", ""))
        now = utcnow()
        upsert(PlatformKeySet, {"url": url, "jwks": jwks, "fetched_at": now,
                                "expires_at": now + timedelta(seconds=ttl)},
               ("url",), ("jwks", "fetched_at", "expires_at"))
        now_m = time.monotonic()
        history = [t for t in (previous.fetches if previous else []) if now_m - t < 60]
        entry = _Entry(_parse(jwks), now_m + ttl, [*history, now_m])
        if previous is not None:
            entry.missed = previous.missed
        self._entries[url] = entry
        return entry

    def _ttl(self, cache_control: str) -> int:
        default = int(self._app.config["JWKS_CACHE_SECONDS"])
        match = _MAX_AGE_RE.search(cache_control)
        if "no-store" in cache_control or "no-cache" in cache_control:
            return 60
        # Honour the platform's max-age, within a minute and a day.
        return min(max(int(match.group(1)), 60), 86400) if match else default

    def _refresh_in_background(self, url: str, entry: _Entry) -> None:
        with self._lock:
            if entry.refreshing:
                return
            entry.refreshing = True

        def run() -> None:
            with self._app.app_context():
                try:
                    self._fetch(url, entry)
                    db.session.commit()
                except KeySetUnavailable:
                    entry.expires = time.monotonic() + 60  # keep serving; retry in a minute
                finally:
                    entry.refreshing = False
                    db.session.remove()

        threading.Thread(target=run, name="jwks-refresh", daemon=True).start()

    def forget(self) -> None:
        self._entries.clear()


def _parse(jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for data in jwks.get("keys", []):
        if not isinstance(data, dict) or data.get("kty") != "RSA" or "kid" not in data:
            continue
        try:
            keys[str(data["kid"])] = jwt.PyJWK(data, algorithm="RS256")
        except jwt.PyJWKError:
            log.warning("skipping unusable platform key %s", data.get("kid"))
    return keys


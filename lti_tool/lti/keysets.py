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
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import requests
from flask import Flask
from sqlalchemy import select

from ..db import db, upsert, utcnow
from .models import PlatformKeySet

log = logging.getLogger(__name__)

_MIN_REFETCH_SECONDS = 10.0
_MAX_AGE_RE = re.compile(r"max-age=(\d+)")


class KeySetUnavailable(Exception):
    pass


class _Entry:
    __slots__ = ("keys", "expires", "last_fetch", "refreshing")

    def __init__(self, keys: dict[str, jwt.PyJWK], expires: float, last_fetch: float):
        self.keys = keys
        self.expires = expires
        self.last_fetch = last_fetch
        self.refreshing = False


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
        if entry is not None and now - entry.last_fetch < _MIN_REFETCH_SECONDS:
            raise KeyError(kid)
        entry = self._fetch(url)
        if kid not in entry.keys:
            raise KeyError(kid)
        return entry.keys[kid]

    def _from_db(self, url: str) -> _Entry | None:
        row = db.session.get(PlatformKeySet, url)
        if row is None:
            return None
        ttl = (row.expires_at - utcnow()).total_seconds()
        age = (utcnow() - row.fetched_at).total_seconds()
        entry = _Entry(_parse(row.jwks), time.monotonic() + ttl, time.monotonic() - age)
        self._entries[url] = entry
        return entry

    def _fetch(self, url: str) -> _Entry:
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
        entry = _Entry(_parse(jwks), time.monotonic() + ttl, time.monotonic())
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
                    self._fetch(url)
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


KeyLookup = Callable[[str, str], jwt.PyJWK]

"""Registrations and deployments, read through a short per-process cache.

Every launch needs its registration and deployment; reading them from the database each time
would be two round trips per launch. They change rarely, so each worker keeps them for a few
seconds. A change on another host (e.g. an administrator activating a deployment) is seen
within CACHE_SECONDS; changes made through this process are seen at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import db, utcnow
from .models import Deployment, Registration

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class RegistrationInfo:
    id: int
    issuer: str
    client_id: str
    name: str
    auth_login_url: str
    auth_token_url: str
    token_audience: str | None
    key_set_url: str | None
    key_set: dict[str, Any] | None
    static_keys: dict[str, jwt.PyJWK] | None


@dataclass(frozen=True)
class DeploymentInfo:
    id: int
    registration_id: int
    deployment_id: str
    active: bool


def registration_info(row: Registration) -> RegistrationInfo:
    static = None
    if row.key_set:
        static = {}
        for data in row.key_set.get("keys", []):
            if isinstance(data, dict) and data.get("kid"):
                try:
                    static[str(data["kid"])] = jwt.PyJWK(data, algorithm="RS256")
                except jwt.PyJWKError:
                    continue
    return RegistrationInfo(row.id, row.issuer, row.client_id, row.name, row.auth_login_url,
                            row.auth_token_url, row.token_audience, row.key_set_url, row.key_set,
                            static)


class Registry:
    def __init__(self) -> None:
        self._regs: dict[tuple[str, str], tuple[float, RegistrationInfo | None]] = {}
        self._deps: dict[tuple[int, str], tuple[float, DeploymentInfo | None]] = {}
        self._lock = threading.Lock()

    def registration(self, issuer: str, client_id: str) -> RegistrationInfo | None:
        key = (issuer, client_id)
        hit = self._regs.get(key)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        row = db.session.scalar(select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id))
        info = registration_info(row) if row else None
        self._regs[key] = (time.monotonic(), info)
        return info

    def registration_for_login(self, issuer: str, client_id: str | None) -> RegistrationInfo | None:
        """Login initiation may omit client_id; that works only when the issuer has one."""
        if client_id:
            return self.registration(issuer, client_id)
        rows = list(db.session.scalars(select(Registration).where(Registration.issuer == issuer)
                                       .limit(2)))
        return registration_info(rows[0]) if len(rows) == 1 else None

    def deployment(self, reg: RegistrationInfo, deployment_id: str) -> DeploymentInfo | None:
        """The deployment; an unknown one is recorded as inactive for an admin to activate."""
        if not deployment_id:
            return None
        key = (reg.id, deployment_id)
        hit = self._deps.get(key)
        if hit and hit[1] is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        row = db.session.scalar(select(Deployment).where(
            Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id))
        if row is None:
            row = Deployment(registration_id=reg.id, deployment_id=deployment_id[:255],
                             active=False, created_at=utcnow())
            try:
                with db.session.begin_nested():
                    db.session.add(row)
                db.session.commit()  # keep the record even though this launch is refused
            except IntegrityError:
                row = db.session.scalar(select(Deployment).where(
                    Deployment.registration_id == reg.id,
                    Deployment.deployment_id == deployment_id))
                if row is None:
                    return None
        info = DeploymentInfo(row.id, row.registration_id, row.deployment_id, row.active)
        self._deps[key] = (time.monotonic(), info)
        return info

    def forget(self) -> None:
        with self._lock:
            self._regs.clear()
            self._deps.clear()

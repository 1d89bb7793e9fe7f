"""Signing keys, stored encrypted in the database so every host shares them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class ToolKey(Base):
    """A signing key. state: next → current → retired (published until publish_until)."""

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # 'lti' (RSA-2048) | 'badges' (Ed25519)
    state: Mapped[str] = mapped_column(String(16))  # 'next' | 'current' | 'retired'
    private_key: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM encrypted PKCS#8 DER
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    publish_until: Mapped[datetime | None]  # None = published for ever (badge keys)

"""Platforms, deployments, used nonces, people and courses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


class Registration(Base):
    """A platform registration, keyed by (issuer, client_id): Canvas uses one issuer for all."""

    __tablename__ = "lti_registration"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    platform_family: Mapped[str] = mapped_column(String(64), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    # Canvas wants the token assertion's aud to be its own token URL; others accept the
    # token URL too, so this only overrides when a platform asks for something else.
    token_audience: Mapped[str | None] = mapped_column(String(1024))
    key_set_url: Mapped[str | None] = mapped_column(String(1024))
    key_set: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(back_populates="registration")


class Deployment(Base):
    """One deployment of the tool on a platform; unknown ones are recorded inactive."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id",
                                                            ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]

    registration: Mapped[Registration] = relationship(back_populates="deployments")


class PlatformKeySet(Base):
    """A platform's JWKS, shared by every worker; refetched on an unknown kid or expiry."""

    __tablename__ = "lti_platform_key_set"

    url: Mapped[str] = mapped_column(String(1024), primary_key=True)
    jwks: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class UsedNonce(Base):
    """A launch nonce that has been accepted; inserting it twice fails, so every id_token is
    accepted once across all processes and hosts. Rows are purged after they expire."""

    __tablename__ = "lti_used_nonce"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class User(Base):
    """A person as one platform knows them; keyed on the platform-scoped `sub`."""

    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("registration_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id",
                                                            ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None]

    @property
    def display_name(self) -> str:
        return self.name or f"#{self.id}"


class Context(Base):
    """A course (LTI context) in one deployment."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("lti_deployment.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    lineitems_url: Mapped[str | None] = mapped_column(String(1024))
    ags_scopes: Mapped[str | None] = mapped_column(Text)
    nrps_url: Mapped[str | None] = mapped_column(String(1024))
    roster_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A person's role in a course, from a validated launch or the platform's roster."""

    __tablename__ = "lti_membership"
    __table_args__ = (UniqueConstraint("context_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # 'learner' | 'instructor'
    lti_roles: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="launch")  # 'launch' | 'roster'
    first_launch_at: Mapped[datetime | None]
    last_launch_at: Mapped[datetime | None]


class ResourceLink(Base):
    """A placement of the tool in a course; carries the AGS line item when graded."""

    __tablename__ = "lti_resource_link"
    __table_args__ = (UniqueConstraint("context_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    module_slug: Mapped[str | None] = mapped_column(String(100))
    lineitem_url: Mapped[str | None] = mapped_column(String(1024))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Rows of the LTI Advantage services: cached access tokens and pending Deep Linking requests.

Kept apart from models.py (launch, people, courses) because these rows are only ever read and
written by the service client (advantage.py) and the Deep Linking flow (deep_linking.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class AccessToken(Base):
    """An OAuth2 access token of one registration for one scope set, shared by every worker.

    Kept until `expires_at` (from the platform's `expires_in`), so N workers on M hosts ask the
    platform's token endpoint once per hour, not once per score.
    """

    __tablename__ = "lti_access_token"
    __table_args__ = (UniqueConstraint("registration_id", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id",
                                                            ondelete="CASCADE"))
    scope_key: Mapped[str] = mapped_column(String(1024))  # sorted scopes, space separated
    access_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeepLinkRequest(Base):
    """The settings of one LtiDeepLinkingRequest, kept until the instructor's picker answers.

    Keyed by a random id and bound to the launch token's session id (`sid`), user and course,
    so only the instructor who opened the picker can answer it, and only once.
    """

    __tablename__ = "lti_deep_link_request"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sid: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id",
                                                            ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))  # the platform's deployment_id
    return_url: Mapped[str] = mapped_column(String(2048))
    data: Mapped[Any | None] = mapped_column(JSON)  # opaque; echoed back exactly
    accept_multiple: Mapped[bool] = mapped_column(default=False)
    accept_lineitem: Mapped[bool] = mapped_column(default=True)
    accept_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(255), default="")
    placement: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

"""Bitstring status lists: encoding, the signed list credential, lookups and allocation."""

from __future__ import annotations

import base64
import copy
import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.badges import ob3, statuslist
from lti_tool.badges.dataintegrity import verify_proof
from lti_tool.badges.models import BadgeAward, BadgeStatusCounter
from lti_tool.db import Base
from lti_tool.lti import models as lti_models

from .conftest import BASE_URL

NOW = datetime(2025, 5, 1, tzinfo=UTC)


def test_bit_zero_is_the_leftmost_bit_and_the_list_is_16_kib():
    encoded = statuslist.encode_list([0, 9, statuslist.LIST_SIZE - 1])
    assert encoded.startswith("u")
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert len(bits) == 16 * 1024
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000 and bits[-1] == 0b0000_0001
    decoded = statuslist.decode_list(encoded)
    assert [i for i in (0, 1, 8, 9, statuslist.LIST_SIZE - 1) if statuslist.bit_is_set(decoded, i)] \
        == [0, 9, statuslist.LIST_SIZE - 1]
    assert statuslist.encode_list([3]) == statuslist.encode_list([3])  # no timestamp inside
    with pytest.raises(ValueError):
        statuslist.encode_list([statuslist.LIST_SIZE])


def test_positions_map_to_lists_and_indexes():
    assert statuslist.list_location(0) == (1, 0)
    assert statuslist.list_location(statuslist.LIST_SIZE + 5) == (2, 5)
    with pytest.raises(ValueError):
        statuslist.list_location(-1)


def test_a_gzip_bomb_is_refused():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(32 * 1024 * 1024))).decode()
    with pytest.raises(ValueError, match="larger"):
        statuslist.decode_list(bomb)


@pytest.fixture(scope="module")
def lists(web_issuer, urls):
    url = urls.status_list(1)
    return {"revoked": statuslist.build_status_list_credential(web_issuer, url, [7], now=NOW),
            "clean": statuslist.build_status_list_credential(web_issuer, url, [], now=NOW,
                                                             ttl_ms=300_000)}


def test_the_status_list_credential_is_signed_and_verifiable(lists, resolve, web_issuer):
    cred = lists["clean"]
    assert cred["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert cred["id"] == f"{BASE_URL}/badges/status/1" and cred["issuer"] == web_issuer.id
    assert cred["credentialSubject"]["type"] == "BitstringStatusList"
    assert cred["credentialSubject"]["statusPurpose"] == "revocation"
    assert cred["credentialSubject"]["ttl"] == 300_000
    assert verify_proof(cred, resolve).ok


def test_revoking_a_credential_makes_verification_say_revoked(lists, make_award, web_issuer,
                                                              urls, resolve):
    badge = ob3.issue(make_award(index=7), web_issuer, urls)
    neighbour = ob3.issue(make_award(index=8), web_issuer, urls)
    url = urls.status_list(1)
    revoked = statuslist.status_lookup({url: lists["revoked"]}, resolve, issuer_id=web_issuer.id)
    result = ob3.verify_credential(badge, resolve, status_lookup=revoked)
    assert result.code == "revoked"
    assert ob3.verify_credential(neighbour, resolve, status_lookup=revoked).ok
    clean = statuslist.status_lookup({url: lists["clean"]}, resolve)
    assert "It has not been revoked." in ob3.verify_credential(badge, resolve,
                                                               status_lookup=clean).passed


def test_a_forged_or_missing_list_cannot_tell(lists, make_award, web_issuer, urls, resolve):
    badge = ob3.issue(make_award(index=7), web_issuer, urls)
    url = urls.status_list(1)
    forged = copy.deepcopy(lists["clean"])
    forged["credentialSubject"]["encodedList"] = lists["revoked"]["credentialSubject"][
        "encodedList"]
    lookups = [statuslist.status_lookup({url: forged}, resolve),  # signature broken
               statuslist.status_lookup({}, resolve),  # list not available
               statuslist.status_lookup({url: lists["revoked"]}, resolve,
                                        issuer_id="did:web:someone-else.example")]
    for lookup in lookups:
        result = ob3.verify_credential(badge, resolve, status_lookup=lookup)
        assert result.ok and [w.code for w in result.warnings] == ["status_unknown"]


# -- database: allocation and revoked indexes --------------------------------------------

@pytest.fixture
def session(tmp_path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path}/badges.sqlite")

    @event.listens_for(engine, "connect")
    def _foreign_keys(conn, _record):  # SQLite enforces foreign keys only when asked
        conn.execute("PRAGMA foreign_keys=ON")

    assert lti_models.User.__tablename__ == "lti_user"  # FK targets are in the metadata
    Base.metadata.create_all(engine, tables=[
        Base.metadata.tables[name] for name in ("lti_registration", "lti_deployment", "lti_user",
                                                "lti_context", "badge_award",
                                                "badge_status_counter")])
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_positions_are_allocated_once_each(session):
    assert list(statuslist.allocate_positions(session)) == [0]
    assert list(statuslist.allocate_positions(session, 3)) == [1, 2, 3]
    session.commit()
    assert list(statuslist.allocate_positions(session)) == [4]
    assert session.get(BadgeStatusCounter, "revocation").next_position == 5
    with pytest.raises(ValueError):
        statuslist.allocate_positions(session, 0)


def _people(session: Session) -> tuple[int, int]:
    registration = lti_models.Registration(**_required(lti_models.Registration))
    session.add(registration)
    session.flush()
    deployment = lti_models.Deployment(registration_id=registration.id,
                                       **_required(lti_models.Deployment, "registration_id"))
    session.add(deployment)
    session.flush()
    user = lti_models.User(registration_id=registration.id,
                           **_required(lti_models.User, "registration_id"))
    context = lti_models.Context(deployment_id=deployment.id,
                                 **_required(lti_models.Context, "deployment_id"))
    session.add_all([user, context])
    session.flush()
    return user.id, context.id


def _required(model: type, *skip: str) -> dict:
    """Dummy values for the non-null columns of another area's model (keeps this test
    independent of their exact fields)."""
    values = {}
    for column in model.__table__.columns:
        if column.primary_key or column.nullable or column.default is not None \
                or column.server_default is not None or column.name in skip:
            continue
        python_type = column.type.python_type
        values[column.name] = {str: f"{column.name}-x", int: 1, bool: False}.get(
            python_type, NOW if python_type is datetime else {})
    return values


def _award(user_id: int, context_id: int, slug: str, position: int) -> BadgeAward:
    return BadgeAward(user_id=user_id, context_id=context_id, badge_slug=slug, badge_version=1,
                      awarded_at=NOW, credential_id=f"urn:uuid:00000000-0000-4000-8000-{position:012d}",
                      status_index=position, credential_json={"id": "x"},
                      recipient_salt="salt", identity_hash="sha256$00", evidence={"Sessions": 4})


def test_one_award_per_learner_course_and_badge(session):
    user_id, context_id = _people(session)
    session.add(_award(user_id, context_id, "first-session", 0))
    session.commit()
    session.add(_award(user_id, context_id, "first-session", 1))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    stored = session.query(BadgeAward).one()
    assert stored.show_name is False and stored.revoked_at is None
    assert stored.awarded_at == NOW and stored.evidence == {"Sessions": 4}


def test_revoked_indexes_come_per_list(session):
    user_id, context_id = _people(session)
    positions = [3, 9, statuslist.LIST_SIZE + 2]
    for slug, position in zip(("pair-formed", "first-session", "steady-rhythm"), positions):
        award = _award(user_id, context_id, slug, position)
        if position != 9:
            award.revoked_at, award.revoke_reason = NOW, "awarded by mistake"
        session.add(award)
    session.flush()
    assert statuslist.revoked_indexes(session, 1) == [3]
    assert statuslist.revoked_indexes(session, 2) == [2]
    bad = _award(user_id, context_id, "learning-path", 20)
    bad.revoke_reason = "reason without revocation"
    session.add(bad)
    with pytest.raises(IntegrityError):
        session.flush()

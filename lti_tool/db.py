"""Declarative base with a naming convention, the one SQLAlchemy handle, and a UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


db = SQLAlchemy(model_class=Base)


_UPSERTS: dict[tuple[Any, ...], Any] = {}


def upsert(model: type[Base], values: dict[str, Any], keys: tuple[str, ...],
           update: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update … RETURNING pk, in one round trip.

    Works on SQLite and PostgreSQL; returns the row's primary key. The statement is built once
    per shape and the values are bound at execution: building it anew (and its `excluded`
    columns) cost about 0.7 ms of CPU per call, most of a launch's budget.
    """
    dialect = db.session.get_bind().dialect.name
    shape = (dialect, model, tuple(values), keys, update)
    stmt = _UPSERTS.get(shape)
    if stmt is None:
        table: Any = model.__table__
        stmt = _dialect_insert()(table)
        # With nothing to update, a no-op update so RETURNING also yields the existing row.
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in (update or keys[:1])})
        stmt = stmt.returning(next(iter(table.primary_key.columns)))
        _UPSERTS[shape] = stmt
    return db.session.execute(stmt, values).scalar_one()


def insert_ignore(model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was new (one round trip)."""
    shape = (db.session.get_bind().dialect.name, model, tuple(values), "ignore")
    stmt = _UPSERTS.get(shape)
    if stmt is None:
        table: Any = model.__table__
        stmt = (_dialect_insert()(table).on_conflict_do_nothing()
                .returning(next(iter(table.primary_key.columns))))
        _UPSERTS[shape] = stmt
    return db.session.execute(stmt, values).first() is not None


def _dialect_insert() -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    name = db.session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert

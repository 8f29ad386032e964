"""Mirror: indexed columns for list filters and sorts (created_at, customer_id, number,
issue_date), filled for the rows already stored from their JSON.

The backfill reads the stored records in batches by primary key and parses their JSON in Python
rather than with the database's JSON functions: a record written with escaped lone surrogates (see
``record_json``) is valid for Python's parser and not for PostgreSQL's.

Revision ID: mirror_0002
Revises: mirror_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "mirror_0002"
down_revision = "mirror_0001"
branch_labels = None
depends_on = None

TABLE = "ua_mirror_records"
KEY = ["consumer_id", "provider", "company_id", "resource"]
PRIMARY_KEY = [*KEY, "record_id"]
INDEXES = {
    "ix_ua_mirror_records_status": [*KEY, "status"],
    "ix_ua_mirror_records_created": [*KEY, "created_at"],
    "ix_ua_mirror_records_customer": [*KEY, "customer_id"],
    "ix_ua_mirror_records_number": [*KEY, "number", "record_id"],
    "ix_ua_mirror_records_issued": [*KEY, "issue_date", "record_id"],
}
BATCH = 1000

_records = sa.table(
    TABLE,
    *(sa.column(name, sa.String) for name in PRIMARY_KEY),
    sa.column("record", sa.Text),
    sa.column("created_at", UTCDateTime),
    sa.column("customer_id", sa.Text),
    sa.column("number", sa.Text),
    sa.column("issue_date", sa.Date),
)


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("created_at", UTCDateTime))
    op.add_column(TABLE, sa.Column("customer_id", sa.Text))
    op.add_column(TABLE, sa.Column("number", sa.Text().with_variant(sa.Text(collation="C"), "postgresql")))
    op.add_column(TABLE, sa.Column("issue_date", sa.Date))
    _backfill(op.get_bind())
    for name, columns in INDEXES.items():
        op.create_index(name, TABLE, columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, TABLE)
    with op.batch_alter_table(TABLE) as batch:
        for column in ("issue_date", "number", "customer_id", "created_at"):
            batch.drop_column(column)


def _backfill(bind: sa.Connection) -> None:
    key = [_records.c[name] for name in PRIMARY_KEY]
    after: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*key, _records.c.record).where(_records.c.record.is_not(None))
        if after is not None:
            query = query.where(sa.tuple_(*key) > sa.tuple_(*(sa.literal(v) for v in after)))
        rows = bind.execute(query.order_by(*key).limit(BATCH)).all()
        if not rows:
            return
        values = [{**_fields(row.record), **{f"k_{n}": getattr(row, n) for n in PRIMARY_KEY}} for row in rows]
        statement = (
            _records.update()
            .where(*(_records.c[n] == sa.bindparam(f"k_{n}") for n in PRIMARY_KEY))
            .values(
                created_at=sa.bindparam("created_at", type_=UTCDateTime),
                customer_id=sa.bindparam("customer_id"),
                number=sa.bindparam("number"),
                issue_date=sa.bindparam("issue_date", type_=sa.Date),
            )
        )
        bind.execute(statement, values)
        after = tuple(rows[-1][: len(PRIMARY_KEY)])


def _fields(text: str) -> dict[str, Any]:
    """The filter fields of one stored record (``None`` for any it lacks or holds oddly)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {}
    return {
        "created_at": _moment(data.get("created_at")),
        "customer_id": _text(data.get("customer_id")),
        "number": _text(data.get("number")),
        "issue_date": _day(data.get("issue_date")),
    }


def _text(value: Any) -> str | None:
    # What the upsert keeps (``records._keep_text``): text a filter can match (at most 255
    # characters) that the database can hold (PostgreSQL refuses NUL; UTF-8 has no lone surrogate).
    if not isinstance(value, str) or len(value) > 255 or "\x00" in value:
        return None
    try:
        value.encode()
    except UnicodeEncodeError:
        return None
    return value


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None

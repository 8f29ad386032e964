"""Mirror: indexed columns for the list filters and sorts of bills, expenses, payments and journal
entries (supplier_id, date), filled for the rows already stored from their JSON.

As in ``mirror_0002``, the backfill parses the stored JSON in Python, in batches by primary key.

Revision ID: mirror_0003
Revises: mirror_0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "mirror_0003"
down_revision = "mirror_0002"
branch_labels = None
depends_on = None

TABLE = "ua_mirror_records"
KEY = ["consumer_id", "provider", "company_id", "resource"]
PRIMARY_KEY = [*KEY, "record_id"]
INDEXES = {
    "ix_ua_mirror_records_supplier": [*KEY, "supplier_id"],
    "ix_ua_mirror_records_dated": [*KEY, "date", "record_id"],
}
BATCH = 1000
#: Longest text kept in a filter column (as the upsert: no filter value is longer).
INDEXED_TEXT = 255

_records = sa.table(
    TABLE,
    *(sa.column(name, sa.String) for name in PRIMARY_KEY),
    sa.column("record", sa.Text),
    sa.column("supplier_id", sa.Text),
    sa.column("date", sa.Date),
)


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("supplier_id", sa.Text))
    op.add_column(TABLE, sa.Column("date", sa.Date))
    _backfill(op.get_bind())
    for name, columns in INDEXES.items():
        op.create_index(name, TABLE, columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, TABLE)
    with op.batch_alter_table(TABLE) as batch:
        for column in ("date", "supplier_id"):
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
                supplier_id=sa.bindparam("supplier_id"),
                date=sa.bindparam("date", type_=sa.Date),
            )
        )
        bind.execute(statement, values)
        after = tuple(rows[-1][: len(PRIMARY_KEY)])


def _fields(text: str) -> dict[str, Any]:
    """The new filter fields of one stored record (``None`` for any it lacks or holds oddly)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {}
    return {"supplier_id": _text(data.get("supplier_id")), "date": _day(data.get("date"))}


def _text(value: Any) -> str | None:
    # What the upsert would keep: text a filter can match, that the database can hold.
    if not isinstance(value, str) or len(value) > INDEXED_TEXT or "\x00" in value:
        return None
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return None
    return value


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None

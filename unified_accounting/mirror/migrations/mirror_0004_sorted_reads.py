"""Mirror: indexes for every list read to be one index range in its order.

Every filter's index ends with ``record_id`` (a filtered list comes by id, or resumes from an id,
without sorting the records it found), and each sort key gets a descending index too (``value
DESC, record_id``): a list sorted descending gives records with the same value by id ascending, an
order the ascending index read backwards does not give.

Revision ID: mirror_0004
Revises: mirror_0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mirror_0004"
down_revision = "mirror_0003"
branch_labels = None
depends_on = None

TABLE = "ua_mirror_records"
KEY = ["consumer_id", "provider", "company_id", "resource"]
#: Filter indexes of mirror_0001-0003 that did not end with record_id: (name, column).
REBUILT = [
    ("ix_ua_mirror_records_updated", "updated_at"),
    ("ix_ua_mirror_records_status", "status"),
    ("ix_ua_mirror_records_created", "created_at"),
    ("ix_ua_mirror_records_customer", "customer_id"),
    ("ix_ua_mirror_records_supplier", "supplier_id"),
]
#: The sort keys' descending indexes: (name, column).
DESCENDING = [
    ("ix_ua_mirror_records_updated_desc", "updated_at"),
    ("ix_ua_mirror_records_issued_desc", "issue_date"),
    ("ix_ua_mirror_records_number_desc", "number"),
    ("ix_ua_mirror_records_dated_desc", "date"),
]


def upgrade() -> None:
    for name, column in REBUILT:
        op.drop_index(name, TABLE)
        op.create_index(name, TABLE, [*KEY, column, "record_id"])
    for name, column in DESCENDING:
        op.create_index(name, TABLE, [*KEY, sa.text(f"{column} DESC"), "record_id"])


def downgrade() -> None:
    for name, _ in DESCENDING:
        op.drop_index(name, TABLE)
    for name, column in REBUILT:
        op.drop_index(name, TABLE)
        op.create_index(name, TABLE, [*KEY, column])

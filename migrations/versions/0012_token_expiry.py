"""token expiry: every API token has an expiry time

``api_token.expires_at`` (not null).  Tokens made before this get 90 days from the upgrade
(the default of ``TRACKER_API_TOKEN_DAYS``), so no script stops at the upgrade itself but none
works for ever.  The downgrade drops the column.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import tracker.models
from tracker.clock import utcnow

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: the lifetime given to tokens that existed before expiry did
GRACE = timedelta(days=90)


def upgrade() -> None:
    moment = tracker.models.UTCDateTime(timezone=True)
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", moment, nullable=True))
    tokens = sa.table("api_token", sa.column("expires_at", moment))
    op.execute(tokens.update().values(expires_at=utcnow() + GRACE))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=moment, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

"""baseline: a count of the writes to its points

Issue 18.  The author and comparison pages keep computed records while the baselines' points
are unchanged, and asked the points table whether they were on every request: a count, the
newest write and a total of every value, a scan of every point (54 ms on SQLite, 20 ms on
PostgreSQL at 200,000 points, most of an author page).  Each write of a baseline's points now
adds one to its ``points_version`` in the same transaction (``write_points``, the only writer),
so the question is asked of the baselines, one row each.  Existing rows start at 0.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("baseline", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("points_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("baseline", schema=None) as batch_op:
        batch_op.drop_column("points_version")

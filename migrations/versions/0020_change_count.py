"""change_count: a count of the committed transactions that wrote the audit log

Issue 18.  The scorecard and author pages keep computed results while nothing scored has
changed, and asked on every request: a count of the forecasts, of the resolutions and the
newest audit id (13-19 ms on PostgreSQL at 100,000 forecasts, a scan each).  Every transaction
that writes the audit log now adds one to the ``audit`` row at its commit
(``tracker.domain.audit``), and the fingerprint reads that row.  The first audited commit
makes the row (none reads as 0), so a new database stays empty, as ``tracker import-all`` wants
one; the caches live in the web processes, which start again after an upgrade.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_count",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("change_count")

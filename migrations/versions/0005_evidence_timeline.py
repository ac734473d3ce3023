"""evidence timeline index: (forecast_id, negated, published_at, id) replaces the single-column
forecast_id index

A forecast's evidence is read a page at a time, counting and negated rows apart, oldest first (the
web app's forecast page and review queue); with this index those reads need no sort and the counts
come from the index alone.  Its first column also serves every lookup the old index served.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_timeline", ["forecast_id", "negated", "published_at", "id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_evidence_forecast_id"))


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_forecast_id"), ["forecast_id"], unique=False)
        batch_op.drop_index("ix_evidence_timeline")

"""evidence.attached_by, evidence.note: evidence an analyst attached by hand

Issue 18's "propose as evidence for...": a reviewer attaches an article to a forecast's question
and it counts like matched evidence.  ``attached_by`` is the user who attached it (NULL: found by
matching, as every row stored before this); ``note`` is the reviewer's reason.  Two nullable
columns; nothing is rewritten.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attached_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.add_column(
            sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("attached_by")

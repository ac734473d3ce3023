"""article.publisher, feed.publisher: whom an article counts for is where it was fetched from

``article.publisher`` is the registered domain of the server an article's text came from: its
feed's (the URL it was fetched from, after redirects), or its own link's once its page was
fetched from there; never the domain a feed merely names (issue 17: one feed could invent
evidence from any publisher).  ``feed.publisher`` is a publisher the operator vouches a feed is
(a feed hosted elsewhere than its site, the demo's corpus on loopback); NULL: its server's.

Two nullable columns; nothing is rewritten.  Rows stored before have no record of where they
came from: they keep the attribution they had (``tracker.resolution.evidence_publisher``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 14:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "article",
        sa.Column("publisher", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )
    op.add_column(
        "feed",
        sa.Column("publisher", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_column("publisher")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("publisher")

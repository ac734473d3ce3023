"""feed: how many articles each feed stored

Issue 18.  The feeds list showed each feed's stored articles by counting them on every view (a
GROUP BY over every article, 115 ms on SQLite at 1,000,000; 85 ms on PostgreSQL for the 100
busy feeds of one page).  The poll that stores new articles now adds their number to
``feed.article_count`` in its transaction, and the list reads it.  Existing feeds are counted
here, once.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("article_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE feed SET article_count = "
        "(SELECT count(*) FROM article WHERE article.feed_id = feed.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_column("article_count")

"""article dates indexed per feed: (feed_id, published_at) replaces the feed_id and published_at
indexes

A single index on published_at takes each poll's rows all over its length (a feed's entries span
weeks, like every other feed's), so every commit rewrote most of its pages: about half of what
storing a poll cost.  Per feed, a poll's rows land in one stretch of the index.  The new index's
first column serves every lookup by feed the old feed_id index served (so does the unique
(feed_id, identity) constraint); the newest articles across feeds are merged from each feed's
newest (tracker.ingest.list_articles).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_feed_published", ["feed_id", "published_at"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_article_published_at"))
        batch_op.drop_index(batch_op.f("ix_article_feed_id"))


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_feed_id"), ["feed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_published_at"), ["published_at"], unique=False)
        batch_op.drop_index("ix_article_feed_published")

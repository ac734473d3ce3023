"""full-text articles: body, author, categories, original link, syndicated copies, page fetches

An article's identity changes without touching the stored rows:
- ``url`` (the canonical link) is no longer unique: items of one feed that share a link (a
  comments feed's anchors, a link blog's front page) but differ by guid are distinct articles;
- ``story`` (sha256 of canonical URL + title) is unique instead: a syndicated copy on another
  feed is linked to the stored article through ``article_feed``.
Existing rows keep their identity; their ``story`` is computed here from the stored URL and
title, which were unique already (the URL was), so nothing collides and nothing is dropped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

import tracker.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_UTC = tracker.models.UTCDateTime(timezone=True)
# SQLite's unique constraint on article.url has no name: batch mode names it by this convention
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _story(url: str | None, title: str) -> str | None:
    """As ``tracker.ingest._rows.story_key``, frozen here: a migration must not change with the
    code it migrates."""
    if not url:
        return None
    return hashlib.sha256(f"{url}\n{' '.join(title.split()).casefold()}".encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fetch_articles", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("original_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("body", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("body_source", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("text_truncated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("author", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("categories", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("page_state", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("page_error_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("page_error", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("page_error_at", _UTC, nullable=True))
        batch_op.add_column(
            sa.Column("page_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("page_next_try_at", _UTC, nullable=True))
    _fill_story()
    url_unique = "article_url_key" if _is_postgresql() else "uq_article_url"
    with op.batch_alter_table("article", schema=None, naming_convention=_NAMES) as batch_op:
        batch_op.drop_constraint(url_unique, type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_article_story"), ["story"])
        batch_op.create_index(batch_op.f("ix_article_url"), ["url"], unique=False)
        batch_op.create_index("ix_article_page_due", ["page_state", "page_next_try_at"])
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field", sa.String(length=8), nullable=True))
    op.create_table(
        "article_feed",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "feed_id"),
    )
    op.create_index(op.f("ix_article_feed_feed_id"), "article_feed", ["feed_id"], unique=False)


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _fill_story() -> None:
    article = sa.table(
        "article",
        sa.column("id", sa.Integer()),
        sa.column("url", sa.String()),
        sa.column("title", sa.String()),
        sa.column("story", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(article.c.id, article.c.url, article.c.title)).all()
    updates = [{"row_id": row.id, "story": _story(row.url, row.title)} for row in rows if row.url]
    if updates:
        bind.execute(
            article.update()
            .where(article.c.id == sa.bindparam("row_id"))
            .values(story=sa.bindparam("story")),
            updates,
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_article_feed_feed_id"), table_name="article_feed")
    op.drop_table("article_feed")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("field")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_page_due")
        batch_op.drop_index(batch_op.f("ix_article_url"))
        batch_op.drop_constraint(batch_op.f("uq_article_story"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_article_url"), ["url"])
        for name in (
            "page_next_try_at",
            "page_attempts",
            "page_error_at",
            "page_error",
            "page_error_kind",
            "page_state",
            "categories",
            "author",
            "text_truncated",
            "body_source",
            "body",
            "original_url",
            "story",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_column("fetch_articles")

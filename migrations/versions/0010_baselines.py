"""baselines: forecasters whose probabilities come from outside (markets, crowds)

A ``baseline`` is one outside forecaster on one question (unique by name and question): a
crowd aggregate or a market's price history read from a file, or a market pulled from an API
(``provider``, ``market``) on its own schedule with a failure record like a feed's.  Its
``baseline_point`` rows are its probability on each day.  Two new tables; nothing existing
changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = tracker.models.UTCDateTime
    op.create_table(
        "baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", text(length=100), nullable=False),
        sa.Column("kind", text(length=8), nullable=False),
        sa.Column("question_id", text(length=200), nullable=False),
        sa.Column("provider", text(length=20), nullable=True),
        sa.Column("market", text(length=300), nullable=True),
        sa.Column("market_id", text(length=100), nullable=True),
        sa.Column("url", text(length=2000), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("next_pull_at", moment(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("error_kind", text(length=20), nullable=True),
        sa.Column("last_error", text(), nullable=True),
        sa.Column("last_error_at", moment(timezone=True), nullable=True),
        sa.Column("error_since", moment(timezone=True), nullable=True),
        sa.Column("last_success_at", moment(timezone=True), nullable=True),
        sa.Column("created_at", moment(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('market', 'crowd', 'file')", name="ck_baseline_kind"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "question_id", name="uq_baseline_name_question"),
    )
    with op.batch_alter_table("baseline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_baseline_question_id"), ["question_id"])
        batch_op.create_index(batch_op.f("ix_baseline_next_pull_at"), ["next_pull_at"])
    op.create_table(
        "baseline_point",
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("recorded_at", moment(timezone=True), nullable=False),
        sa.CheckConstraint(
            "probability >= 0 AND probability <= 1", name="ck_baseline_point_probability"
        ),
        sa.ForeignKeyConstraint(["baseline_id"], ["baseline.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("baseline_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("baseline_point")
    with op.batch_alter_table("baseline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_baseline_next_pull_at"))
        batch_op.drop_index(batch_op.f("ix_baseline_question_id"))
    op.drop_table("baseline")

"""task_stat: counters of every Celery task's runs, for the /metrics endpoint

One row per task name: successes, failures and retries, the sum of the run times and their
cumulative histogram buckets, the last run's end and length.  Workers add to their task's row
when a run ends; the web app reads the rows at scrape time.  One new table; nothing existing
changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BUCKETS = ("le_100ms", "le_500ms", "le_1s", "le_5s", "le_30s", "le_120s")


def upgrade() -> None:
    op.create_table(
        "task_stat",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("seconds_sum", sa.Float(), nullable=False),
        *(sa.Column(bucket, sa.Integer(), nullable=False) for bucket in BUCKETS),
        sa.Column("last_finished", tracker.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("task_stat")

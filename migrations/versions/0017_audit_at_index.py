"""audit log: an index on (at, id), the keyset the log's pages are read by

Issue 18.  ``tracker.domain.audit.read_log`` reads the log newest first by keyset on
``(at, id)``.  With an index on ``at`` alone PostgreSQL scanned and sorted the log for each
page; an index on both keys lets it walk the index backwards from the cursor and stop after
one page.  Nothing else changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_at_id", "audit_log", ["at", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at_id", table_name="audit_log")

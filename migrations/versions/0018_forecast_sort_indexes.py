"""forecasts: indexes for the list's probability and opening-date sorts

Issue 18.  The forecasts list is read by keyset on its sort key and the id.  Sorted by closing
date it walks ``ix_forecast_closes``; sorted by probability or by opening date there was no
index, so each page scanned and sorted all forecasts (140-250 ms at 100,000 on SQLite).  An
index on each key with the id lets a page start at its cursor and stop after one page, in
either direction.  Nothing else changes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_forecast_probability_id", "forecast", ["probability", "id"])
    op.create_index("ix_forecast_opens_id", "forecast", ["opens", "id"])


def downgrade() -> None:
    op.drop_index("ix_forecast_opens_id", table_name="forecast")
    op.drop_index("ix_forecast_probability_id", table_name="forecast")

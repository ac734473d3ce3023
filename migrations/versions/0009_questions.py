"""questions: the event apart from the forecasts made on it

A ``question`` row holds the event (text, criteria, window, resolution rules) and its
resolution state; ``forecast.question_id`` names the question a forecast stands on, and the
evidence, proposals and resolutions move from the forecast to its question
(``forecast_id`` becomes ``question_id``).

Every existing forecast defined its question inline, so each gets a question with its own id
and a copy of its question columns: the ids the evidence, proposals and resolutions held stay
valid as question ids, and nothing is lost (audit entries are untouched).  The downgrade
refuses a database where a question carries more than one forecast or none.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COPIED = (
    "criteria, opens, closes, status, outcome, resolved_at, yes_when, no_when, "
    "min_sources, default_at_close, created_at, updated_at"
)


def upgrade() -> None:
    _create_question_table()
    op.execute(
        f"INSERT INTO question (id, text, defined_in, {_COPIED}) "
        f"SELECT f.id, f.question, s.key, {', '.join('f.' + c for c in _COPIED.split(', '))} "
        "FROM forecast f JOIN source s ON s.id = f.source_id"
    )
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question_id", sa.String(length=200), nullable=True))
    op.execute("UPDATE forecast SET question_id = id")
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.alter_column("question_id", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_forecast_question_id_question"), "question", ["question_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_forecast_question_id"), ["question_id"])
    _move_to_question("evidence")
    _move_to_question("proposal")
    _move_to_question("resolution")


def _create_question_table() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "question",
        sa.Column("id", text(length=200), nullable=False),
        sa.Column("text", text(), nullable=False),
        sa.Column("criteria", text(), nullable=True),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("outcome", text(length=8), nullable=True),
        sa.Column("resolved_at", tracker.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("yes_when", sa.JSON(), nullable=True),
        sa.Column("no_when", sa.JSON(), nullable=True),
        sa.Column("min_sources", sa.Integer(), nullable=False),
        sa.Column("default_at_close", text(length=8), nullable=True),
        sa.Column("defined_in", text(length=220), nullable=False),
        sa.Column("created_at", tracker.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tracker.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("closes >= opens", name="ck_question_window"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('yes', 'no')", name="ck_question_outcome"
        ),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'resolved', 'annulled')", name="ck_question_status"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_closes"), ["closes"])
        batch_op.create_index(batch_op.f("ix_question_status"), ["status"])


#: per table: the indexes and unique constraints on ``forecast_id`` (name, columns, kind)
_KEYED = {
    "evidence": [
        ("uq_evidence_forecast_article_side", "uq_evidence_question_article_side",
         ["article_id", "side"], "unique"),
        ("ix_evidence_timeline", "ix_evidence_timeline",
         ["negated", "published_at", "id"], "index"),
    ],
    "proposal": [
        ("ix_proposal_forecast_id", "ix_proposal_question_id", [], "index"),
        ("uq_proposal_one_pending", "uq_proposal_one_pending", [], "pending"),
    ],
    "resolution": [("ix_resolution_forecast_id", "ix_resolution_question_id", [], "index")],
}  # fmt: skip


def _move_to_question(table: str) -> None:
    """``forecast_id`` (a foreign key to forecast) becomes ``question_id`` (one to question),
    with the same values, indexes and constraints."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("question_id", sa.String(length=200), nullable=True))
    op.execute(f"UPDATE {table} SET question_id = forecast_id")
    with op.batch_alter_table(table, schema=None) as batch_op:
        for old, _new, _rest, kind in _KEYED[table]:
            if kind == "unique":
                batch_op.drop_constraint(old, type_="unique")
            else:
                batch_op.drop_index(old)
        batch_op.drop_column("forecast_id")
        batch_op.alter_column("question_id", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_foreign_key(
            f"fk_{table}_question_id_question", "question", ["question_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        for _old, new, rest, kind in _KEYED[table]:
            columns = ["question_id", *rest]
            if kind == "unique":
                batch_op.create_unique_constraint(new, columns)
            elif kind == "pending":
                batch_op.create_index(
                    new,
                    columns,
                    unique=True,
                    sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"),
                )
            else:
                batch_op.create_index(new, columns)


def downgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text(
            "SELECT q.id FROM question q LEFT JOIN forecast f ON f.question_id = q.id "
            "GROUP BY q.id HAVING COUNT(f.id) <> 1 OR MAX(f.id) <> q.id"
        )
    ).first()
    if shared is not None:
        raise RuntimeError(
            f"question {shared[0]!r} is not the question of exactly one forecast of the same "
            "id: this database cannot go back below revision 0009"
        )
    for table in ("resolution", "proposal", "evidence"):
        _back_to_forecast(table)
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_question_id"))
        batch_op.drop_constraint(batch_op.f("fk_forecast_question_id_question"), type_="foreignkey")
        batch_op.drop_column("question_id")
    op.drop_table("question")


def _back_to_forecast(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("forecast_id", sa.String(length=200), nullable=True))
    op.execute(f"UPDATE {table} SET forecast_id = question_id")
    with op.batch_alter_table(table, schema=None) as batch_op:
        for _old, new, _rest, kind in _KEYED[table]:
            if kind == "unique":
                batch_op.drop_constraint(new, type_="unique")
            else:
                batch_op.drop_index(new)
        batch_op.drop_constraint(f"fk_{table}_question_id_question", type_="foreignkey")
        batch_op.drop_column("question_id")
        batch_op.alter_column("forecast_id", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_foreign_key(
            f"fk_{table}_forecast_id_forecast",
            "forecast",
            ["forecast_id"],
            ["id"],
            ondelete="CASCADE",
        )
        for old, _new, rest, kind in _KEYED[table]:
            columns = ["forecast_id", *rest]
            if kind == "unique":
                batch_op.create_unique_constraint(old, columns)
            elif kind == "pending":
                batch_op.create_index(
                    old,
                    columns,
                    unique=True,
                    sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"),
                )
            else:
                batch_op.create_index(old, columns)

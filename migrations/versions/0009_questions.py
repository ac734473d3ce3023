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
from alembic.operations import BatchOperations

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
_KEYED: dict[str, list[tuple[str, str, list[str], str]]] = {
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
    _rekey(table, ("forecast_id", "forecast"), ("question_id", "question"), new_names=True)


def _rekey(table: str, old: tuple[str, str], new: tuple[str, str], *, new_names: bool) -> None:
    """Move ``table``'s key column ``old`` = (column, parent table) to ``new``: add the new
    column, copy the values, drop the old column with its keys, recreate them on the new one
    (named as :data:`_KEYED` says: its new names, or back to the old ones)."""
    (old_column, _), (new_column, parent) = old, new
    keys = [
        (o, n, rest, kind) if new_names else (n, o, rest, kind)
        for o, n, rest, kind in _KEYED[table]
    ]
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(new_column, sa.String(length=200), nullable=True))
    op.execute(f"UPDATE {table} SET {new_column} = {old_column}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        for dropped, _, _, kind in keys:
            if kind == "unique":
                batch_op.drop_constraint(dropped, type_="unique")
            else:
                batch_op.drop_index(dropped)
        if not new_names:  # the downgrade: the foreign key was created named
            batch_op.drop_constraint(f"fk_{table}_{old_column}_{old[1]}", type_="foreignkey")
        batch_op.drop_column(old_column)
        batch_op.alter_column(new_column, existing_type=sa.String(length=200), nullable=False)
        batch_op.create_foreign_key(
            f"fk_{table}_{new_column}_{parent}", parent, [new_column], ["id"], ondelete="CASCADE"
        )
        for _, created, rest, kind in keys:
            _create_key(batch_op, created, [new_column, *rest], kind)


def _create_key(batch_op: BatchOperations, name: str, columns: list[str], kind: str) -> None:
    if kind == "unique":
        batch_op.create_unique_constraint(name, columns)
    elif kind == "pending":
        batch_op.create_index(
            name,
            columns,
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    else:
        batch_op.create_index(name, columns)


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
    _rekey(table, ("question_id", "question"), ("forecast_id", "forecast"), new_names=False)

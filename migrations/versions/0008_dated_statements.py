"""dated statements: kind, quote, link and origin of a probability update; corrections

A forecast's probability history becomes a list of the author's statements:
- ``kind``: ``initial`` (the forecast's own probability), ``update`` (a later statement with its
  own date, quote and link) or ``correction`` (a data-entry fix replacing another row's value:
  ``corrects_id``);
- ``origin``: ``file`` (the forecast file), ``entered`` (`tracker forecasts update`, the web, the
  API) or ``reimport``;
- ``actor`` who recorded it, ``vague`` / ``from_scale`` for its estimate;
- ``forecast.corrected_after_resolution`` flags a forecast whose value was fixed once its outcome
  was known.

Every row is kept.  The row noted ``initial`` becomes the initial statement (its note, which
only said so, is cleared; its quote is the forecast's), every other row an update of origin
``reimport``: before this revision the only way to change a probability was to change the file
and import it again, which dated the change the day of the import.  A re-import compares the
file's top-level probability with the newest of those rows, as it did before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_update = sa.table(
    "probability_update",
    sa.column("id", sa.Integer()),
    sa.column("forecast_id", sa.String()),
    sa.column("probability", sa.Float()),
    sa.column("estimate", sa.String()),
    sa.column("note", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("origin", sa.String()),
    sa.column("quote", sa.String()),
    sa.column("vague", sa.Boolean()),
    sa.column("from_scale", sa.Boolean()),
    sa.column("corrects_id", sa.Integer()),
)
_forecast = sa.table(
    "forecast",
    sa.column("id", sa.String()),
    sa.column("quote", sa.String()),
    sa.column("vague", sa.Boolean()),
    sa.column("probability_from_scale", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "corrected_after_resolution",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table("probability_update", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=12), nullable=False, server_default="update")
        )
        batch_op.add_column(
            sa.Column("origin", sa.String(length=12), nullable=False, server_default="reimport")
        )
        batch_op.add_column(sa.Column("quote", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("vague", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("from_scale", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("actor", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
    _fill()
    with op.batch_alter_table("probability_update", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("origin", server_default=None)
        batch_op.create_foreign_key(
            batch_op.f("fk_probability_update_corrects_id_probability_update"),
            "probability_update",
            ["corrects_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            batch_op.f("ix_probability_update_corrects_id"), ["corrects_id"], unique=False
        )
        batch_op.create_check_constraint(
            "ck_update_kind", "kind IN ('initial', 'update', 'correction')"
        )
        batch_op.create_check_constraint(
            "ck_update_origin", "origin IN ('file', 'entered', 'reimport')"
        )
        batch_op.create_check_constraint(
            "ck_update_corrects",
            "(kind = 'correction' AND corrects_id IS NOT NULL)"
            " OR (kind <> 'correction' AND corrects_id IS NULL)",
        )


def _fill() -> None:
    """Initial rows as such (origin file, the forecast's quote); every row takes the vague and
    from-scale flags of its forecast's estimate (the file's, as last imported)."""
    of_forecast = _forecast.c.id == _update.c.forecast_id
    bind = op.get_bind()
    bind.execute(
        _update.update()
        .where(_update.c.note == "initial")
        .values(
            kind="initial",
            origin="file",
            note=None,
            quote=sa.select(_forecast.c.quote).where(of_forecast).scalar_subquery(),
        )
    )
    bind.execute(
        _update.update().values(
            vague=sa.select(_forecast.c.vague).where(of_forecast).scalar_subquery(),
            from_scale=sa.select(_forecast.c.probability_from_scale)
            .where(of_forecast)
            .scalar_subquery(),
        )
    )


def downgrade() -> None:
    """Back to one row per value: each corrected statement takes its correction's value (the
    newest), the corrections go, and the initial rows are noted ``initial`` again."""
    bind = op.get_bind()
    corrections = bind.execute(
        sa.select(_update.c.corrects_id, _update.c.probability, _update.c.estimate)
        .where(_update.c.corrects_id.is_not(None))
        .order_by(_update.c.id)
    ).all()
    for corrects_id, probability, estimate in corrections:
        bind.execute(
            _update.update()
            .where(_update.c.id == corrects_id)
            .values(probability=probability, estimate=estimate)
        )
    bind.execute(_update.delete().where(_update.c.corrects_id.is_not(None)))
    bind.execute(_update.update().where(_update.c.kind == "initial").values(note="initial"))
    with op.batch_alter_table("probability_update", schema=None) as batch_op:
        batch_op.drop_constraint("ck_update_corrects", type_="check")
        batch_op.drop_constraint("ck_update_origin", type_="check")
        batch_op.drop_constraint("ck_update_kind", type_="check")
        batch_op.drop_index(batch_op.f("ix_probability_update_corrects_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_probability_update_corrects_id_probability_update"),
            type_="foreignkey",
        )
        for name in ("corrects_id", "actor", "from_scale", "vague", "url", "quote", "origin"):
            batch_op.drop_column(name)
        batch_op.drop_column("kind")
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.drop_column("corrected_after_resolution")

"""Engines, sessions and migrations.

One session per unit of work: :func:`session_scope` commits on success, rolls back
on error, and maps SQLAlchemy's errors to :class:`~tracker.errors.StorageError`.
The schema is made only by Alembic (:func:`upgrade`), never by ``create_all``.
"""

from __future__ import annotations

import ast
import os
import re
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

from tracker.errors import DatabaseBusyError, DiskFullError, SchemaTooNewError, StorageError
from tracker.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config


def migrations_dir() -> Path:
    """The Alembic folder: ``migrations/`` of a checkout, or its copy inside a wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "migrations", package / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise StorageError(
        "the migrations folder is missing from this installation; reinstall the tracker"
    )


#: bytes per page of a SQLite database made by the tracker (SQLite's default: 4,096).  Set when
#: the file is made; a database made before keeps its own (WAL mode fixes it; docs/dev.md,
#: "Throughput").  An article of about 4,000 characters of body does not fit on a 4,096-byte
#: page and took an overflow page of its own.
SQLITE_PAGE_SIZE = 16_384
#: KiB of pages each connection keeps in memory (SQLite's default: 2,000 KiB): the index pages a
#: poll's inserts land on stay cached from one commit to the next
SQLITE_CACHE_KIB = 8_192


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before WAL: a new file only
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: in KiB, not pages
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(
        "PRAGMA synchronous=NORMAL"
    )  # WAL: durable at checkpoints, never corrupt; no fsync per commit
    cursor.close()


#: every engine this process made, so that a forked child can drop their pools
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        from tracker.models import add_postgresql_options  # loads the dialect: not for SQLite

        add_postgresql_options()
        engine = create_engine(url, pool_pre_ping=True)
    _ENGINES.add(engine)
    return engine


def forget_inherited_connections() -> None:
    """Give every engine of this process a fresh, empty pool, without closing the connections
    its pool held.

    Run in each forked child (Celery's prefork pool, ``multiprocessing``): the pool a child
    inherits holds the parent's sockets, and two processes talking on one PostgreSQL
    connection interleave their messages ("command status: BEGIN", "connection in transaction
    status INTRANS"; one process's commit can land in another's transaction).  ``close=False``
    leaves the sockets to the parent: closing them here would end its sessions too."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=forget_inherited_connections)


@lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


def engine_for(settings: Settings) -> Engine:
    return _cached_engine(settings.resolved_database_url())


class UnitSession(Session):
    """The session of a unit of work.  On SQLite it opens its transaction with ``BEGIN
    IMMEDIATE``, taking the write lock first (see :func:`_begin_immediate`)."""


@event.listens_for(UnitSession, "after_begin")
def _begin_immediate(session: Session, _transaction: object, connection: Connection) -> None:
    """A unit of work on SQLite takes the write lock before its first statement.

    pysqlite begins a transaction only before the first INSERT/UPDATE/DELETE, so a unit's reads
    ran outside it: two processes importing the same file both read "no such source", both
    inserted, and one failed on the unique constraint.  And under WAL a transaction that read
    first cannot wait for a writer that committed meanwhile: SQLite refuses the upgrade at once
    ("database is locked", SQLITE_BUSY_SNAPSHOT), whatever the busy timeout.  Taken first, the
    lock is waited for (busy_timeout), so concurrent units run one after the other, each seeing
    the last commit.  Readers outside units of work, and WAL readers, are never blocked.
    pysqlite has begun nothing yet at this point, so this is the transaction's BEGIN."""
    if session.info.get("read_only"):
        return  # a page's read: pysqlite's own reads, no write lock (see session_scope)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "sqlite" and not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it fails.

    ``write=False`` is for a web page's GET: on SQLite it takes no write lock at its start, so
    pages do not queue behind each other or behind the workers; a GET that writes anyway (a
    session's last-seen time) locks at its first write, as SQLite does by default."""
    session = UnitSession(engine, expire_on_commit=False, info={"read_only": not write})
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise database_error(exc, where(engine)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def where(engine: Engine) -> str:
    """The database as a message names it: a SQLite file's path, else the URL without password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return engine.url.database
    return engine.url.render_as_string(hide_password=True)


def insert_with_conflicts(dialect: str) -> Callable[[Table], Any]:
    """The ``insert`` of ``dialect`` that takes ``ON CONFLICT`` (PostgreSQL's or SQLite's), for
    upserts and idempotent inserts.  Imported on use: PostgreSQL's dialect module loads its
    driver modules (about 20 ms; docs/dev.md, "CLI start-up"), and a CLI command on SQLite
    never needs it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(f"ON CONFLICT is needed here; {dialect} is not supported")


#: SQLite's result codes for a full disk, and for a write the system refused (a file size limit
#: gives EFBIG, which SQLite reports as a write error); PostgreSQL's SQLSTATE disk_full
_DISK_FULL = {"SQLITE_FULL", "SQLITE_IOERR_WRITE", "53100"}
_LOCKED = {"SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"}


def database_error(exc: BaseException, database: str = "") -> StorageError:
    """The :class:`StorageError` for a database's error (SQLAlchemy's, or a driver's raised through
    a raw cursor): a full disk and a lock held too long by name, else its kind and first line."""
    driver = getattr(exc, "orig", None) or exc
    code = getattr(driver, "sqlite_errorname", None) or getattr(driver, "sqlstate", None)
    if code in _DISK_FULL:
        return DiskFullError(database or "the database")
    if code in _LOCKED:
        return DatabaseBusyError(database or "the database")
    return StorageError(f"database error: {exc.__class__.__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (``tracker init``); running it twice is harmless."""
    from alembic import command

    refuse_newer_schema(engine, schema_revisions(engine))
    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"migration failed: {_first_line(exc)}") from exc


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the migrations' head.

    Every CLI command asks, so this reads the database's ``alembic_version`` and the scripts'
    ``revision`` lines without importing Alembic, which would load every migration script
    (0.1 s; docs/dev.md, "CLI start-up").  A test checks it against Alembic's own answer."""
    return schema_revisions(engine) == migration_heads()


def schema_revisions(engine: Engine) -> frozenset[str]:
    """The revisions the database's ``alembic_version`` holds (none before `tracker init`)."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return frozenset()
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(str(row[0]) for row in rows)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the database: {_first_line(exc)}") from exc


def refuse_newer_schema(engine: Engine, revisions: frozenset[str]) -> None:
    """Raises :class:`SchemaTooNewError` when a revision is not one of this version's
    migrations: a newer tracker made the schema, and neither upgrading it nor running against
    it can work (Alembic itself would stop with a traceback)."""
    unknown = sorted(revisions - known_revisions())
    if unknown:
        raise SchemaTooNewError(where(engine), unknown)


@lru_cache(maxsize=1)
def _revision_graph() -> tuple[frozenset[str], frozenset[str]]:
    """Every migration's revision, and those some migration builds on, from the scripts'
    ``revision`` and ``down_revision`` assignments."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (migrations_dir() / "versions").glob("*.py"):
        values = _assignments(script, ("revision", "down_revision"))
        if "revision" in values:
            revisions.add(str(values["revision"]))
        down = values.get("down_revision")
        downs = down if isinstance(down, tuple | list) else [down] if down else []
        parents.update(str(parent) for parent in downs)
    return frozenset(revisions), frozenset(parents)


def migration_heads() -> frozenset[str]:
    """The revisions no migration script builds on."""
    revisions, parents = _revision_graph()
    return revisions - parents


def known_revisions() -> frozenset[str]:
    """Every revision of this version's migration scripts."""
    return _revision_graph()[0]


#: where a migration script's functions begin: its revision identifiers come before
_FIRST_DEFINITION = re.compile(r"^(?:def |async def |class |@)", re.MULTILINE)


def _assignments(script: Path, names: tuple[str, ...]) -> dict[str, object]:
    """The literal values assigned to ``names`` at the top of a Python file, before its first
    function or class: parsing each script whole cost every command 10-30 ms."""
    source = script.read_text(encoding="utf-8")
    try:
        tree = ast.parse(_FIRST_DEFINITION.split(source, maxsplit=1)[0])
    except SyntaxError:  # the cut fell inside a string: parse it all
        tree = ast.parse(source)
    found: dict[str, object] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in names and value is not None:
            found[target.id] = ast.literal_eval(value)
    return found

"""The application database: SQLite by default, PostgreSQL when STEWARD_DATABASE_URL says so.

Tenant data is reached only through `Database.for_tenant(slug)`, which yields a `TenantScope`:
every statement it runs is filtered to that tenant (see resources/database/scoping.py) and, on
PostgreSQL, the transaction carries `steward.tenant_id` so row-level security holds even if the
filter were missed.
Tables without tenant data (tenants, system_config) are reached through `Database.system()`.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql import visitors

import migrations
from agent.settings import TenantSettings
from resources.database.bulk import COPY_THRESHOLD, copy_insert, dialect_insert
from resources.database.frames import rows_frame
from resources.paths import default_database_url
from resources.store import schema

if TYPE_CHECKING:
    import pandas as pd

from resources.database.scoping import (
    TENANT_TABLE_NAMES,
    UnscopedQueryError,
    scope_statement,
    stamp_rows,
    touches_tenant_data,
)


class DatabaseError(RuntimeError):
    """A database problem worth one clear line to the user (unreachable, out of date, ...)."""


class UnknownTenantError(LookupError):
    """No tenant has this slug."""


def normalize_url(url: str) -> str:
    """The application talks psycopg 3; plain postgres URLs are pointed at it."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


MAX_ENGINES = 8
_engines: OrderedDict[str, Engine] = OrderedDict()


def engine_for(url: str) -> Engine:
    """One engine (and pool) per URL, the least recently used disposed beyond MAX_ENGINES."""
    url = normalize_url(url)
    engine = _engines.pop(url, None) or _create_engine(url)
    _engines[url] = engine
    while len(_engines) > MAX_ENGINES:
        _engines.popitem(last=False)[1].dispose()
    return engine


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # SQLite has no schemas: the warehouse's `analytics` tables live in the main database.
        engine = sa.create_engine(url, connect_args={"timeout": 30},
                                  execution_options={"schema_translate_map": {"analytics": None}})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, connect_args={"connect_timeout": 10}
    )


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    name: str
    timezone: str
    agent_enabled: bool
    settings: TenantSettings

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Tenant:
        return cls(
            id=row["id"],
            slug=row["slug"],
            name=row["name"],
            timezone=row["timezone"],
            agent_enabled=bool(row["agent_enabled"]),
            settings=TenantSettings.stored(row["settings"] or {}),
        )


class TenantScope:
    """One tenant's view of the database inside one transaction.

    `kept` holds reads a store module keeps for the rest of the transaction (the tenant's
    suppressions, asked by every cadence engine of an hour); the module that writes such a table
    drops its entry."""

    def __init__(self, conn: Connection, tenant: Tenant):
        self.conn = conn
        self.tenant = tenant
        self.kept: dict[str, Any] = {}

    @property
    def tenant_id(self) -> int:
        return self.tenant.id

    def select(self, *columns: Any) -> sa.Select:
        """A plain select; `execute` adds the tenant filter wherever tenant tables appear."""
        return sa.select(*columns)

    def execute(
        self, stmt: Any, params: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None
    ):
        scoped = scope_statement(stmt, self.tenant.id)
        if isinstance(stmt, sa.Insert):
            table = stmt.table.name
            if params is None and table in TENANT_TABLE_NAMES:
                scoped = scoped.values(tenant_id=self.tenant.id)
            params = stamp_rows(table, params, self.tenant.id)
        return (
            self.conn.execute(scoped, params) if params is not None else self.conn.execute(scoped)
        )

    def insert(
        self,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        skip_conflicts_on: Sequence[str] | None = None,
    ) -> int:
        """Insert one row or many and return how many went in; an empty list inserts nothing.

        `skip_conflicts_on` names a unique key: rows already present under it are skipped, which
        makes re-runs and concurrent runs idempotent. Rows are grouped by the columns they name,
        so a column a row leaves out gets its default. Large groups on PostgreSQL go through COPY
        into a temporary table and one INSERT ... SELECT: COPY straight into the table is refused
        under row-level security, and this keeps most of its speed while the policy checks rows.
        """
        stamped = stamp_rows(
            table.name, [rows] if isinstance(rows, Mapping) else rows, self.tenant.id
        )
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in stamped:
            groups.setdefault(tuple(row), []).append(row)
        inserted = 0
        for columns, group in groups.items():
            if self.conn.dialect.name == "postgresql" and len(group) >= COPY_THRESHOLD:
                inserted += copy_insert(self.conn, table, list(columns), group, skip_conflicts_on)
                continue
            stmt = dialect_insert(self.conn.dialect.name, table)
            if skip_conflicts_on:
                # rowcount is -1 for ON CONFLICT inserts on psycopg: count the rows returned
                stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
                inserted += len(self.conn.execute(stmt.returning(sa.literal(1)), group).all())
                continue
            result = self.conn.execute(stmt, group)
            inserted += result.rowcount if result.rowcount >= 0 else len(group)
        return inserted

    def update_rows(self, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Set each row's values on the row with its `id`, as few statements as there are sets
        of columns: a cycle that changes a hundred deals' flags sends one batch, not a hundred
        round trips."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            values = {k: v for k, v in row.items() if k != "id"}
            groups.setdefault(tuple(sorted(values)), []).append(
                {"row_id": row["id"], **{f"new_{k}": v for k, v in values.items()}}
            )
        for columns, group in groups.items():
            stmt = (
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"))
                .values({c: sa.bindparam(f"new_{c}") for c in columns})
            )
            self.execute(stmt, group)

    def scalar(self, stmt: Any) -> Any:
        return self.execute(stmt).scalar()

    def frame(self, stmt: Any) -> pd.DataFrame:
        result = self.execute(stmt)
        return rows_frame(result.fetchall(), list(result.keys()))

    def count(self, table: sa.Table) -> int:
        return int(self.scalar(self.select(sa.func.count()).select_from(table)))


class SystemScope:
    """Access to tables that hold no tenant data; refuses any statement that touches tenant data."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def execute(self, stmt: Any, params: Any = None):
        if isinstance(stmt, sa.TextClause) or touches_tenant_data(stmt):
            raise UnscopedQueryError("tenant data is only reachable through Database.for_tenant()")
        return self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)


WAREHOUSE_TABLES = frozenset(["warehouse_events", "warehouse_builds", "tenants",
                              *(t.name for t in schema.ANALYTICS_TABLES)])


class WarehouseScope:
    """Every tenant's warehouse events, facts and insights in one transaction, for the daily
    build that aggregates all tenants in one statement per fact (per tenant it would be a
    statement per tenant and fact). It refuses statements on any other tenant table."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def execute(self, stmt: Any, params: Any = None):
        tables = {e.name for e in visitors.iterate(stmt) if isinstance(e, sa.Table)}
        if isinstance(stmt, sa.TextClause) or not tables <= WAREHOUSE_TABLES:
            raise UnscopedQueryError(
                f"the warehouse scope reaches only {', '.join(sorted(WAREHOUSE_TABLES))}")
        return self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)


class TenantSteps:
    """Transactions on one connection for one tenant (Database.steps). On PostgreSQL the
    connection is bound to the tenant for row-level security for the session, not per
    transaction (a round trip saved per step), and unbound before it goes back to the pool; a
    connection that cannot be unbound is discarded."""

    def __init__(self, conn: Connection, tenant: Tenant):
        self.conn, self.tenant = conn, tenant
        self._postgres = conn.dialect.name == "postgresql"

    def bind(self) -> None:
        if self._postgres:
            with self.conn.begin():
                self.conn.execute(sa.select(sa.func.set_config(
                    "steward.tenant_id", str(self.tenant.id), False)))

    def unbind(self) -> None:
        if not self._postgres:
            return
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
            with self.conn.begin():
                self.conn.execute(sa.select(sa.func.set_config("steward.tenant_id", "", False)))
        except sa.exc.SQLAlchemyError:
            self.conn.invalidate()

    @contextmanager
    def step(self) -> Iterator[TenantScope]:
        with self.conn.begin():
            yield TenantScope(self.conn, self.tenant)


def _tenant_row(dialect: str, slug: str) -> sa.Select:
    """The tenant's row; on PostgreSQL the same round trip binds the transaction to the tenant
    for row-level security (a cycle opens some twenty of these per tenant)."""
    stmt = sa.select(schema.tenants).where(schema.tenants.c.slug == slug)
    if dialect != "postgresql":
        return stmt
    bind = sa.func.set_config("steward.tenant_id", sa.cast(schema.tenants.c.id, sa.Text), True)
    return stmt.add_columns(bind.label("rls_bound"))


class Database(dg.ConfigurableResource):
    """Application database resource.

    `url` empty means: STEWARD_DATABASE_URL if set, else the embedded SQLite file under .steward/.
    """

    url: str = ""

    def resolved_url(self) -> str:
        return normalize_url(
            self.url or os.environ.get("STEWARD_DATABASE_URL") or default_database_url()
        )

    @property
    def engine(self) -> Engine:
        return engine_for(self.resolved_url())

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def _error(self, exc: sa.exc.OperationalError, verb: str) -> DatabaseError:
        first_line = (str(exc.orig or exc).strip().splitlines() or ["unknown error"])[0]
        return DatabaseError(
            f"cannot {verb} the database at {safe_url(self.resolved_url())}: {first_line}"
        )

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise self._error(exc, "reach") from exc
        with conn, conn.begin():
            yield conn

    @contextmanager
    def system(self) -> Iterator[SystemScope]:
        with self._transaction() as conn:
            yield SystemScope(conn)

    @contextmanager
    def warehouse(self) -> Iterator[WarehouseScope]:
        with self._transaction() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.set_config("steward.all_tenants", "on", True)))
            yield WarehouseScope(conn)

    @contextmanager
    def for_tenant(self, slug: str) -> Iterator[TenantScope]:
        with self._transaction() as conn:
            row = conn.execute(_tenant_row(conn.dialect.name, slug)).mappings().first()
            if row is None:
                raise UnknownTenantError(f"unknown tenant {slug!r}")
            yield TenantScope(conn, Tenant.from_row(row))

    @contextmanager
    def steps(self, slug: str) -> Iterator[TenantSteps]:
        """One connection for many short transactions of one tenant, each its own commit (a
        dispatcher's hand-over step per message): the tenant row is read once, not per step."""
        try:
            conn = self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise self._error(exc, "reach") from exc
        with conn:
            with conn.begin():
                row = conn.execute(_tenant_row(conn.dialect.name, slug)).mappings().first()
            if row is None:
                raise UnknownTenantError(f"unknown tenant {slug!r}")
            steps = TenantSteps(conn, Tenant.from_row(row))
            try:
                steps.bind()
                yield steps
            finally:
                steps.unbind()

    def each_tenant(self, slugs: Iterable[str]) -> Iterator[TenantScope]:
        """A scope for each tenant in turn on one connection and transaction, re-bound to each
        tenant by the same row query `for_tenant` runs: what a sensor probing every tenant
        each minute needs, without a connection and a transaction per tenant (two round trips
        a tenant instead of five). For short reads: one transaction holds them all."""
        with self._transaction() as conn:
            for slug in slugs:
                row = conn.execute(_tenant_row(conn.dialect.name, slug)).mappings().first()
                if row is None:
                    raise UnknownTenantError(f"unknown tenant {slug!r}")
                yield TenantScope(conn, Tenant.from_row(row))

    def upgrade(self) -> None:
        try:
            migrations.upgrade(self.engine)
        except sa.exc.OperationalError as exc:
            raise self._error(exc, "upgrade") from exc

    def schema_revision(self) -> str | None:
        try:
            return migrations.current_revision(self.engine)
        except sa.exc.OperationalError as exc:
            raise self._error(exc, "reach") from exc

    def require_current_schema(self) -> None:
        """Refuse to work on a database whose schema is behind (or ahead of) this code."""
        current, head = self.schema_revision(), migrations.head_revision()
        if current != head:
            raise DatabaseError(
                f"the database schema is at {current or 'nothing (empty database)'} but this "
                f"version of Steward needs {head}: run `steward db upgrade`"
            )

    def tenants(self) -> list[Tenant]:
        with self.system() as sys:
            rows = sys.execute(sa.select(schema.tenants).order_by(schema.tenants.c.id)).mappings()
            return [Tenant.from_row(r) for r in rows]

"""Data generation benchmark: demo contacts for many tenants into PostgreSQL.

Steward's path (`TenantScope.insert` as the demo loader calls it, as the runtime role that
row-level security binds: COPY into a temporary table, then INSERT ... SELECT under the policy)
against a plain COPY of the very same rows by a superuser straight into the table, the fastest way
into PostgreSQL, which RLS forbids to the runtime role.
Prints rows/s for both and the ratio (target >= 0.5x COPY).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import uuid
from datetime import UTC, datetime

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

from pipelines.demo import DemoSize, build_tenant_rows, resolve_links, tenant_spec
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role
from resources.store import schema
from resources.store.tenants import add_tenant

APP_ROLE = "steward_bench_app"


def scratch_database(admin_url: str) -> tuple[str, str, str]:
    name = f"steward_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    admin = make_url(admin_url).set(database=name)
    app = admin.set(username=APP_ROLE, password=None)
    return name, admin.render_as_string(False), app.render_as_string(False)


def drop_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    admin_root = normalize_url(args.pg_url)
    name, admin_url, app_url = scratch_database(admin_root)
    try:
        run(args.tenants, args.contacts, admin_url, app_url)
    finally:
        drop_database(admin_root, name)


def run(tenants: int, contacts: int, admin_url: str, app_url: str) -> None:
    admin = Database(url=admin_url)
    admin.upgrade()
    ensure_app_role(admin.engine, APP_ROLE)
    app = Database(url=app_url)
    size = DemoSize(tenants=tenants, contacts=contacts, orders=0, deals=0, quotes=0,
                    messages=0, documents=0)
    now = datetime(2026, 11, 24, tzinfo=UTC)

    started = time.perf_counter()
    generated = [build_tenant_rows(i, size, 42, now) for i in range(tenants)]
    gen_seconds = time.perf_counter() - started

    prepared: list[tuple[str, list[dict]]] = []
    for i, rows in enumerate(generated):
        slug = tenant_spec(i).slug
        add_tenant(app, slug)
        with app.for_tenant(slug) as scope:
            scope.insert(schema.accounts, rows["accounts"])
            ids = {"accounts": dict(scope.execute(
                scope.select(schema.accounts.c.name, schema.accounts.c.id)).all())}
        prepared.append((slug, resolve_links(rows["contacts"], ids)))
    total = sum(len(r) for _, r in prepared)

    started = time.perf_counter()
    for slug, rows in prepared:
        with app.for_tenant(slug) as scope:
            scope.insert(schema.contacts, rows)
    steward_seconds = time.perf_counter() - started

    tenant_ids = {t.slug: t.id for t in app.tenants()}
    copy_seconds = plain_copy(admin_url, prepared, tenant_ids)

    steward_rate, copy_rate = total / steward_seconds, total / copy_seconds
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(f"rows: {total} contacts = {tenants} tenants x {contacts}")
    print(f"generate (Faker, in memory): {gen_seconds:6.2f}s  {total / gen_seconds:9.0f} rows/s")
    print(f"steward load (scoped, RLS on):             {steward_seconds:6.2f}s  "
          f"{steward_rate:9.0f} rows/s")
    print(f"plain COPY (superuser, same rows):         {copy_seconds:6.2f}s  "
          f"{copy_rate:9.0f} rows/s")
    print(f"ratio steward/COPY: {steward_rate / copy_rate:.2f}x (target >= 0.50x)")


def plain_copy(admin_url: str, prepared: list[tuple[str, list[dict]]],
               tenant_ids: dict[str, int]) -> float:
    """Delete the loaded contacts, then COPY the same rows back in, timed."""
    columns = ["tenant_id", *prepared[0][1][0].keys()]
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM contacts")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            f"COPY contacts ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for slug, rows in prepared:
                tenant_id = tenant_ids[slug]
                for row in rows:
                    copy.write_row([tenant_id, *(
                        Jsonb(v) if isinstance(v, (dict, list)) else v for v in row.values())])
        conn.commit()
        return time.perf_counter() - started


if __name__ == "__main__":
    main()

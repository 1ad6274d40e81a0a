"""Broadcast benchmark: a 10,000-recipient campaign to a local SMTP sink, caps lifted.

Steward's path is the product's: a campaign created, approved and started (the audience
frozen), one hourly cycle's plan and act (the engine proposes the batch, the gate decides it,
the dispatcher expands it into 10,000 outbox rows and starts sending), then dispatch passes
until nothing is due, each message claimed, checked again (switches, suppressions), marked
`sending` before DATA and recorded after, over one SMTP connection per pass. The baseline sends
the same rendered messages (the bytes Steward built, read back from the outbox) with a bare
smtplib loop over one connection. The sink (aiosmtpd) runs in a process of its own and counts
what it receives. Prints messages/s for both and the ratio (target >= 0.5x), and checks that
every recipient got exactly one message.

Run from the repository root as `python -m bench.broadcast` (PostgreSQL under row-level
security, as the runtime role, and the embedded SQLite default).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import smtplib
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench.datagen import APP_ROLE, drop_database, scratch_database
from resources.alerts import Alerts
from resources.clients import Clients
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.mailer.message import build_message, wire_bytes
from resources.providers import Providers
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from services.broadcasts import campaigns
from services.cycle.phases import Cycle, act_phase, plan_phase
from services.dispatch import dispatch_tenant

NOW = datetime(2027, 3, 2, 15, tzinfo=UTC)  # a Tuesday, 10:00 in New York


def _sink(port: int, ready, commands) -> None:
    """The sink process: accepts everything and keeps the recipients, answering `commands`
    (get, clear) over a pipe, so a message costs it no inter-process call."""
    from aiosmtpd.controller import Controller

    received: list[str] = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos[0])
            return "250 2.0.0 queued"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        command = commands.recv()
        if command == "clear":
            received.clear()
        commands.send(list(received))


class Sink:
    """aiosmtpd in a child process; `received()` is what it was handed, in order."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        ctx = multiprocessing.get_context("spawn")
        self._commands, theirs = ctx.Pipe()
        ready = ctx.Event()
        self._process = ctx.Process(target=_sink, args=(self.port, ready, theirs), daemon=True)
        self._process.start()
        if not ready.wait(60):
            raise SystemExit("the SMTP sink did not start")

    def _ask(self, command: str) -> list[str]:
        self._commands.send(command)
        return self._commands.recv()

    def received(self) -> list[str]:
        return self._ask("get")

    def clear(self) -> None:
        self._ask("clear")

    def stop(self) -> None:
        self._process.kill()


def seed(db: Database, recipients: int) -> None:
    add_tenant(db, "acme", timezone="America/New_York")
    update_tenant(db, "acme", settings_patch={
        "send_mode": "limited_live", "from_address": "news@acme.example",
        "own_addresses": ["acme.example"], "thresholds": {"engagement_days": 365},
        "caps": {"emails_per_hour": 1_000_000, "emails_per_day": 1_000_000,
                 "broadcast_batches_per_day": 1000},
        "broadcasts": {"batch_size": recipients,
                       "unsubscribe_url": "https://acme.example/unsubscribe"}})
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, {"name": "Brook Bank", "industry": "Banking"})
        bank = scope.scalar(scope.select(schema.accounts.c.id))
        known = NOW - timedelta(days=1)
        scope.insert(schema.contacts, [
            {"account_id": bank, "email": f"r{i}@client{i % 97}.example",
             "first_name": f"Reader{i}", "profile": {"tags": ["newsletter"]},
             "created_at": known, "last_touch_at": known} for i in range(recipients)])
        campaigns.create_campaign(scope, "spring", {"tags": ["newsletter"]}, {
            "subject": "Spring turnaround times for {{ account_name }}",
            "text": "Hello {{ name }},\n\nOur spring turnaround times are in: three business "
                    "days for a standard appraisal, five for complex properties.\n\nThank you "
                    "for your orders."}, "bench", NOW)
        campaigns.approve(scope, "spring", "bench", NOW)
        campaigns.start(scope, "spring", "bench", NOW)


def steward(db: Database, clients: Clients) -> tuple[float, float, int]:
    """Seconds from the cycle's plan to the last message out, of them the cycle's plan and act
    (the batch expanded into its messages, the first of them sent), and the dispatch passes."""
    started = time.perf_counter()
    cycle = Cycle(db, "acme", NOW, "bench", NOW + timedelta(minutes=1), False, clients.alerts)
    assert plan_phase(cycle).status == "done"
    act_phase(cycle, clients)
    acted = time.perf_counter() - started
    passes = 1
    while dispatch_tenant(db, clients, "acme", NOW + timedelta(minutes=2),
                          limit=100_000).counts.get("sent"):
        passes += 1
    return time.perf_counter() - started, acted, passes


def rendered(db: Database) -> list[tuple[str, str, bytes]]:
    with db.for_tenant("acme") as scope:
        rows = scope.execute(scope.select(schema.outbox).where(
            schema.outbox.c.kind == "broadcast_email").order_by(schema.outbox.c.id)).mappings()
        return [(r["payload"]["from"], r["target"],
                 wire_bytes(build_message("acme", r["idempotency_key"], r["payload"], NOW)))
                for r in rows]


def bare(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    smtp = smtplib.SMTP("127.0.0.1", port)
    smtp.ehlo()
    started = time.perf_counter()
    for sender, recipient, data in messages:
        smtp.sendmail(sender, [recipient], data)
    elapsed = time.perf_counter() - started
    smtp.quit()
    return elapsed


def run(name: str, url: str, owner_url: str | None, recipients: int, sink: Sink) -> float:
    with tempfile.TemporaryDirectory(prefix="steward-bench-broadcast-") as tmp:
        os.environ["STEWARD_HOME"] = tmp
        owner = Database(url=owner_url or url)
        owner.upgrade()
        if owner_url:
            ensure_app_role(owner.engine, APP_ROLE)
        db = Database(url=url)
        seed(db, recipients)
        mailer = Mailer(smtp_url=f"smtp://127.0.0.1:{sink.port}?starttls=off",
                        outbox_dir=f"{tmp}/outbox", timeout_s=30)
        clients = Clients(mailer=mailer, alerts=Alerts(mailer=mailer), mailboxes=Mailboxes(),
                          providers=Providers())
        sink.clear()
        ours, acted, passes = steward(db, clients)
        got = sink.received()
        if len(got) != recipients or len(set(got)) != recipients:
            raise SystemExit(f"{name}: {len(got)} messages for {len(set(got))} of {recipients} "
                             "recipients: not exactly one each")
        messages = rendered(db)
        sink.clear()
        theirs = bare(sink.port, messages)
        if len(sink.received()) != len(messages):
            raise SystemExit(f"{name}: the bare loop did not deliver every message")
    ratio = (recipients / ours) / (recipients / theirs)
    print(f"{name}: Steward {ours:6.2f}s = {recipients / ours:6.0f} msg/s (from the cycle's "
          f"plan to the last message: plan and act {acted:.2f}s, then {passes} dispatch passes; "
          f"{clients.mailer.connections} SMTP connections); bare smtplib loop "
          f"{theirs:6.2f}s = {recipients / theirs:6.0f} msg/s; Steward / bare = {ratio:.2f}x "
          f"(target >= 0.5x: {'met' if ratio >= 0.5 else 'MISSED'})")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(f"data: one campaign to {args.recipients:,} contacts, caps lifted, a local aiosmtpd "
          "sink in its own process, plain SMTP on loopback")
    sink = Sink()
    try:
        with tempfile.TemporaryDirectory(prefix="steward-bench-sqlite-") as tmp:
            run("SQLite (embedded default)", f"sqlite:///{tmp}/app.db", None, args.recipients,
                sink)
        if not args.skip_postgres:
            root = normalize_url(args.pg_url)
            name, admin_url, app_url = scratch_database(root)
            try:
                run("PostgreSQL (runtime role, row-level security)", app_url, admin_url,
                    args.recipients, sink)
            finally:
                drop_database(root, name)
    finally:
        sink.stop()


if __name__ == "__main__":
    main()

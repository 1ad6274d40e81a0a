"""IMAP ingest benchmark: 10,000 messages of 5-50 KB from a private local Dovecot.

Steward's path is `ingest_tenant`, the function the `inbox` asset runs per tenant: fetch from the
IMAP source in batches, parse and analyse every message, store each batch with its checkpoint in
PostgreSQL as the runtime role under row-level security. The floor is a bare stdlib `imaplib`
fetch of the same messages over the same TLS connection type (SELECT, UID SEARCH ALL, UID FETCH
BODY.PEEK[] 200 at a time) that does nothing with them. Then a second `ingest_tenant` of the
unchanged mailbox, which should find nothing new quickly.
Prints messages/s and MB/s, the ratio of the first ingest to the bare fetch (issue 13's target:
>= 2,000 msgs/s, about 0.16x), the re-sync's speed-up over the first ingest (target >= 20x), where
the first ingest's wall time goes, and its CPU per message by phase and process: fetch (the
ingesting process and Dovecot), parse + analyse (the worker processes; parse and analyse are
also timed apart, one after the other on a sample in this process), store (the ingesting process
and its PostgreSQL backends). Process CPU comes from /proc, so other work on the machine does not
count. Run from the repository root as `python -m bench.ingest_imap` (it borrows the test suite's
Dovecot runner, tests/mailbox/dovecot.py); needs dovecot-imapd, PostgreSQL and Linux.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from agent.mail.analyze import analyze
from agent.mail.parse import parse_message
from agent.settings import TenantSettings
from bench.datagen import APP_ROLE, drop_database, scratch_database
from bench.mailgen import OWN_DOMAIN, Generator
from pipelines import resources as pipeline_resources
from resources.database import Database, Tenant, normalize_url
from resources.database.roles import ensure_app_role
from resources.mailbox import ImapSource
from resources.mailbox.credentials import PASSWORD_VAR, env_suffix
from resources.mailbox.resource import Mailboxes
from resources.store.tenants import add_tenant
from services.inbox.analysis import AnalysedBatch, Analyser
from services.inbox.ingest import ingest_tenant
from tests.mailbox.dovecot import DovecotServer, ImapAccount, identities, run_dovecot

ALERTS = pipeline_resources.alerts  # what the inbox asset gets from Definitions
FETCH_BATCH = 200
TARGET_RATE = 2000  # msgs/s, issue 13
SPLIT_SAMPLE = 5  # parse and analyse are timed apart on every fifth message


def deliver(server: DovecotServer, account: ImapAccount, messages: list[bytes]) -> None:
    """Write the messages straight into the account's Maildir as a delivery agent would (LF line
    ends, S= and W= sizes in the names, mtime = Date), owned by the mail user."""
    who = identities()
    home = server.home(account.user)
    maildir = home / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for path in (home, maildir, *(maildir / s for s in ("cur", "new", "tmp"))):
        os.chown(path, who.mail_uid, who.mail_gid)
        path.chmod(0o700)
    for n, data in enumerate(messages):
        wire = len(data) + data.count(b"\n")
        path = maildir / "cur" / f"{1790000000 + n}.M{n}P1.bench,S={len(data)},W={wire}:2,"
        path.write_bytes(data)
        os.chown(path, who.mail_uid, who.mail_gid)
        path.chmod(0o600)
        date = _date(data)
        if date:
            os.utime(path, (date, date))


def _date(data: bytes) -> float | None:
    head = data.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    for line in head.splitlines():
        if line.lower().startswith("date:"):
            return parsedate_to_datetime(line[5:].strip()).timestamp()
    return None


def bare_fetch(server: DovecotServer, account: ImapAccount) -> tuple[float, int, int]:
    """(seconds, messages, bytes) for a plain imaplib read of every message, doing nothing else."""
    started = time.perf_counter()
    imap = imaplib.IMAP4_SSL("127.0.0.1", server.imaps_port,
                             ssl_context=server.cert.client_context(), timeout=60)
    imap.login(account.user, account.password)
    imap.select("INBOX", readonly=True)
    _, data = imap.uid("SEARCH", "ALL")
    uids = data[0].split()
    count = size = 0
    for start in range(0, len(uids), FETCH_BATCH):
        _, found = imap.uid("FETCH", b",".join(uids[start:start + FETCH_BATCH]), "(BODY.PEEK[])")
        for item in found:
            if isinstance(item, tuple):
                count += 1
                size += len(item[1])
    imap.logout()
    return time.perf_counter() - started, count, size


class Phases:
    """Wall time and CPU time (of the calling thread) spent inside chosen functions, by phase:
    a profiler that sees only those."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def _add(self, phase: str, started: tuple[float, float]) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started[0]
        self.cpu[phase] = self.cpu.get(phase, 0.0) + time.thread_time() - started[1]

    @contextmanager
    def timing(self, owner: Any, name: str, phase: str, context: bool = False) -> Iterator[None]:
        """Time calls of `owner.name`; with `context`, until the context it returns is left."""
        original: Callable = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self._add(phase, started)

        @contextmanager
        def timed_context(*args: Any, **kwargs: Any) -> Iterator[Any]:
            started = time.perf_counter(), time.thread_time()
            try:
                with original(*args, **kwargs) as value:
                    yield value
            finally:
                self._add(phase, started)

        setattr(owner, name, timed_context if context else timed)
        try:
            yield
        finally:
            setattr(owner, name, original)


def first_ingest(
    app: Database, admin: Database, mailboxes: Mailboxes, tenant: Tenant, now: datetime
) -> tuple[float, Any, Phases, dict[str, float]]:
    """The timed ingest, with the time the ingesting process spends in each phase and the CPU
    time of each process involved (see `_cpu`)."""
    phases = Phases()
    with ExitStack() as stack:
        stack.enter_context(phases.timing(ImapSource, "fetch", "fetch (IMAP)"))
        stack.enter_context(phases.timing(Analyser, "submit", "parse + analyse"))
        stack.enter_context(phases.timing(AnalysedBatch, "items", "parse + analyse"))
        stack.enter_context(phases.timing(Database, "for_tenant", "store", context=True))
        before = _cpu(admin)
        started = time.perf_counter()
        counts, status, _ = ingest_tenant(app, mailboxes, ALERTS, tenant, now)
        seconds = time.perf_counter() - started
        after = _cpu(admin)
    if status != "connected":
        raise RuntimeError(f"ingest failed: {status}")
    cpu = {k: after[k] - before[k] for k in ("own", "machine", "dovecot", "workers")}
    cpu["postgres"] = sum(t - before["backends"].get(pid, 0.0)
                          for pid, t in after["backends"].items())
    return seconds, counts, phases, cpu


def _cpu(admin: Database) -> dict[str, Any]:
    """CPU seconds so far: this process ("own"), the whole machine, Dovecot's processes, the
    other processes this one started (the analysis workers), and each PostgreSQL backend of the
    scratch database by pid (the ingest's pooled connections stay open until the end)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with admin.engine.connect() as conn:
        backends = conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")).scalars().all()
    table = _processes()
    children = [pid for pid, (parent, _) in table.items() if parent == os.getpid()]
    dovecot = [pid for pid in children if _comm(pid) == "dovecot"]
    return {
        "own": usage.ru_utime + usage.ru_stime,
        "machine": _machine_cpu(),
        "dovecot": sum(_tree_cpu(table, pid) for pid in dovecot),
        "workers": sum(_tree_cpu(table, pid) for pid in children if pid not in dovecot),
        "backends": {pid: table[pid][1] for pid in backends if pid in table},
    }


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and of its children it has reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)
    return table


def _tree_cpu(table: dict[int, tuple[int, float]], root: int) -> float:
    """CPU seconds of `root` and everything below it, exited processes included (each is
    counted in the parent that reaped it)."""
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += table[pid][1]
        stack += [child for child, (parent, _) in table.items() if parent == pid]
    return total


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _machine_cpu() -> float:
    """CPU seconds every core of the machine has been busy (Linux /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many")
    parser.add_argument("--analysis-workers", type=int, default=0,
                        help="Mailboxes.analysis_workers: 0 one per core, 1 none")
    parser.add_argument("--pg-url", default=os.environ.get(
        "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    admin_root = normalize_url(args.pg_url)
    with tempfile.TemporaryDirectory(prefix="steward-bench-") as home, \
            run_dovecot(accounts=1) as server:
        os.environ["STEWARD_HOME"] = home  # attachments land here, not in the real home
        name, admin_url, app_url = scratch_database(admin_root)
        try:
            run(server, args.messages, args.rounds, Mailboxes(
                analysis_workers=args.analysis_workers), admin_url, app_url)
        finally:
            drop_database(admin_root, name)


def run(server: DovecotServer, total: int, rounds: int, mailboxes: Mailboxes, admin_url: str,
        app_url: str) -> None:
    account = server.account()
    started = time.perf_counter()
    messages = Generator(seed=42).messages(total)
    gen_seconds = time.perf_counter() - started
    deliver(server, account, messages)
    warm_seconds, count, size = bare_fetch(server, account)  # Dovecot indexes the Maildir here
    if count != total:
        raise RuntimeError(f"Dovecot holds {count} messages, not {total}")

    admin = Database(url=admin_url)
    admin.upgrade()
    ensure_app_role(admin.engine, APP_ROLE)
    app = Database(url=app_url)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    bare, first, resync = [], [], []
    for n in range(rounds):  # alternate, so neither side always runs on a colder system
        bare.append(bare_fetch(server, account)[0])
        slug = f"bench-{n}"
        os.environ[PASSWORD_VAR + env_suffix(slug)] = account.password
        tenant = add_tenant(app, slug, settings=TenantSettings(
            mailbox=account.url("imaps"), own_addresses=[OWN_DOMAIN]))
        seconds, counts, phases, cpu = first_ingest(app, admin, mailboxes, tenant, now)
        if counts.new != total or counts.fetched != total:
            raise RuntimeError(f"first ingest stored {counts.new} of {counts.fetched} fetched")
        first.append((seconds, counts, phases, cpu))
        started = time.perf_counter()
        again, status, _ = ingest_tenant(app, mailboxes, ALERTS, tenant, now)
        resync.append(time.perf_counter() - started)
        if status != "connected" or again.fetched or again.new:
            raise RuntimeError(f"re-sync found {again.fetched} messages ({status})")

    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(f"messages: {total} in one INBOX, {size / 2**20:.0f} MB on the wire "
          f"({size / total / 1024:.1f} KB average); best of {rounds} rounds; analysis workers: "
          f"{Analyser([], 0, mailboxes.analysis_workers).workers}")
    print(f"generate (in memory): {gen_seconds:6.2f}s; Dovecot's first read (indexing, untimed "
          f"warm-up): {warm_seconds:6.2f}s")
    report(total, size, bare, first, resync, split(messages[::SPLIT_SAMPLE]))


def split(sample: list[bytes]) -> tuple[float, float]:
    """CPU seconds per message to parse and to analyse, one after the other in this process."""
    for data in sample[:20]:  # first calls load models and compile patterns
        analyze(parse_message(data), [OWN_DOMAIN])
    started = time.process_time()
    parsed = [parse_message(data) for data in sample]
    parse = time.process_time() - started
    started = time.process_time()
    for msg in parsed:
        analyze(msg, [OWN_DOMAIN])
    return parse / len(sample), (time.process_time() - started) / len(sample)


def report(total: int, size: int, bare: list[float], first: list[tuple], resync: list[float],
           apart: tuple[float, float]) -> None:
    bare_s = min(bare)
    first_s, counts, phases, cpu = min(first, key=lambda r: r[0])
    resync_s = min(resync)
    mb = size / 2**20
    bare_rate, first_rate = total / bare_s, total / first_s
    print(f"bare imaplib fetch:              {bare_s:7.2f}s  {bare_rate:7.0f} msgs/s  "
          f"{mb / bare_s:6.1f} MB/s")
    print(f"steward first ingest:            {first_s:7.2f}s  {first_rate:7.0f} msgs/s  "
          f"{mb / first_s:6.1f} MB/s (target >= {TARGET_RATE} msgs/s)")
    print(f"ratio first ingest/bare fetch: {first_rate / bare_rate:.2f}x")
    print(f"  stored: new={counts.new} duplicate={counts.duplicate} quarantined="
          f"{counts.quarantined} contacts={counts.contacts_created} touches={counts.touches} "
          f"signals={counts.signals} attachments={counts.attachments}")
    print(f"  classes: {dict(sorted(counts.per_class.items()))}")
    print("  where the first ingest's time goes (wall time of the ingesting process; with "
          "workers, parse + analyse is the wait for them; store includes the transactions):")
    for phase in ("fetch (IMAP)", "parse + analyse", "store"):
        seconds = phases.seconds.get(phase, 0.0)
        print(f"    {phase:<17} {seconds:7.2f}s  {seconds / first_s:4.0%}")
    other = first_s - sum(phases.seconds.values())
    print(f"    {'other':<17} {other:7.2f}s  {other / first_s:4.0%}")
    ms = {k: v / total * 1000 for k, v in cpu.items()}
    here = {k: v / total * 1000 for k, v in phases.cpu.items()}
    fetch, store = here.get("fetch (IMAP)", 0.0), here.get("store", 0.0)
    print("  CPU per message (ms), by phase and process:")
    print(f"    fetch             {fetch + ms['dovecot']:5.2f}  (ingesting process {fetch:.2f}, "
          f"Dovecot {ms['dovecot']:.2f})")
    print(f"    parse + analyse   {ms['workers']:5.2f}  (worker processes; timed apart in one "
          f"process: parse {apart[0] * 1000:.2f}, analyse {apart[1] * 1000:.2f})")
    print(f"    store             {store + ms['postgres']:5.2f}  (ingesting process {store:.2f}, "
          f"PostgreSQL {ms['postgres']:.2f})")
    rest = ms["own"] - fetch - store
    print(f"    other             {rest:5.2f}  (ingesting process: handing batches to and from "
          f"the workers, bookkeeping)")
    print(f"    all               {ms['own'] + ms['workers'] + ms['dovecot'] + ms['postgres']:5.2f}"
          f"  (the whole machine: {ms['machine']:.2f}, other work on it included)")
    print(f"steward re-sync, nothing new:    {resync_s:7.3f}s  {total / resync_s:7.0f} msgs/s "
          f"equivalent")
    print(f"speed-up re-sync/first ingest: {first_s / resync_s:.0f}x (target >= 20x)")
    print(f"all rounds: bare {_list(bare)}, first {_list([r[0] for r in first])}, "
          f"re-sync {_list(resync, 3)}")


def _list(values: list[float], digits: int = 2) -> str:
    return "/".join(f"{v:.{digits}f}s" for v in values)


if __name__ == "__main__":
    main()

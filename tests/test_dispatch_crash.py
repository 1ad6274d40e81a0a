"""Kill the dispatcher with SIGKILL at random moments; nothing may arrive twice or go missing.

Each trial forks a dispatcher process (fork keeps the trial fast: no re-import) that sends to a
real SMTP sink taking its time over DATA, so kills land before, during and after the hand-over.
Every pass recovers what the killed ones left (lease 0: only one dispatcher runs at a time
here). At the end every message is delivered exactly once or is delivery-unknown with an alert.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from resources.database import Database, engine_for
from resources.mailer import Mailer
from resources.store import schema
from resources.store.tenants import update_tenant
from services.dispatch import dispatch_tenant
from services.gate import propose
from tests.helpers import seed_tenant
from tests.smtp_sink import SmtpSink
from tests.test_gate import follow_up, rows

TRIALS = 50
MESSAGES = 60


def _dispatch_then_exit(url: str, mailer: Mailer) -> None:
    engine_for(url).dispose(close=False)  # the parent's pooled connections are not ours
    dispatch_tenant(Database(url=url), mailer, "acme", lease=timedelta(0), limit=MESSAGES)
    os._exit(0)


@pytest.mark.parametrize("reconcile", [True, False], ids=["sent-folder", "no-mailbox"])
def test_sigkill_never_duplicates_or_loses_mail(
    db: Database, tmp_path: Path, monkeypatch, reconcile: bool
):
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    maildir = tmp_path / "mailbox"
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True)
    seed_tenant(db, "acme", contacts=MESSAGES, touched_days_ago=5)
    settings = {
        "send_mode": "limited_live",
        "from_address": "office@acme.example",
        "caps": {"emails_per_hour": 1000, "emails_per_day": 1000},
    }
    if reconcile:
        settings["mailbox"] = f"maildir://{maildir}"
    update_tenant(db, "acme", settings_patch=settings)
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    queued = propose(db, "acme", [follow_up(n) for n in range(MESSAGES)], now)
    assert {r.status for r in queued} == {"queued"}
    rng = random.Random(20261124)
    fork = multiprocessing.get_context("fork")
    with SmtpSink(sent_maildir=maildir if reconcile else None, delay_s=0.02) as sink:
        mailer = Mailer(smtp_url=sink.url(), outbox_dir=str(tmp_path / "outbox"), timeout_s=5)
        url = db.resolved_url()
        for _ in range(TRIALS):
            child = fork.Process(target=_dispatch_then_exit, args=(url, mailer))
            child.start()
            time.sleep(rng.uniform(0.0, 0.12))
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        for _ in range(5):  # the restart: recover and finish what is due
            dispatch_tenant(db, mailer, "acme", lease=timedelta(0), limit=MESSAGES)
        received = sink.keys()

    assert max(received.values()) == 1, "a message arrived twice"
    outcome = {r["idempotency_key"]: r["status"] for r in rows(db, schema.outbox)}
    assert Counter(outcome.values()).keys() <= {"sent", "delivery_unknown"}
    assert {k for k, s in outcome.items() if s == "sent"} <= set(received)
    unknown = {k for k, s in outcome.items() if s == "delivery_unknown"}
    alerted = {
        a["dedupe_key"].split(":", 1)[1]
        for a in rows(db, schema.alerts)
        if a["rule"] == "delivery_unknown"
    }
    assert unknown <= alerted, "a delivery-unknown message has no alert"
    reconciled = [r for r in rows(db, schema.outbox) if "reconciled" in (r["provider_ref"] or "")]
    if reconcile:
        # every unknown that reached the server is found in the Sent folder; none remain
        assert unknown.isdisjoint(received)
    assert unknown or reconciled, "no kill landed in the hand-over window: widen the trials"
    print(f"\nreceived {len(received)}, unknown {len(unknown)}, reconciled {len(reconciled)}")
    assert len(received) + len(unknown - set(received)) == MESSAGES, "a message went missing"

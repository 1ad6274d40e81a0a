"""The ingest asset end to end against a real IMAP server (Dovecot) and the fake Gmail API:
credentials from the environment, checkpoints, connection status and alerts on repeated failure."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

from assets.inbox import inbox
from assets.partitions import TENANTS
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from tests.helpers import NOW, clock_at, resources
from tests.mailbox.dovecot import ImapAccount
from tests.mailbox.fake_gmail import FakeGmailServer
from tests.mailbox.mail import message


def ingest(db: Database, slug: str, at: datetime = NOW) -> dict:
    with clock_at(at), dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, [slug])
        result = dg.materialize([inbox], instance=instance, partition_key=slug,
                                resources={**resources(db), "mailboxes": Mailboxes(timeout_s=5)})
    assert result.success
    meta = result.asset_materializations_for_node("inbox")[0].metadata
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    check = checks["mailboxes_healthy"]
    assert checks["tenants_failed"].passed  # a mailbox error is the tenant's state, not a crash
    return {**{k: v.value for k, v in meta.items()}, "healthy": check.passed,
            "failing": check.metadata["failing"].value}


def state(db: Database, slug: str) -> dict:
    with db.for_tenant(slug) as scope:
        return dict(scope.execute(scope.select(schema.mailbox_state)).mappings().one())


def open_alerts(db: Database, slug: str) -> list:
    with db.for_tenant(slug) as scope:
        return scope.execute(scope.select(schema.alerts.c.rule)
                             .where(schema.alerts.c.status == "open")).scalars().all()


def test_imap_mailbox_ingests_incrementally_and_reports_auth_failures(
    db: Database, imap_account: ImapAccount, steward_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_tenant(db, "imap-co")
    update_tenant(db, "imap-co", settings_patch={"mailbox": imap_account.url("imaps")})
    monkeypatch.setenv("STEWARD_MAILBOX_PASSWORD_IMAP_CO", imap_account.password)
    imap_account.append("INBOX", [message(n) for n in range(1, 4)])
    first = ingest(db, "imap-co")
    assert (first["fetched"], first["new"], first["healthy"]) == (3, 3, True)
    assert state(db, "imap-co")["status"] == "connected"
    imap_account.append("INBOX", [message(4)])
    assert ingest(db, "imap-co")["new"] == 1

    monkeypatch.setenv("STEWARD_MAILBOX_PASSWORD_IMAP_CO", "wrong")
    for _ in range(3):
        failed = ingest(db, "imap-co")
        assert failed["healthy"] is False and "imap-co: auth_failed" in failed["failing"]
        assert "wrong" not in failed["failing"]
    assert state(db, "imap-co")["consecutive_failures"] == 3
    assert open_alerts(db, "imap-co") == ["mailbox_errors"]

    monkeypatch.setenv("STEWARD_MAILBOX_PASSWORD_IMAP_CO", imap_account.password)
    recovered = ingest(db, "imap-co")
    assert recovered["healthy"] and recovered["new"] == 0
    assert open_alerts(db, "imap-co") == []


def test_gmail_mailbox_ingests_through_the_api(
    db: Database, fake_gmail: FakeGmailServer, steward_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_gmail.fake
    add_tenant(db, "gmail-co")
    update_tenant(db, "gmail-co", settings_patch={"mailbox": f"gmail://{fake.email}",
                                                  "own_addresses": [fake.email]})
    monkeypatch.setenv("STEWARD_GMAIL_API_BASE", fake_gmail.url)
    monkeypatch.setenv("STEWARD_MAILBOX_TOKEN_GMAIL_CO", fake.token)
    fake.add(message(1))
    fake.add(message(2))
    assert ingest(db, "gmail-co")["new"] == 2
    fake.add(message(3))
    again = ingest(db, "gmail-co")
    assert (again["fetched"], again["new"]) == (1, 1)
    with db.for_tenant("gmail-co") as scope:
        assert scope.count(schema.messages) == 3

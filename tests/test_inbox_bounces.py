"""What ingest does with a bounce's reason, through the inbox asset on both databases: a user
unknown suppresses the address with its reason and evidence; a refusal of *our* mail (DMARC,
a blocklisted sender) suppresses nobody and raises one deliverability alert for the tenant."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.inbox import inbox
from assets.partitions import TENANTS
from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from tests.helpers import NOW, clock_at, resources, rows
from tests.mail.test_bounce_corpus import OUR, dsn
from tests.test_inbox import _deliver


def test_a_hard_bounce_suppresses_and_our_side_failures_alert(
    db: Database, tmp_path: Path, steward_env: Path
) -> None:
    maildir = tmp_path / "acme" / "Maildir"
    add_tenant(db, "acme")
    update_tenant(db, "acme", settings_patch={
        "mailbox": f"maildir://{maildir}", "own_addresses": [OUR]})
    _deliver(maildir, dsn("gone@client.example", "5.1.1",
                          "smtp; 550 5.1.1 <gone@client.example>: Recipient address rejected: "
                          "User unknown in virtual mailbox table"))
    for n in range(2):
        _deliver(maildir, dsn(f"ok{n}@big.example", "5.7.26",
                              "smtp; 550-5.7.26 Unauthenticated email from acme-appraisals.example "
                              "is not accepted due to domain's DMARC policy"))
    with clock_at(NOW), dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme"])
        result = dg.materialize([inbox], instance=instance, partition_key="acme",
                                resources=resources(db))
    assert result.success
    (suppressed,) = rows(db, schema.suppressions, "acme")
    assert (suppressed["email"], suppressed["reason"]) == ("gone@client.example",
                                                           "bounce:user_unknown")
    assert "5.1.1" in suppressed["detail"]
    (alert,) = [a for a in rows(db, schema.alerts, "acme") if a["rule"] == "bounce_our_reputation"]
    assert alert["status"] == "open" and alert["severity"] == "error"
    assert "2 bounces refused our mail" in alert["title"]

"""Ingest through Dagster on the demo Maildirs and on hand-made bad mail, on both backends."""

from __future__ import annotations

import email
import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from assets.inbox import inbox
from assets.partitions import TENANTS, partition_tags
from pipelines.demo import generate_demo
from pipelines.schedules import ingest_schedule
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from tests.helpers import clock_at, resources

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
ACME = "acme-appraisals"


@pytest.fixture
def demo(db: Database, tmp_path: Path, steward_env: Path) -> Path:
    generate_demo(db, tmp_path / "demo", now=NOW)
    return tmp_path / "demo"


def ingest(db: Database, slugs: list[str]) -> dg.AssetMaterialization:
    """One ingest run at NOW, where the demo mail is dated; the first tenant's materialization
    (each tenant's partition carries its own figures)."""
    with clock_at(NOW), dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, slugs)
        result = dg.materialize(
            [inbox], instance=instance, tags=partition_tags(slugs),
            resources={**resources(db), "mailboxes": Mailboxes(batch_size=25)},
        )
    assert result.success
    by_tenant = {m.partition: m for m in result.asset_materializations_for_node("inbox")}
    assert set(by_tenant) == set(slugs)
    return by_tenant[slugs[0]]


def rows(db: Database, slug: str, table: sa.Table, *where) -> list:
    with db.for_tenant(slug) as scope:
        return scope.execute(scope.select(table).where(*where)).mappings().all()


def demo_kinds(root: Path) -> dict[str, str]:
    box = mailbox.Maildir(root / ACME / "Maildir", create=False)
    return {m["Message-ID"].strip("<>"): m["X-Demo-Kind"] for m in box}


def test_demo_mail_is_stored_once_with_reasons_and_outcomes(db: Database, demo: Path) -> None:
    slugs = ["acme-appraisals", "harbor-inspections", "summit-valuations"]
    first = ingest(db, slugs)
    assert first.metadata["new"].value == 40
    assert first.metadata["quarantined"].value == 0
    stored = rows(db, ACME, schema.messages)
    assert len(stored) == 40
    assert all(m["classification"] and m["classification_reason"] for m in stored)
    kinds = demo_kinds(demo)
    by_kind = {kinds[m["message_key"]]: m for m in stored}

    bounce = by_kind["bounce"]
    suppressed = {r["email"]: r for r in rows(db, ACME, schema.suppressions)}
    assert any(r["reason"] == "bounce:user_unknown" and r["message_id"] == bounce["id"]
               for r in suppressed.values())
    unsubscribe = by_kind["unsubscribe"]
    assert suppressed[unsubscribe["from_addr"]]["reason"] == "unsubscribe"
    ooo = by_kind["out_of_office"]
    assert ooo["from_addr"] not in suppressed
    (ooo_contact,) = rows(db, ACME, schema.contacts, schema.contacts.c.email == ooo["from_addr"])
    assert ooo_contact["ooo_until"] is not None

    reply = by_kind["reply"]
    pauses = rows(db, ACME, schema.cadence_pauses,
                  schema.cadence_pauses.c.message_id == reply["id"])
    assert len(pauses) == 1 and pauses[0]["contact_id"] == reply["contact_id"]
    touch = rows(db, ACME, schema.touches, schema.touches.c.message_id == reply["id"])
    assert touch[0]["touch_type"] == "email_in"

    scheduling = by_kind["scheduling"]
    kinds_signalled = {s["kind"] for s in rows(db, ACME, schema.signals,
                                                schema.signals.c.message_id == scheduling["id"])}
    assert "human_request" in kinds_signalled
    contract = by_kind["attachment"]
    (attached,) = rows(db, ACME, schema.documents, schema.documents.c.source == "attachment")
    assert attached["message_id"] == contract["id"] and attached["status"] == "pending"
    assert attached["account_id"] == contract["account_id"]
    assert attached["order_id"] == contract["links"]["orders"][0]["id"]  # the order it names
    linked = [m for m in stored
              if m["links"] and ("orders" in m["links"] or "quotes" in m["links"])]
    assert linked, "order and quote numbers in mail link to their records"

    second = ingest(db, slugs)
    assert second.metadata["new"].value == 0 and second.metadata["fetched"].value == 0


def test_lost_checkpoint_re_ingests_nothing_twice(db: Database, demo: Path) -> None:
    ingest(db, [ACME])
    before = {t.name: len(rows(db, ACME, t)) for t in (schema.messages, schema.touches,
                                                       schema.signals, schema.suppressions)}
    with db.for_tenant(ACME) as scope:
        scope.execute(sa.delete(schema.mailbox_state))
    again = ingest(db, [ACME])
    assert again.metadata["duplicate"].value == 40 and again.metadata["new"].value == 0
    after = {t.name: len(rows(db, ACME, t)) for t in (schema.messages, schema.touches,
                                                      schema.signals, schema.suppressions)}
    assert after == before


def test_signature_enriches_without_overwriting_what_a_person_set(db: Database, demo: Path) -> None:
    signed = [m for m in mailbox.Maildir(demo / ACME / "Maildir", create=False)
              if "linkedin.com/in/" in _text(m)]
    sender = email.utils.parseaddr(signed[0]["From"])[1].lower()
    with db.for_tenant(ACME) as scope:
        scope.execute(sa.update(schema.contacts).where(schema.contacts.c.email == sender)
                      .values(title="Chief Hand-Set Officer", linkedin_url=None, phone=None,
                              provenance={"title": "manual"}))
    ingest(db, [ACME])
    (contact,) = rows(db, ACME, schema.contacts, schema.contacts.c.email == sender)
    assert contact["title"] == "Chief Hand-Set Officer"
    assert contact["linkedin_url"] and "linkedin.com/in/" in contact["linkedin_url"]
    assert contact["provenance"]["title"] == "manual"
    assert contact["provenance"]["linkedin_url"] == "signature"


def _text(message: mailbox.MaildirMessage) -> str:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    return body.get_content() if body else ""


def _deliver(maildir: Path, raw: bytes) -> None:
    maildir.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(maildir, create=True).add(raw)


def test_bad_mail_is_quarantined_and_the_batch_goes_on(db: Database, tmp_path: Path,
                                                        steward_env: Path) -> None:
    from resources.store.tenants import add_tenant

    maildir = tmp_path / "bad" / "Maildir"
    add_tenant(db, "bad")
    update_tenant(db, "bad", settings_patch={
        "mailbox": f"maildir://{maildir}", "own_addresses": ["bad.example"],
        "thresholds": {"max_attachment_mb": 0.01},
    })
    good = EmailMessage()
    good["From"], good["To"], good["Subject"] = "Ann <ann@client.example>", "ops@bad.example", "Hi"
    good["Message-ID"], good["Date"] = "<same@client.example>", "Mon, 23 Nov 2026 10:00:00 +0000"
    good.set_content("Could you send pricing for a desk review?")
    _deliver(maildir, good.as_bytes())
    changed = good.as_bytes().replace(b"desk review", b"full appraisal")
    _deliver(maildir, changed)
    _deliver(maildir, b"\x00\x01 not mail at all \xff")
    big = EmailMessage()
    big["From"], big["To"], big["Subject"] = "bob@client.example", "ops@bad.example", "Scan"
    big["Message-ID"] = "<big@client.example>"
    big.set_content("See attached.")
    big.add_attachment(b"x" * 50_000, maintype="application", subtype="pdf", filename="scan.pdf")
    _deliver(maildir, big.as_bytes())
    loop = EmailMessage()
    loop["From"], loop["To"], loop["Subject"] = "ops@bad.example", "ops@bad.example", "Re: Re:"
    for hop in range(40):
        loop["Received"] = f"from hop{hop}.example by mx.example"
    loop.set_content("auto reply")
    _deliver(maildir, loop.as_bytes())

    result = ingest(db, ["bad"])
    assert result.metadata["fetched"].value == 5
    assert result.metadata["new"].value == 5
    stored = {m["message_key"]: m for m in rows(db, "bad", schema.messages)}
    variant = next(k for k in stored if k.startswith("same@client.example#"))
    assert stored[variant]["status"] == "quarantined"
    assert "different content" in stored[variant]["error"]
    assert b"full appraisal" in Path(stored[variant]["raw_path"]).read_bytes()
    unreadable = [m for m in stored.values() if m["error"] and m["error"].startswith("unreadable")]
    assert len(unreadable) == 1 and unreadable[0]["status"] == "quarantined"
    assert stored["big@client.example"]["status"] == "stored"
    assert stored["big@client.example"]["error"]
    assert not rows(db, "bad", schema.documents)
    looped = [m for m in stored.values() if m["error"] and "mail loop" in m["error"]]
    assert len(looped) == 1


def test_cpython_mail_corpus_is_stored_or_quarantined(db: Database, tmp_path: Path,
                                                       steward_env: Path) -> None:
    from resources.store.tenants import add_tenant

    corpus = Path(email.__file__).parent.parent / "test" / "test_email" / "data"
    samples = sorted(corpus.glob("msg_*.txt"))
    if not samples:
        pytest.skip(f"CPython's email test corpus is not installed at {corpus}")
    maildir = tmp_path / "corpus"
    for sample in samples:
        _deliver(maildir, sample.read_bytes())
    add_tenant(db, "corpus")
    update_tenant(db, "corpus", settings_patch={"mailbox": f"maildir://{maildir}"})
    result = ingest(db, ["corpus"])
    meta = {k: v.value for k, v in result.metadata.items() if isinstance(v.value, int)}
    assert meta["fetched"] == len(samples)
    assert meta["new"] + meta["duplicate"] == len(samples)
    assert len(rows(db, "corpus", schema.messages)) == meta["new"]


def test_schedule_launches_one_run_over_the_tenants_with_a_mailbox(
    db: Database, tmp_path: Path
) -> None:
    for slug in ("a", "b", "c", "d"):
        add_tenant(db, slug)
    with (  # entered, so the context gives the instance back when it closes
        dg.DagsterInstance.local_temp(str(tmp_path)) as instance,
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=NOW, resources={"database": db}
        ) as context,
    ):
        assert "no tenants yet" in ingest_schedule(context).skip_message
        instance.add_dynamic_partitions(TENANTS, ["a", "b", "c", "d"])
        assert "no tenant has a mailbox" in ingest_schedule(context).skip_message
        for slug in ("b", "c"):
            update_tenant(db, slug, settings_patch={"mailbox": f"maildir://{tmp_path}/{slug}"})
        request = ingest_schedule(context)
    assert request.tags["dagster/asset_partition_range_start"] == "b"
    assert request.tags["dagster/asset_partition_range_end"] == "c"
    assert request.tags["steward/area"] == "ingest" and "steward/hour" in request.tags


def test_a_mailbox_gone_quiet_raises_ingest_stalled(db: Database, demo: Path) -> None:
    ingest(db, [ACME])
    with db.for_tenant(ACME) as scope:
        scope.execute(sa.update(schema.mailbox_state)
                      .values(last_message_at=datetime(2026, 1, 1, tzinfo=UTC)))
    quiet = ingest(db, [ACME])
    assert quiet.metadata["new"].value == 0
    (alert,) = rows(db, ACME, schema.alerts)
    assert (alert["rule"], alert["status"]) == ("ingest_stalled", "open")
    assert "no new mail since 2026-01-01" in alert["detail"]


def test_machine_mail_is_no_person(db: Database, tmp_path: Path, steward_env: Path) -> None:
    """The machine-mail corpus (tests/mail/machine_corpus.py) through ingest: no contact, touch,
    reply or cadence pause for any of it, the reason stored with the message, an out-of-office
    from a known contact still noting its return date; a person's reply still pauses."""
    from tests.mail.machine_corpus import PEOPLE, SAMPLES

    maildir = tmp_path / "machines" / "Maildir"
    add_tenant(db, "machines")
    update_tenant(db, "machines", settings_patch={
        "mailbox": f"maildir://{maildir}", "own_addresses": ["acme-appraisals.example"]})
    with db.for_tenant("machines") as scope:
        scope.insert(schema.contacts, [{"email": "jane.doe@lender.example", "source": "manual"}])
    people = dict(PEOPLE)
    for _, _, _, raw in SAMPLES:
        _deliver(maildir, raw)
    _deliver(maildir, people["plain reply"])
    _deliver(maildir, people["reply-named person"])

    result = ingest(db, ["machines"])
    assert result.metadata["new"].value == len(SAMPLES) + 2
    stored = {m["message_key"]: m for m in rows(db, "machines", schema.messages)}
    assert all(m["status"] == "stored" for m in stored.values())
    expected = {email.message_from_bytes(raw)["Message-ID"].strip("<>"): (name, label)
                for name, _, label, raw in SAMPLES}
    machine_ids = []
    for key, (name, label) in expected.items():
        message = stored[key]
        assert message["classification"] == label, name
        assert "machine mail: " in message["classification_reason"], name
        machine_ids.append(message["id"])

    contacts = {c["email"]: c for c in rows(db, "machines", schema.contacts)}
    assert set(contacts) == {"jane.doe@lender.example", "replysmith@lender.example"}
    assert str(contacts["jane.doe@lender.example"]["ooo_until"]) == "2026-12-04"
    for table in (schema.touches, schema.cadence_pauses, schema.signals):
        assert not rows(db, "machines", table, table.c.message_id.in_(machine_ids)), table.name
    # Only the spam complaints suppress, and they suppress the complainer, never a report's sender.
    complaints = {stored[k]["id"] for k, (name, _) in expected.items() if name.startswith("arf")}
    suppressed = rows(db, "machines", schema.suppressions,
                      schema.suppressions.c.message_id.in_(machine_ids))
    assert {(s["email"], s["reason"]) for s in suppressed} == {
        ("jane.doe@lender.example", "complaint")}
    assert {s["message_id"] for s in suppressed} <= complaints

    for key in ("m-40@lender.example", "m-44@lender.example"):
        reply = stored[key]
        assert reply["classification_reason"] and "machine" not in reply["classification_reason"]
        pauses = rows(db, "machines", schema.cadence_pauses,
                      schema.cadence_pauses.c.message_id == reply["id"])
        assert len(pauses) == 1 and pauses[0]["contact_id"] == reply["contact_id"] is not None
        (touch,) = rows(db, "machines", schema.touches, schema.touches.c.message_id == reply["id"])
        assert touch["touch_type"] == "email_in"

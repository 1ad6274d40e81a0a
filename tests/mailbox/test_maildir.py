"""The Maildir / .eml folder source: incremental by key, never touching the user's files."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest

from resources.mailbox import (
    MailboxUnreachableError,
    MaildirSource,
    open_source,
)
from resources.mailbox.credentials import Credentials
from tests.mailbox.mail import message, page_through, subjects

BASE_TIME = 1_714_550_400  # 2024-05-01, so each test controls the order by mtime


def make_maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def deliver(root: Path, n: int, where: str = "new", info: str = "", age: int | None = None) -> str:
    """Write message `n` as a Maildir file; its mtime is BASE_TIME + n minutes unless `age`."""
    key = f"{BASE_TIME + n}.M{n}P4242Q{n}.mailhost,S=300,W=310"
    path = root / where / (key + info)
    path.write_bytes(message(n))
    stamp = BASE_TIME + (age if age is not None else n) * 60
    os.utime(path, (stamp, stamp))
    return key


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_first_sync_then_only_new_mail(tmp_path: Path) -> None:
    root = make_maildir(tmp_path / "Maildir")
    deliver(root, 2, "cur", ":2,S")
    deliver(root, 1, "new")
    deliver(root, 3, "new")
    (root / "tmp" / "half-delivered").write_bytes(b"Subject: not yet\r\n\r\n")
    before = snapshot(root)
    source = MaildirSource(root)

    first = source.fetch(None)
    assert subjects(first.messages) == ["Message 1", "Message 2", "Message 3"]  # oldest first
    assert {m.folder for m in first.messages} == {"INBOX"}
    assert first.messages[1].source_key == f"{BASE_TIME + 2}.M2P4242Q2.mailhost,S=300,W=310"
    assert first.folders == ["INBOX"] and not first.more and not first.resynced
    assert snapshot(root) == before  # nothing moved, renamed or flagged

    assert source.fetch(first.checkpoint).messages == []

    deliver(root, 4)
    second = source.fetch(first.checkpoint)
    assert subjects(second.messages) == ["Message 4"]
    assert source.fetch(second.checkpoint).messages == []


def test_file_with_an_old_mtime_is_still_new(tmp_path: Path) -> None:
    root = make_maildir(tmp_path / "Maildir")
    deliver(root, 5)
    deliver(root, 6)
    first = MaildirSource(root).fetch(None)
    deliver(root, 7, age=-1000)  # copied in with its times preserved: older than all the rest
    second = MaildirSource(root).fetch(first.checkpoint)
    assert subjects(second.messages) == ["Message 7"]


def test_client_reading_mail_does_not_make_it_new_again(tmp_path: Path) -> None:
    root = make_maildir(tmp_path / "Maildir")
    key = deliver(root, 1)
    first = MaildirSource(root).fetch(None)
    (root / "new" / key).rename(root / "cur" / f"{key}:2,RS")  # what a mail client does
    assert MaildirSource(root).fetch(first.checkpoint).messages == []


def test_maildir_plus_plus_subfolders(tmp_path: Path) -> None:
    root = make_maildir(tmp_path / "Maildir")
    deliver(root, 1)
    sent = make_maildir(root / ".Sent")
    deliver(sent, 2, "cur", ":2,S")
    deliver(make_maildir(root / ".Trash"), 3)
    deliver(make_maildir(root / ".Projects.2024"), 4)

    everything = MaildirSource(root).fetch(None)
    assert [
        (m.folder, s)
        for m, s in zip(everything.messages, subjects(everything.messages), strict=True)
    ] == [("INBOX", "Message 1"), ("Sent", "Message 2"), ("Projects.2024", "Message 4")]
    assert everything.folders == ["INBOX", "Projects.2024", "Sent"]  # Trash is not mail to act on

    only_sent = open_source(f"maildir://{root}?folders=Sent", "acme", Credentials()).fetch(None)
    assert subjects(only_sent.messages) == ["Message 2"] and only_sent.folders == ["Sent"]

    deliver(sent, 5)
    later = MaildirSource(root).fetch(everything.checkpoint)
    assert [
        (m.folder, s) for m, s in zip(later.messages, subjects(later.messages), strict=True)
    ] == [("Sent", "Message 5")]


def test_folder_of_eml_files(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.eml").write_bytes(message(1))
    (folder / "B.EML").write_bytes(message(2))
    (folder / "notes.txt").write_text("not mail")
    os.utime(folder / "a.eml", (BASE_TIME, BASE_TIME))
    os.utime(folder / "B.EML", (BASE_TIME + 60, BASE_TIME + 60))
    source = open_source(f"maildir://{folder}", "acme", Credentials())

    first = source.fetch(None)
    assert [(m.source_key, m.folder) for m in first.messages] == [
        ("a.eml", "INBOX"),
        ("B.EML", "INBOX"),
    ]
    (folder / "c.eml").write_bytes(message(3))
    assert subjects(source.fetch(first.checkpoint).messages) == ["Message 3"]
    assert source.check().status == "connected"
    assert "folder of .eml files" in source.check().detail


def test_limit_pages_through_the_backlog_exactly_once(tmp_path: Path) -> None:
    root = make_maildir(tmp_path / "Maildir")
    for n in range(1, 6):
        deliver(root, n)
    source = MaildirSource(root)
    pages, seen = page_through(source, limit=2)
    assert pages == [(2, True), (2, True), (1, False), (0, False)]
    assert seen == [f"Message {n}" for n in range(1, 6)]


def test_checkpoint_from_another_mailbox_means_a_fresh_sync(tmp_path: Path) -> None:
    first_root = make_maildir(tmp_path / "one")
    second_root = make_maildir(tmp_path / "two")
    deliver(first_root, 1)
    deliver(second_root, 2)
    checkpoint = MaildirSource(first_root).fetch(None).checkpoint
    result = MaildirSource(second_root).fetch(checkpoint)
    assert subjects(result.messages) == ["Message 2"] and result.resynced == ["INBOX"]


def test_missing_folder_is_unreachable(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "nowhere")
    with pytest.raises(MailboxUnreachableError):
        source.fetch(None)
    status = source.check()
    assert status.status == "unreachable" and "does not exist" in status.detail


def test_checkpoint_size_for_ten_thousand_messages(tmp_path: Path) -> None:
    """The seen-key set stays a manageable size: the figure quoted in the report."""
    root = make_maildir(tmp_path / "Maildir")
    body = message(0)
    rng = random.Random(0)
    for n in range(10_000):
        # Dovecot's names: seconds, microseconds, pid, host, then the size and virtual size.
        size = rng.randrange(800, 90_000)
        name = (
            f"{BASE_TIME + n * 37}.M{rng.randrange(10**6)}P{rng.randrange(1000, 40_000)}"
            f".mx1,S={size},W={size + rng.randrange(10, 2000)}:2,S"
        )
        (root / "cur" / name).write_bytes(body)
    source = MaildirSource(root)
    started = time.perf_counter()
    first = source.fetch(None)
    first_seconds = time.perf_counter() - started
    size = len(json.dumps(first.checkpoint))
    started = time.perf_counter()
    again = source.fetch(first.checkpoint)
    again_seconds = time.perf_counter() - started
    print(
        f"\n10,000 messages: checkpoint {size:,} bytes of JSON; first fetch {first_seconds:.2f}s,"
        f" nothing-new fetch {again_seconds:.2f}s"
    )
    assert len(first.messages) == 10_000 and again.messages == []
    assert size < 300_000  # about 23 bytes a message: zlib + base64 of the sorted names

"""The IMAP source against a real Dovecot: TLS and STARTTLS, UID-incremental sync, failures."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from resources.mailbox import (
    Credentials,
    MailboxAuthError,
    MailboxError,
    MailboxRevokedError,
    MailboxUnreachableError,
    open_source,
)
from tests.mailbox.dovecot import DovecotServer, ImapAccount, free_port
from tests.mailbox.mail import message, page_through, subjects


def source_for(account: ImapAccount, url: str | None = None, **kwargs: Any):
    credentials = kwargs.pop("credentials", Credentials(password=account.password))
    return open_source(url or account.url(), "acme", credentials, timeout=5, **kwargs)


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_first_sync_incremental_and_nothing_new(imap_account: ImapAccount, scheme: str) -> None:
    imap_account.append("INBOX", [message(1), message(2), message(3)])
    with source_for(imap_account, imap_account.url(scheme)) as source:
        first = source.fetch(None)
        assert subjects(first.messages) == ["Message 1", "Message 2", "Message 3"]
        validity = first.checkpoint["folders"]["INBOX"]["uidvalidity"]
        assert [m.source_key for m in first.messages] == [f"{validity}:{uid}" for uid in (1, 2, 3)]
        assert {m.folder for m in first.messages} == {"INBOX"} and first.folders == ["INBOX"]

        assert source.fetch(first.checkpoint).messages == []

        imap_account.append("INBOX", [message(4), message(5)])
        second = source.fetch(first.checkpoint)
        assert subjects(second.messages) == ["Message 4", "Message 5"]
        assert source.fetch(second.checkpoint).messages == []
        status = source.check()
    expected = "TLS" if scheme == "imaps" else "STARTTLS"
    assert status.ok and f"({expected}, password)" in status.detail and "INBOX 5" in status.detail


def test_sent_folder_selection_and_date_order(imap_account: ImapAccount) -> None:
    start = datetime(2024, 5, 1, 9, 0)
    with imap_account.client() as client:
        client.create_folder("Sent")
        for n, folder in [(1, "INBOX"), (2, "Sent"), (3, "INBOX"), (4, "Sent")]:
            client.append(folder, message(n), msg_time=start + timedelta(minutes=n))
    url = imap_account.url(folder="INBOX", folders="Sent")
    result = source_for(imap_account, url).fetch(None)
    assert result.folders == ["INBOX", "Sent"]
    assert [
        (m.folder, s) for m, s in zip(result.messages, subjects(result.messages), strict=True)
    ] == [
        ("INBOX", "Message 1"),
        ("Sent", "Message 2"),
        ("INBOX", "Message 3"),
        ("Sent", "Message 4"),
    ]
    only_sent = source_for(imap_account, imap_account.url(folder="Sent")).fetch(None)
    assert subjects(only_sent.messages) == ["Message 2", "Message 4"]

    with source_for(imap_account, url) as source:  # a limit cuts across folders by date
        page = source.fetch(None, limit=3)
        rest = source.fetch(page.checkpoint, limit=3)
    assert subjects(page.messages) == ["Message 1", "Message 2", "Message 3"] and page.more
    assert subjects(rest.messages) == ["Message 4"] and not rest.more


def test_uidvalidity_change_resyncs_the_folder(imap_account: ImapAccount) -> None:
    imap_account.append("INBOX", [message(1)])
    imap_account.append("Sent", [message(2), message(3)])
    with source_for(imap_account, imap_account.url(folders="Sent")) as source:
        first = source.fetch(None)
        assert len(first.messages) == 3
        with imap_account.client() as client:
            client.delete_folder("Sent")
            client.create_folder("Sent")
        imap_account.append("Sent", [message(4)])
        second = source.fetch(first.checkpoint)
    assert second.resynced == ["Sent"]
    assert subjects(second.messages) == ["Message 4"]
    old, new = (c["folders"]["Sent"]["uidvalidity"] for c in (first.checkpoint, second.checkpoint))
    assert old != new and second.messages[0].source_key == f"{new}:1"


def test_fetch_does_not_mark_mail_seen(imap_account: ImapAccount) -> None:
    imap_account.append("INBOX", [message(1)])
    source_for(imap_account).fetch(None)
    with imap_account.client() as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags([1])[1]
    assert b"\\Seen" not in flags


def test_limit_pages_through_the_backlog_exactly_once(imap_account: ImapAccount) -> None:
    imap_account.append("INBOX", [message(n) for n in range(1, 6)])
    with source_for(imap_account) as source:
        pages, seen = page_through(source, limit=2)
    assert pages == [(2, True), (2, True), (1, False), (0, False)]
    assert seen == [f"Message {n}" for n in range(1, 6)]


def test_wrong_password_is_an_auth_failure_without_the_password(imap_account: ImapAccount) -> None:
    source = source_for(imap_account, credentials=Credentials(password="not-the-Pa55word"))
    with pytest.raises(MailboxAuthError) as caught:
        source.fetch(None)
    assert caught.value.status == "auth_failed"
    assert "not-the-Pa55word" not in str(caught.value) and imap_account.user in str(caught.value)
    status = source.check()
    assert status.status == "auth_failed" and "not-the-Pa55word" not in status.detail


def test_missing_credentials_name_the_variables(imap_account: ImapAccount) -> None:
    status = source_for(imap_account, credentials=Credentials()).check()
    assert status.status == "auth_failed" and "STEWARD_MAILBOX_PASSWORD_ACME" in status.detail


def test_xoauth2_login_and_revoked_token(imap_account: ImapAccount, dovecot: DovecotServer) -> None:
    token = dovecot.issue_token(imap_account)
    imap_account.append("INBOX", [message(1)])
    with source_for(imap_account, credentials=Credentials(oauth_token=token)) as source:
        assert subjects(source.fetch(None).messages) == ["Message 1"]
        assert "XOAUTH2" in source.check().detail
    del dovecot.tokens[token]  # revoked at the provider
    source = source_for(imap_account, credentials=Credentials(oauth_token=token))
    with pytest.raises(MailboxRevokedError) as caught:
        source.fetch(None)
    assert token not in str(caught.value)
    assert source.check().status == "revoked"


def test_closed_port_is_unreachable(imap_account: ImapAccount) -> None:
    url = f"imaps://{imap_account.user}@127.0.0.1:{free_port()}/INBOX"
    source = source_for(imap_account, url)
    with pytest.raises(MailboxUnreachableError, match="connection refused"):
        source.fetch(None)
    assert source.check().status == "unreachable"


def test_untrusted_certificate_is_refused_unless_told(imap_account: ImapAccount) -> None:
    port = imap_account.server.imaps_port
    bare = f"imaps://{imap_account.user}@127.0.0.1:{port}/INBOX"
    status = source_for(imap_account, bare).check()
    assert status.status == "unreachable" and "certificate" in status.detail
    assert source_for(imap_account, bare + "?verify=false").check().ok


def test_plaintext_only_with_explicit_tls_none(imap_account: ImapAccount) -> None:
    imap_account.append("INBOX", [message(1)])
    plain = f"imap://{imap_account.user}@127.0.0.1:{imap_account.server.imap_port}/INBOX?tls=none"
    assert subjects(source_for(imap_account, plain).fetch(None).messages) == ["Message 1"]
    with pytest.raises(MailboxError, match="only with imap://"):
        source_for(imap_account, imap_account.url("imaps", tls="none"))


def test_missing_folder_is_reported_and_the_rest_still_read(imap_account: ImapAccount) -> None:
    imap_account.append("INBOX", [message(1)])
    source = source_for(imap_account, imap_account.url(folders="Archive"))
    result = source.fetch(None)
    assert subjects(result.messages) == ["Message 1"]
    assert len(result.errors) == 1 and result.errors[0].startswith("Archive:")
    status = source.check()
    assert status.status == "error" and "Archive" in status.detail


def test_server_without_starttls_gets_no_password() -> None:
    """A server (or a man in the middle) that hides STARTTLS must not receive the login."""
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"* OK IMAP4rev1 ready\r\n")
            for line in lines:
                received.append(line)
                tag, command = line.split(b" ", 2)[:2]
                if command.upper().strip() == b"CAPABILITY":
                    conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                else:
                    conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"imap://owner@127.0.0.1:{listener.getsockname()[1]}/INBOX"
    source = open_source(url, "acme", Credentials(password="s3cret-pw"), timeout=5)
    with pytest.raises(MailboxError, match="does not offer STARTTLS"):
        source.fetch(None)
    thread.join(timeout=5)
    listener.close()
    assert not any(b"s3cret-pw" in line or b"LOGIN" in line.upper() for line in received)

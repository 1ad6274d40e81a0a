"""The Gmail API source against the fake Gmail server: list, then history; Google's failures."""

from __future__ import annotations

import pytest

from resources.mailbox import (
    Credentials,
    GmailSource,
    MailboxAuthError,
    MailboxError,
    MailboxQuotaError,
    MailboxRevokedError,
    open_source,
)
from tests.mailbox.fake_gmail import FakeGmailServer
from tests.mailbox.mail import message, subjects


class Sleeps(list[float]):
    """Records the backoff waits instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source_for(
    server: FakeGmailServer,
    sleeps: Sleeps | None = None,
    token: str | None = None,
    labels: list[str] | None = None,
) -> GmailSource:
    return GmailSource(
        server.fake.email,
        "acme",
        Credentials(oauth_token=token or server.fake.token),
        timeout=5,
        labels=labels,
        api_base=server.url,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def test_first_sync_lists_then_history_brings_only_new_mail(fake_gmail: FakeGmailServer) -> None:
    fake = fake_gmail.fake
    fake.add(message(1))
    fake.add(message(2), labels=("SENT",))
    fake.add(message(3), labels=("SPAM",))
    fake.add(message(4), labels=("INBOX", "UNREAD", "CATEGORY_PERSONAL"))
    with source_for(fake_gmail) as source:
        first = source.fetch(None)
        assert subjects(first.messages) == ["Message 1", "Message 2", "Message 4"]  # oldest first
        assert [m.folder for m in first.messages] == ["INBOX", "Sent", "INBOX"]
        assert first.messages[0].data == message(1)  # base64url without padding, decoded
        assert first.folders == ["INBOX", "SENT"] and not first.resynced
        assert "/profile" in fake.requests and "/history" not in fake.requests

        fake.requests.clear()
        assert source.fetch(first.checkpoint).messages == []
        fake.add(message(5))
        fake.add(message(6), labels=("SPAM",))
        fake.add(message(7), labels=("SENT",))
        second = source.fetch(first.checkpoint)
        assert subjects(second.messages) == ["Message 5", "Message 7"]
        assert "/messages" not in fake.requests and "/history" in fake.requests
        assert source.fetch(second.checkpoint).messages == []
        status = source.check()
    assert status.ok and fake.email in status.detail


def test_limit_pages_through_the_first_sync_and_history(fake_gmail: FakeGmailServer) -> None:
    for n in range(1, 6):
        fake_gmail.fake.add(message(n))
    source = source_for(fake_gmail)
    seen, checkpoint, pages = [], None, []
    for round_ in range(5):
        if round_ == 2:
            fake_gmail.fake.add(message(6))  # arrives while the backlog is being worked off
        result = source.fetch(checkpoint, limit=2)
        pages.append((len(result.messages), result.more))
        seen += subjects(result.messages)
        checkpoint = result.checkpoint
    assert pages == [(2, True), (2, True), (2, False), (0, False), (0, False)]
    assert seen == [f"Message {n}" for n in range(1, 7)]
    assert fake_gmail.fake.requests.count("/messages") == 2  # each label listed once, not per page


def test_expired_history_means_a_full_resync(fake_gmail: FakeGmailServer) -> None:
    fake = fake_gmail.fake
    fake.add(message(1))
    source = source_for(fake_gmail)
    first = source.fetch(None)
    fake.add(message(2))
    fake.expire_history()
    second = source.fetch(first.checkpoint)
    assert second.resynced == ["INBOX", "SENT"]
    assert subjects(second.messages) == ["Message 1", "Message 2"]
    assert source.fetch(second.checkpoint).messages == []


def test_message_deleted_after_listing_is_skipped(fake_gmail: FakeGmailServer) -> None:
    fake = fake_gmail.fake
    fake.add(message(1))
    doomed = fake.add(message(2))
    source = source_for(fake_gmail)
    first = source.fetch(None, limit=1)
    fake.delete(doomed)
    second = source.fetch(first.checkpoint)
    assert second.messages == [] and not second.more and not second.errors


def test_rejected_token_is_revoked_and_never_echoed(fake_gmail: FakeGmailServer) -> None:
    source = source_for(fake_gmail, token="ya29.stale-token-value")
    with pytest.raises(MailboxRevokedError) as caught:
        source.fetch(None)
    assert caught.value.status == "revoked" and "stale-token-value" not in str(caught.value)
    status = source.check()
    assert status.status == "revoked" and "stale-token-value" not in status.detail


def test_token_for_another_account_is_refused(fake_gmail: FakeGmailServer) -> None:
    source = GmailSource(
        "someone-else@example.com",
        "acme",
        Credentials(oauth_token=fake_gmail.fake.token),
        api_base=fake_gmail.url,
    )
    with pytest.raises(MailboxAuthError, match="not someone-else@example.com"):
        source.fetch(None)


def test_rate_limit_is_retried_honouring_retry_after(fake_gmail: FakeGmailServer) -> None:
    fake_gmail.fake.add(message(1))
    fake_gmail.fake.fail(429, "rateLimitExceeded", times=2, retry_after="3")
    sleeps = Sleeps()
    result = source_for(fake_gmail, sleeps).fetch(None)
    assert subjects(result.messages) == ["Message 1"] and sleeps == [3.0, 3.0]


def test_persistent_rate_limit_is_a_quota_error_with_capped_waits(
    fake_gmail: FakeGmailServer,
) -> None:
    fake_gmail.fake.fail(403, "userRateLimitExceeded", times=10, retry_after="600")
    sleeps = Sleeps()
    with pytest.raises(MailboxQuotaError, match="userRateLimitExceeded") as caught:
        source_for(fake_gmail, sleeps).fetch(None)
    assert sleeps == [10.0, 10.0]  # three tries, Retry-After capped at max_wait
    assert caught.value.status == "error"


def test_backoff_without_retry_after_doubles(fake_gmail: FakeGmailServer) -> None:
    fake_gmail.fake.fail(429, "rateLimitExceeded", times=3)
    sleeps = Sleeps()
    with pytest.raises(MailboxQuotaError):
        source_for(fake_gmail, sleeps).fetch(None)
    assert sleeps == [0.5, 1.0]


def test_server_error_once_is_retried(fake_gmail: FakeGmailServer) -> None:
    fake_gmail.fake.add(message(1))
    fake_gmail.fake.fail(500, "backendError", path_contains="/messages/")
    sleeps = Sleeps()
    assert subjects(source_for(fake_gmail, sleeps).fetch(None).messages) == ["Message 1"]
    assert sleeps == [0.5]


def test_persistent_server_error_is_an_error(fake_gmail: FakeGmailServer) -> None:
    fake_gmail.fake.fail(503, "backendError", times=3)
    with pytest.raises(MailboxError, match="server error after 3 tries"):
        source_for(fake_gmail).fetch(None)


def test_forbidden_is_an_auth_failure(fake_gmail: FakeGmailServer) -> None:
    fake_gmail.fake.fail(403, "insufficientPermissions")
    assert source_for(fake_gmail).check().status == "auth_failed"


def test_open_source_reads_the_api_base_from_the_environment(
    fake_gmail: FakeGmailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_GMAIL_API_BASE", fake_gmail.url)
    fake_gmail.fake.add(message(1), labels=("Label_7",))
    fake_gmail.fake.add(message(2))
    url = f"gmail://{fake_gmail.fake.email}?labels=Label_7"
    with open_source(url, "acme", Credentials(oauth_token=fake_gmail.fake.token)) as source:
        result = source.fetch(None)
    assert [
        (m.folder, s) for m, s in zip(result.messages, subjects(result.messages), strict=True)
    ] == [("Label_7", "Message 1")]


def test_no_token_is_an_auth_failure_naming_the_variable() -> None:
    source = open_source("gmail://owner@example.com", "acme-co", Credentials(password="pw"))
    status = source.check()
    assert status.status == "auth_failed" and "STEWARD_MAILBOX_TOKEN_ACME_CO" in status.detail

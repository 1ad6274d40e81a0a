"""OAuth refresh for mailboxes against a local token endpoint: a Gmail mailbox keeps syncing
across a simulated day of expiring access tokens; a revoked grant marks the connection revoked
and alerts at once; a wrong client secret, half a grant and an unreachable endpoint each say
so in one line that names the tenant and no secret."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from resources.mailbox.base import MailboxAuthError, MailboxUnreachableError
from resources.mailbox.credentials import Credentials
from resources.mailbox.oauth import TokenSource
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from tests.cli import steward
from tests.helpers import NOW
from tests.mailbox.fake_gmail import FakeGmailServer
from tests.mailbox.fake_oauth import FakeOAuthServer
from tests.mailbox.mail import message
from tests.mailbox.test_ingest_providers import ingest, open_alerts, state

SLUG = "gmail-co"


def connect(db, gmail: FakeGmailServer, oauth: FakeOAuthServer, monkeypatch) -> None:
    gmail.fake.accepts = oauth.fake.accepts
    add_tenant(db, SLUG)
    update_tenant(db, SLUG, settings_patch={"mailbox": f"gmail://{gmail.fake.email}",
                                            "own_addresses": [gmail.fake.email]})
    monkeypatch.setenv("STEWARD_GMAIL_API_BASE", gmail.url)
    monkeypatch.setenv("STEWARD_OAUTH_TOKEN_URL", oauth.token_url)
    for var, value in (("CLIENT_ID", oauth.fake.client_id),
                       ("CLIENT_SECRET", oauth.fake.client_secret),
                       ("REFRESH_TOKEN", next(iter(oauth.fake.refresh_tokens)))):
        monkeypatch.setenv(f"STEWARD_MAILBOX_{var}_GMAIL_CO", value)


def test_a_gmail_mailbox_keeps_syncing_across_a_day_of_expiring_tokens(
    db, fake_gmail: FakeGmailServer, fake_oauth: FakeOAuthServer, steward_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect(db, fake_gmail, fake_oauth, monkeypatch)
    for hour in range(24):
        fake_gmail.fake.add(message(hour + 1))
        result = ingest(db, SLUG, NOW + timedelta(hours=hour, minutes=7))
        assert (result["new"], result["healthy"]) == (1, True), hour
    assert state(db, SLUG)["status"] == "connected"
    assert 12 <= fake_oauth.fake.grants <= 25  # renewed as tokens aged, not on every request
    assert fake_gmail.fake.refused == 0  # renewed before expiry: no request carried a dead one

    # a token the server stops accepting early is renewed once and the sync goes on
    fake_oauth.fake.issued.clear()
    fake_gmail.fake.add(message(30))
    assert ingest(db, SLUG, NOW + timedelta(hours=23, minutes=9))["new"] == 1
    assert fake_gmail.fake.refused == 1
    with db.for_tenant(SLUG) as scope:  # each sync audits the secrets it read
        uses = scope.execute(scope.select(schema.secret_audit.c.secret, schema.secret_audit.c.ok)
                             .where(schema.secret_audit.c.action == "use")).all()
    assert len(uses) == 25 * 3 and all(ok for _, ok in uses)
    assert {name for name, _ in uses} == {"oauth_client_id", "oauth_client_secret",
                                          "oauth_refresh_token"}


def test_a_revoked_grant_marks_the_connection_and_alerts_at_once(
    db, fake_gmail: FakeGmailServer, fake_oauth: FakeOAuthServer, steward_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect(db, fake_gmail, fake_oauth, monkeypatch)
    fake_gmail.fake.add(message(1))
    assert ingest(db, SLUG, NOW)["new"] == 1
    fake_oauth.fake.revoke("refresh-token-9Zk4")
    failed = ingest(db, SLUG, NOW + timedelta(hours=2))  # the cached token has expired
    assert failed["healthy"] is False and f"{SLUG}: revoked" in failed["failing"]
    assert "refresh-token-9Zk4" not in failed["failing"]
    after = state(db, SLUG)
    assert after["status"] == "revoked" and "needs consent again" in after["detail"]
    assert open_alerts(db, SLUG) == ["mailbox_errors"]  # the first failure, not the third
    with db.for_tenant(SLUG) as scope:
        failed_uses = scope.execute(scope.select(schema.secret_audit.c.detail).where(
            schema.secret_audit.c.ok.is_(False))).scalars().all()
    assert len(failed_uses) == 3 and failed_uses[0].startswith("revoked: ")


def test_bad_grants_fail_in_one_line_without_their_secrets(fake_oauth: FakeOAuthServer) -> None:
    wrong = TokenSource("acme", "google", "steward-client", "not-the-secret",
                        "refresh-token-9Zk4", token_url=fake_oauth.token_url)
    with pytest.raises(MailboxAuthError, match="check oauth_client_id") as refused:
        wrong.access_token()
    assert "not-the-secret" not in str(refused.value) and "acme" in str(refused.value)

    with pytest.raises(MailboxAuthError, match="lacks oauth_client_secret, oauth_refresh_token"):
        Credentials.for_tenant("acme", {"STEWARD_MAILBOX_CLIENT_ID_ACME": "x",
                                        "STEWARD_SECRETS_FILE": "/nonexistent"})

    waits: list[float] = []
    fake_oauth.fake.down = True
    down = TokenSource("acme", "google", "steward-client", "client-secret-7Q2x",
                       "refresh-token-9Zk4", token_url=fake_oauth.token_url, sleep=waits.append)
    with pytest.raises(MailboxUnreachableError, match="answered 503 after 4 tries"):
        down.access_token()
    assert waits == [1.0, 2.0, 4.0]  # the one backoff rule
    fake_oauth.fake.down = False
    assert down.access_token().startswith("access-")
    creds = Credentials(grant=down)
    assert "client-secret-7Q2x" not in repr(creds) and "refresh-token" not in repr(creds)
    assert creds.scrub(f"refused {down.access_token()}") == "refused ***"


def test_steward_inbox_connect_checks_and_keeps_a_grant_encrypted(
    fake_oauth: FakeOAuthServer, cli_env: dict[str, str],
) -> None:
    import stat

    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme")
    env = {**cli_env, "STEWARD_OAUTH_TOKEN_URL": fake_oauth.token_url}
    args = ["inbox", "connect", "acme", "--provider", "google", "--client-id", "steward-client"]
    assert "unknown provider" in steward(env, *args[:3], "--provider", "yahoo", "--client-id",
                                         "x", ok=False).stderr

    wrong = steward(env, *args, input="bad-secret\nrefresh-token-9Zk4\n", ok=False)
    assert wrong.returncode == 1 and "not kept" in wrong.stderr
    assert "bad-secret" not in wrong.stderr
    ok = steward(env, *args, input="client-secret-7Q2x\nrefresh-token-9Zk4\n")
    assert "google grant checked" in ok.stdout and "client-secret" not in ok.stdout
    path = Path(cli_env["STEWARD_HOME"]) / "secrets.enc"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and b"client-secret" not in path.read_bytes()
    creds = Credentials.for_tenant("acme", env)
    assert creds.grant is not None and creds.bearer().startswith("access-")


def test_an_imap_mailbox_logs_in_with_renewed_tokens_until_the_grant_is_revoked(
    db, dovecot, imap_account, fake_oauth: FakeOAuthServer, steward_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dovecot's oauth2 passdb checks each XOAUTH2 login with the tests' token service; the
    fake provider's tokens are known there while they are alive."""
    fake = fake_oauth.fake
    fake.on_issue = lambda token: dovecot.tokens.__setitem__(token, imap_account.user)
    add_tenant(db, "imap-co")
    update_tenant(db, "imap-co", settings_patch={"mailbox": imap_account.url("imaps")})
    monkeypatch.setenv("STEWARD_OAUTH_TOKEN_URL", fake_oauth.token_url)
    for var, value in (("CLIENT_ID", fake.client_id), ("CLIENT_SECRET", fake.client_secret),
                       ("REFRESH_TOKEN", "refresh-token-9Zk4")):
        monkeypatch.setenv(f"STEWARD_MAILBOX_{var}_IMAP_CO", value)
    for hour in range(4):
        for token in [t for t in dovecot.tokens if t.startswith("access-")]:
            if not fake.accepts(token):  # expired at the provider: Dovecot refuses it too
                del dovecot.tokens[token]
        imap_account.append("INBOX", [message(hour + 1)])
        result = ingest(db, "imap-co", NOW + timedelta(hours=hour, minutes=3))
        assert (result["new"], result["healthy"]) == (1, True), hour
    assert fake.grants == 4  # one token an hour, each renewed as the last expired
    fake.revoke("refresh-token-9Zk4")
    failed = ingest(db, "imap-co", NOW + timedelta(hours=5))
    assert "imap-co: revoked" in failed["failing"]
    assert state(db, "imap-co")["status"] == "revoked"


def test_the_device_and_browser_consent_flows_end_in_a_kept_grant(
    fake_oauth: FakeOAuthServer, cli_env: dict[str, str],
) -> None:
    import threading
    import urllib.request

    from resources.mailbox.consent import ConsentError, device_flow, loopback_flow

    fake = fake_oauth.fake
    shown: list[str] = []
    waits: list[float] = []
    refresh = device_flow("microsoft", fake.client_id, fake.client_secret, fake_oauth.token_url,
                          fake_oauth.device_url, shown.append, sleep=waits.append)
    assert refresh == "refresh-from-device-1" and "WDJB-MJHT" in shown[0]
    assert waits == [5.0, 5.0, 5.0]  # two pending answers, then the consent
    fake.deny = True
    with pytest.raises(ConsentError, match="ended the device flow: access_denied"):
        device_flow("microsoft", fake.client_id, fake.client_secret, fake_oauth.token_url,
                    fake_oauth.device_url, shown.append, sleep=waits.append)
    fake.deny = False

    def browser(text: str) -> None:
        """The owner opens the address; the provider redirects to Steward's loopback port."""
        address = text.rsplit("\n", 1)[-1]
        threading.Thread(target=lambda: urllib.request.urlopen(address, timeout=5).read(),
                         daemon=True).start()

    refresh = loopback_flow("google", fake.client_id, fake.client_secret, fake_oauth.token_url,
                            fake_oauth.authorize_url, browser, timeout=10)
    assert refresh == "refresh-from-code-1"

    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme")
    fake.interval, fake.pending_polls = 0, 1  # the command polls for real: no waiting here
    env = {**cli_env, "STEWARD_OAUTH_TOKEN_URL": fake_oauth.token_url,
           "STEWARD_OAUTH_DEVICE_URL": fake_oauth.device_url}
    args = ["inbox", "connect", "acme", "--provider", "microsoft", "--client-id",
            fake.client_id, "--flow", "device"]
    result = steward(env, *args, input=f"{fake.client_secret}\n")
    assert "enter the code WDJB-MJHT" in result.stdout
    creds = Credentials.for_tenant("acme", env)
    assert creds.grant.refresh_token.startswith("refresh-from-device-")
    google_device = ["inbox", "connect", "acme", "--provider", "google", "--client-id", "x",
                     "--flow", "device"]
    assert "use --flow browser" in steward({**cli_env, "STEWARD_OAUTH_DEVICE_URL": ""},
                                           *google_device, ok=False).stderr

"""Credentials per tenant (environment over secrets file, never shown) and URL dispatch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resources.mailbox import (
    Credentials,
    GmailSource,
    ImapSource,
    MailboxError,
    MaildirSource,
    open_source,
)
from resources.mailbox.imap_connect import ImapConfig


def write_secrets(path: Path, tenants: dict) -> Path:
    path.write_text(json.dumps({"tenants": tenants}))
    path.chmod(0o600)
    return path


def test_environment_with_slug_upper_cased_and_dashes_as_underscores() -> None:
    env = {
        "STEWARD_MAILBOX_PASSWORD_ACME_CO": "hunter2",
        "STEWARD_MAILBOX_TOKEN_ACME_CO": "ya29.x",
        "STEWARD_SECRETS_FILE": "/nonexistent/secrets.json",
    }
    creds = Credentials.for_tenant("acme-co", env)
    assert (creds.password, creds.oauth_token, creds.origin) == ("hunter2", "ya29.x", "environment")
    assert Credentials.for_tenant("other", env) == Credentials()


def test_secrets_file_and_environment_wins(tmp_path: Path) -> None:
    path = write_secrets(
        tmp_path / "secrets.json",
        {
            "acme": {"mailbox_password": "from-file", "oauth_token": "file-token"},
            "beta": {"mailbox_password": "beta-pw"},
        },
    )
    env = {"STEWARD_SECRETS_FILE": str(path), "STEWARD_MAILBOX_PASSWORD_ACME": "from-env"}
    acme = Credentials.for_tenant("acme", env)
    assert (acme.password, acme.oauth_token) == ("from-env", "file-token")
    assert acme.origin == f"environment and {path}"
    beta = Credentials.for_tenant("beta", env)
    assert (beta.password, beta.oauth_token, beta.origin) == ("beta-pw", None, str(path))


def test_default_secrets_file_is_under_steward_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    monkeypatch.delenv("STEWARD_SECRETS_FILE", raising=False)
    monkeypatch.delenv("STEWARD_MAILBOX_PASSWORD_ACME", raising=False)
    write_secrets(tmp_path / "secrets.json", {"acme": {"mailbox_password": "pw"}})
    assert Credentials.for_tenant("acme").password == "pw"


def test_repr_and_str_mask_secrets() -> None:
    creds = Credentials(password="hunter2", oauth_token="ya29.secret", origin="environment")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "hunter2" not in text and "ya29.secret" not in text
    assert repr(creds) == ("Credentials(password='***', oauth_token='***', origin='environment')")
    assert repr(Credentials()) == "Credentials(password=None, oauth_token=None, origin='none')"
    assert creds.scrub("server said hunter2 and ya29.secret") == "server said *** and ***"


def test_broken_secrets_file_is_reported_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{"tenants": {"acme": {"mailbox_password": "hunter2",}}}')
    path.chmod(0o600)
    with pytest.raises(MailboxError) as caught:
        Credentials.for_tenant("acme", {"STEWARD_SECRETS_FILE": str(path)})
    assert "not valid JSON" in str(caught.value) and "hunter2" not in str(caught.value)
    write_secrets(path, {"acme": {"mailbox_password": 1234}})
    with pytest.raises(MailboxError, match="must map mailbox_password"):
        Credentials.for_tenant("acme", {"STEWARD_SECRETS_FILE": str(path)})


def test_open_source_chooses_by_scheme(tmp_path: Path) -> None:
    creds = Credentials(password="pw", oauth_token="tok")
    assert isinstance(open_source(f"maildir://{tmp_path}", "acme", creds), MaildirSource)
    assert isinstance(open_source("imaps://me@mail.example.com/INBOX", "acme", creds), ImapSource)
    assert isinstance(open_source("gmail://me@example.com", "acme", creds), GmailSource)
    with pytest.raises(MailboxError, match="unsupported mailbox URL scheme pop3://"):
        open_source("pop3://me@mail.example.com", "acme", creds)


def test_imap_urls() -> None:
    tls = ImapConfig.from_url(
        "imaps://me%40example.com@mail.example.com/INBOX?folders=Sent,Archive"
    )
    assert (tls.host, tls.port, tls.user, tls.folders, tls.tls, tls.verify) == (
        "mail.example.com",
        993,
        "me@example.com",
        ["INBOX", "Sent", "Archive"],
        "implicit",
        True,
    )
    starttls = ImapConfig.from_url("imap://me@mail.example.com?verify=false&cafile=/etc/ca.pem")
    assert (starttls.port, starttls.folders, starttls.tls, starttls.verify, starttls.cafile) == (
        143,
        ["INBOX"],
        "starttls",
        False,
        "/etc/ca.pem",
    )
    assert ImapConfig.from_url("imap://me@127.0.0.1:1143/INBOX?tls=none").tls == "none"
    with pytest.raises(MailboxError, match="must not contain a password"):
        ImapConfig.from_url("imaps://me:hunter2@mail.example.com/INBOX")
    with pytest.raises(MailboxError, match="needs a user"):
        ImapConfig.from_url("imaps://mail.example.com/INBOX")


def test_a_secrets_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = write_secrets(tmp_path / "secrets.json", {"acme": {"mailbox_password": "hunter2"}})
    path.chmod(0o644)
    with pytest.raises(MailboxError, match=r"mode 644\): run `chmod 600") as caught:
        Credentials.for_tenant("acme", {"STEWARD_SECRETS_FILE": str(path)})
    assert "hunter2" not in str(caught.value)

"""The encrypted secrets store and `steward secret`: versions, a rotation that proves the new
value before it is used, revocation that wins over every other source, refusal of readable or
damaged files, and an audit row for every change and use (names and versions, never values)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from resources.database import Database
from resources.mailbox.base import MailboxAuthError
from resources.mailbox.credentials import Credentials
from resources.secrets import SecretsError, SecretsFile
from resources.store import schema
from tests.cli import steward
from tests.helpers import rows
from tests.mailbox.fake_oauth import FakeOAuthServer

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_versions_rotation_and_revocation_in_the_encrypted_file(steward_env: Path) -> None:
    store = SecretsFile()
    assert store.put("acme", "mailbox_password", "first-pw", NOW) == 1
    assert store.put("acme", "mailbox_password", "second-pw", NOW) == 2
    assert store.tenant_current("acme") == {"mailbox_password": ("second-pw", 2)}
    pending = store.put("acme", "mailbox_password", "third-pw", NOW, pending=True)
    assert store.tenant_current("acme")["mailbox_password"] == ("second-pw", 2)
    store.settle("acme", "mailbox_password", pending, passed=False)
    assert [(s.version, s.status) for s in store.listing("acme")] == [(2, "current")]
    assert store.tenant_current("other") == {}
    raw = store.path.read_bytes()
    assert b"second-pw" not in raw and oct(store.path.stat().st_mode)[-3:] == "600"
    assert oct(store.key_path.stat().st_mode)[-3:] == "600"

    store.revoke("acme", "mailbox_password")
    env = {**os.environ, "STEWARD_MAILBOX_PASSWORD_ACME": "from-env"}
    with pytest.raises(MailboxAuthError, match="mailbox_password was revoked"):
        Credentials.for_tenant("acme", env)  # revoked wins over the environment


def test_damaged_readable_or_wrongly_keyed_stores_are_refused(steward_env: Path) -> None:
    store = SecretsFile()
    store.put("acme", "api_key", "k-1", NOW)
    store.path.chmod(0o644)
    with pytest.raises(SecretsError, match="mode 644"):
        store.listing("acme")
    store.path.chmod(0o600)
    with pytest.raises(SecretsError, match="cannot be opened with this key"):
        SecretsFile({**os.environ, "STEWARD_SECRETS_KEY":
                     "A" * 43 + "="}).listing("acme")
    store.path.write_bytes(store.path.read_bytes()[:-10])
    with pytest.raises(SecretsError, match="changed or cut short") as damaged:
        store.listing("acme")
    assert "k-1" not in str(damaged.value)
    with pytest.raises(MailboxAuthError, match="tenant acme: secrets store"):
        Credentials.for_tenant("acme")


@pytest.mark.parametrize("cli_env", ["sqlite"], indirect=True)
def test_steward_secret_rotates_with_a_check_and_audits_every_step(
    fake_oauth: FakeOAuthServer, cli_env: dict[str, str],
) -> None:
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme")
    env = {**cli_env, "STEWARD_OAUTH_TOKEN_URL": fake_oauth.token_url}
    steward(env, "inbox", "connect", "acme", "--provider", "google", "--client-id",
            "steward-client", input="client-secret-7Q2x\nrefresh-token-9Zk4\n")
    listed = steward(env, "secret", "list", "--tenant", "acme").stdout
    assert "oauth_refresh_token" in listed and "refresh-token-9Zk4" not in listed

    fake_oauth.fake.refresh_tokens.add("refresh-token-new")
    bad = steward(env, "secret", "rotate", "oauth_refresh_token", "--tenant", "acme",
                  input="refresh-token-wrong\n", ok=False)
    assert bad.returncode == 1 and "failed its check" in bad.stderr
    assert "refresh-token-wrong" not in bad.stderr
    assert Credentials.for_tenant("acme", env).grant.refresh_token == "refresh-token-9Zk4"
    good = steward(env, "secret", "rotate", "oauth_refresh_token", "--tenant", "acme",
                   input="refresh-token-new\n")
    assert "checked and current" in good.stdout
    assert Credentials.for_tenant("acme", env).grant.refresh_token == "refresh-token-new"

    steward(env, "secret", "set", "api_key", "--tenant", "acme", input="k-1\n")
    steward(env, "secret", "revoke", "api_key", "--tenant", "acme")
    audit = steward(env, "secret", "audit", "--tenant", "acme").stdout
    for line in ("api_key\t-\trevoke", "api_key\t1\tset", "oauth_refresh_token\t3\trotate",
                 "oauth_refresh_token\t2\tcheck\tsteward secret rotate\tfailed"):
        assert line in audit, line
    assert "k-1" not in audit and "refresh-token" not in audit
    db = Database(url="")
    assert len(rows(db, schema.secret_audit)) == 9  # 4 set by connect, check, check, rotate, ...


def test_the_environment_backend_reads_and_refuses_to_write() -> None:
    from resources.secrets import secrets_store

    env = {**os.environ, "STEWARD_SECRETS_BACKEND": "env",
           "STEWARD_SECRET_ACME_CO_MAILBOX_PASSWORD": "env-pw"}
    store = secrets_store(env)
    assert store.tenant_current("acme-co") == {"mailbox_password": ("env-pw", 0)}
    assert Credentials.for_tenant("acme-co", env).password == "env-pw"
    with pytest.raises(SecretsError, match="set STEWARD_SECRET_ACME_CO_API_KEY instead"):
        store.put("acme-co", "api_key", "x", NOW)
    with pytest.raises(SecretsError, match="choose file, env or vault"):
        secrets_store({"STEWARD_SECRETS_BACKEND": "keychain"})

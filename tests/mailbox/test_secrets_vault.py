"""The Vault backend against a real OpenBao server: a tenant's token reaches only its own
path, versions and rotation and revocation work as on the embedded store, the server's audit
device records every read without the values, and an unreachable server is one clear line."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from resources.mailbox.base import MailboxAuthError
from resources.mailbox.credentials import Credentials
from resources.secrets import SecretsError, secrets_store
from tests.mailbox.openbao import OpenBao

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def vault_env(openbao: OpenBao, **tokens: str) -> dict[str, str]:
    env = {**os.environ, "STEWARD_SECRETS_BACKEND": "vault", "STEWARD_VAULT_ADDR": openbao.addr}
    env.update({f"STEWARD_VAULT_TOKEN_{slug.upper()}": t for slug, t in tokens.items()})
    return env


def test_per_tenant_paths_versions_rotation_revocation_and_audit(openbao: OpenBao) -> None:
    acme, globex = f"acme{uuid.uuid4().hex[:6]}", f"globex{uuid.uuid4().hex[:6]}"
    env = vault_env(openbao, **{acme: openbao.tenant_token(acme),
                                globex: openbao.tenant_token(globex)})
    store = secrets_store(env)
    assert store.put(acme, "mailbox_password", "vault-pw-one", NOW) == 1
    assert store.put(acme, "mailbox_password", "vault-pw-two", NOW) == 2
    pending = store.put(acme, "mailbox_password", "vault-pw-three", NOW, pending=True)
    store.settle(acme, "mailbox_password", pending, passed=False)
    assert store.tenant_current(acme) == {"mailbox_password": ("vault-pw-two", 2)}
    assert Credentials.for_tenant(acme, env).password == "vault-pw-two"
    assert [(s.name, s.version, s.status) for s in store.listing(acme)] == [
        ("mailbox_password", 2, "current")]
    assert store.tenant_current(globex) == {}

    stolen = {**env, f"STEWARD_VAULT_TOKEN_{globex.upper()}": env[
        f"STEWARD_VAULT_TOKEN_{acme.upper()}"]}
    store.put(globex, "api_key", "globex-key", NOW)
    with pytest.raises(SecretsError, match=f"tenant {globex}: Vault refused access") as refused:
        secrets_store(stolen).tenant_current(globex)  # acme's token on globex's path
    assert "globex-key" not in str(refused.value)

    store.revoke(acme, "mailbox_password")
    with pytest.raises(MailboxAuthError, match="mailbox_password was revoked"):
        Credentials.for_tenant(acme, env)
    log = openbao.audit_log.read_text()
    assert f"steward/tenants/{acme}/mailbox_password" in log
    assert "vault-pw-two" not in log and "globex-key" not in log  # values are HMAC'd


def test_an_unreachable_vault_or_a_missing_token_is_one_line(openbao: OpenBao) -> None:
    down = {**os.environ, "STEWARD_SECRETS_BACKEND": "vault",
            "STEWARD_VAULT_ADDR": "http://127.0.0.1:9", "STEWARD_VAULT_TOKEN": "t"}
    with pytest.raises(MailboxAuthError, match="^tenant acme: Vault at "
                                               "http://127.0.0.1:9 cannot be reached"):
        Credentials.for_tenant("acme", down)
    with pytest.raises(SecretsError, match="tenant acme: no Vault token"):
        secrets_store(vault_env(openbao)).tenant_current("acme")

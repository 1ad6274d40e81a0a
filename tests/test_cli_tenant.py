"""`steward tenant add/update` settings that a user gets wrong easily: live send modes without a
sender, and the send window. Bad input is one `error: ...` line and exit 1 (tests/cli.py)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from resources.database import Database
from resources.store.schema import tenants
from resources.store.tenants import add_tenant, get_tenant, update_tenant
from tests.cli import steward


def settings(env: dict[str, str], slug: str = "acme") -> dict:
    return json.loads(steward(env, "tenant", "show", slug).stdout)["settings"]


@pytest.mark.parametrize("mode", ["internal_only", "limited_live"])
def test_a_live_send_mode_without_a_sender_is_refused_with_the_fix(cli_env, mode) -> None:
    steward(cli_env, "db", "upgrade")
    refused = steward(cli_env, "tenant", "add", "acme", "--send-mode", mode, ok=False).stderr
    assert f"send mode {mode} sends real mail" in refused and "--from-address" in refused
    assert steward(cli_env, "tenant", "list").stdout == ""

    steward(cli_env, "tenant", "add", "acme")
    refused = steward(cli_env, "tenant", "update", "acme", "--send-mode", mode, ok=False).stderr
    assert "--from-address" in refused
    assert settings(cli_env)["send_mode"] == "dry_run"
    steward(cli_env, "tenant", "update", "acme", "--send-mode", mode,
            "--from-address", "office@acme.example")
    assert settings(cli_env)["send_mode"] == mode
    # Taking the sender away again would strand the live mail.
    assert "--from-address" in steward(cli_env, "tenant", "update", "acme", "--from-address", "",
                                       ok=False).stderr


def test_an_own_address_is_a_sender_but_a_bare_domain_is_not(cli_env) -> None:
    """The rule is the one the mailer uses to pick the From address (resources/mailer/render)."""
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme", "--own-addresses", "acme.example")
    steward(cli_env, "tenant", "update", "acme", "--send-mode", "limited_live", ok=False)
    steward(cli_env, "tenant", "update", "acme", "--send-mode", "limited_live",
            "--own-addresses", "acme.example,office@acme.example")
    assert settings(cli_env)["send_mode"] == "limited_live"
    steward(cli_env, "tenant", "update", "acme", "--send-mode", "dry_run", "--own-addresses", "")


def test_a_tenant_saved_live_without_a_sender_still_opens_and_can_be_fixed(db: Database) -> None:
    """Databases from before the rule may hold such a tenant: it is read as saved (its mail then
    waits at dispatch, tests/test_dispatch_config.py), and the next change must supply a sender."""
    add_tenant(db, "acme")
    with db.system() as sys:
        sys.execute(sa.update(tenants).values(settings={"send_mode": "limited_live"}))
    assert get_tenant(db, "acme").settings.send_mode == "limited_live"
    assert [t.slug for t in db.tenants()] == ["acme"]
    with pytest.raises(ValueError, match="--from-address"):
        update_tenant(db, "acme", settings_patch={"signature": "Acme"})
    fixed = update_tenant(db, "acme", settings_patch={"from_address": "office@acme.example"})
    assert fixed.settings.sender_address == "office@acme.example"

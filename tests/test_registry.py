"""Tenants and kill switches through the resources layer, on both backends."""

from __future__ import annotations

import pydantic
import pytest

from agent.killswitch import decide
from agent.settings import TenantSettings
from resources.database import Database, UnknownTenantError
from resources.store import schema
from resources.store.system_config import set_database_flag
from resources.store.tenants import (
    add_tenant,
    get_tenant,
    remove_tenant,
    set_enabled,
    update_tenant,
)
from services.killswitch import kill_state
from tests.helpers import seed_tenant


def test_add_update_enable_disable(db: Database) -> None:
    add_tenant(db, "acme", name="Acme", timezone="America/Chicago",
               settings=TenantSettings(send_mode="internal_only", allowlist=["acme.example"],
                                       from_address="office@acme.example"))
    updated = update_tenant(db, "acme", settings_patch={"caps": {"emails_per_day": 7}})
    assert updated.settings.caps.emails_per_day == 7
    assert updated.settings.caps.emails_per_hour == 10
    assert updated.settings.send_mode == "internal_only"
    assert updated.settings.allowlist == ["acme.example"]
    assert set_enabled(db, "acme", False).agent_enabled is False
    assert get_tenant(db, "acme").agent_enabled is False
    assert set_enabled(db, "acme", True).agent_enabled is True


@pytest.mark.parametrize("patch", [
    {"send_mode": "yolo"},
    {"caps": {"emails_per_day": -1}},
    {"mailbox": "ftp://host/x"},
    {"mailbox": "imaps://user:secret@host/INBOX"},
    {"surprise": True},
])
def test_invalid_settings_are_refused_and_nothing_changes(db: Database, patch: dict) -> None:
    add_tenant(db, "acme")
    with pytest.raises(pydantic.ValidationError):
        update_tenant(db, "acme", settings_patch=patch)
    assert get_tenant(db, "acme").settings == TenantSettings()


def test_bad_slug_timezone_duplicate_and_unknown(db: Database) -> None:
    with pytest.raises(ValueError, match="invalid tenant slug"):
        add_tenant(db, "Not A Slug")
    with pytest.raises(ValueError, match="unknown timezone"):
        add_tenant(db, "acme", timezone="Mars/Base")
    add_tenant(db, "acme")
    with pytest.raises(ValueError, match="already exists"):
        add_tenant(db, "acme")
    with pytest.raises(UnknownTenantError):
        update_tenant(db, "nope", settings_patch={})


def test_remove_deletes_the_tenants_rows_only(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=3)
    seed_tenant(db, "beta", contacts=2)
    remove_tenant(db, "alpha")
    assert [t.slug for t in db.tenants()] == ["beta"]
    with db.for_tenant("beta") as scope:
        assert scope.count(schema.contacts) == 2


def test_kill_switch_priority(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    tenant = add_tenant(db, "acme")
    assert not kill_state(db, tenant).active
    set_database_flag(db, True, "incident 42", "test")
    state = kill_state(db, tenant)
    assert state.active and state.reason == "incident 42" and "database" in state.scope
    set_database_flag(db, False, None, "test")
    disabled = set_enabled(db, "acme", False)
    assert kill_state(db, disabled).scope == "tenant acme"
    assert not kill_state(db).active


def test_environment_switch_wins_even_without_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_KILL_SWITCH", "true")
    monkeypatch.setenv("STEWARD_KILL_SWITCH_REASON", "maintenance")
    unreachable = Database(url="postgresql://nobody@127.0.0.1:1/none")
    state = kill_state(unreachable)
    assert state.active and state.reason == "maintenance"


def test_decide_is_ordered_env_database_tenant() -> None:
    assert decide("1", "env", True, "db", False, "t").reason == "env"
    assert decide("off", None, True, "db", False, "t").reason == "db"
    assert decide("", None, False, None, False, "t").scope == "tenant t"
    assert not decide(None, None, False, None, True, "t").active

"""`steward tenant add/update` settings that a user gets wrong easily: live send modes without a
sender, and the send window. Bad input is one `error: ...` line and exit 1 (tests/cli.py)."""

from __future__ import annotations

import json

import pydantic
import pytest
import sqlalchemy as sa
import typer

from pipelines.cli.tenant import app as tenant_app
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


def test_the_send_window_and_weekends_are_set_from_the_cli(cli_env) -> None:
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme", "--send-window", "9-17", "--weekends")
    window = {"start_hour": 9, "end_hour": 17, "weekends": True}
    assert settings(cli_env)["send_window"] == window
    steward(cli_env, "tenant", "update", "acme", "--send-window", "0-24")
    assert settings(cli_env)["send_window"] == {**window, "start_hour": 0, "end_hour": 24}
    steward(cli_env, "tenant", "update", "acme", "--no-weekends", "--cap", "emails_per_day=7")
    assert settings(cli_env)["send_window"] == {"start_hour": 0, "end_hour": 24,
                                                "weekends": False}
    assert settings(cli_env)["caps"]["emails_per_day"] == 7


def test_public_holidays_are_set_from_the_cli_and_checked(cli_env) -> None:
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme", "--holidays", "us", "--subdivision", "ca")
    assert settings(cli_env)["holidays"] == {"country": "US", "subdivision": "CA"}
    refused = steward(cli_env, "tenant", "update", "acme", "--holidays", "XX", ok=False)
    assert "unknown holiday country 'XX'" in refused.stderr
    refused = steward(cli_env, "tenant", "update", "acme", "--subdivision", "ZZ", ok=False)
    assert "unknown subdivision 'ZZ' of US" in refused.stderr
    steward(cli_env, "tenant", "update", "acme", "--holidays", "", "--subdivision", "")
    assert settings(cli_env)["holidays"] == {"country": None, "subdivision": None}


def test_what_happy_clients_are_asked_is_set_from_the_cli(cli_env) -> None:
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme", "--referral-requests")
    assert settings(cli_env)["feedback"] == {"referral_requests": True, "review_url": None}
    steward(cli_env, "tenant", "update", "acme", "--review-url", "https://g.page/acme/review")
    assert settings(cli_env)["feedback"] == {"referral_requests": True,
                                             "review_url": "https://g.page/acme/review"}


@pytest.mark.parametrize(("window", "said"), [
    ("25-3", "hours run from 0 to 24, got '25-3'"),
    ("x", "takes START-END in hours, e.g. 8-18, got 'x'"),
    ("18-8", "must start before it ends (a window over midnight is not supported), got '18-8'"),
])
def test_a_bad_send_window_is_one_error_line(cli_env, window, said) -> None:
    steward(cli_env, "db", "upgrade")
    refused = steward(cli_env, "tenant", "add", "acme", "--send-window", window, ok=False)
    assert refused.returncode == 1 and refused.stderr.strip() == f"error: --send-window {said}"
    assert steward(cli_env, "tenant", "list").stdout == ""
    steward(cli_env, "tenant", "add", "acme")
    refused = steward(cli_env, "tenant", "update", "acme", "--send-window", window, ok=False)
    assert refused.returncode == 1 and said in refused.stderr
    assert settings(cli_env)["send_window"] == {"start_hour": 8, "end_hour": 18,
                                                "weekends": False}


def test_add_and_update_take_the_same_settings_options() -> None:
    """They share one declaration (pipelines/cli/tenant_options.py)."""
    group = typer.main.get_command(tenant_app)
    flags = {name: {o for p in group.commands[name].params for o in p.opts}
             for name in ("add", "update")}
    assert flags["add"] - flags["update"] == {"--disabled"}
    assert flags["update"] - flags["add"] == set()
    assert {"--send-window", "--weekends", "--from-address", "--cap"} <= flags["update"]


def test_a_window_over_midnight_is_refused_in_the_settings_too(db: Database) -> None:
    add_tenant(db, "acme")
    with pytest.raises(pydantic.ValidationError, match="must start before it ends"):
        update_tenant(db, "acme", settings_patch={"send_window": {"start_hour": 18,
                                                                  "end_hour": 8}})
    with db.system() as sys:  # saved so before the rule: the tenant still opens
        sys.execute(sa.update(tenants).values(
            settings={"send_window": {"start_hour": 18, "end_hour": 8}}))
    assert get_tenant(db, "acme").settings.send_window.start_hour == 18

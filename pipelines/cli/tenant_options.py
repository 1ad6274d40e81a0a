"""The options of `steward tenant add` and `steward tenant update` that change a setting.

Both commands take the same settings options, so they are declared once, in SETTING_OPTIONS,
and added to each command's parameters by `with_setting_options`: a new setting is one entry
here, and the two commands cannot drift apart. Each option turns what was typed into its part of
a settings patch; `add` validates the patch as the whole settings, `update` merges it into the
saved ones first (resources/store/tenants.py), so what was not given keeps its value.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer

from pipelines.cli.common import CliError, pairs


@dataclass(frozen=True)
class SettingOption:
    """One settings option: its flags and help, and how what was typed becomes its part of a
    settings patch."""

    name: str  # the command's parameter
    flags: str  # "--send-mode", or "--weekends/--no-weekends" for a switch
    help: str
    patch: Callable[[Any], dict[str, Any]]  # the given value as part of a settings patch
    repeatable: bool = False  # NAME=VALUE, once per name
    switch: bool = False

    def parameter(self) -> inspect.Parameter:
        kind = list[str] if self.repeatable else bool if self.switch else str
        return inspect.Parameter(
            self.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, self.flags, help=self.help),
            annotation=kind | None,
        )


def _setting(key: str) -> Callable[[str], dict[str, Any]]:
    return lambda value: {key: value}


def _listed(key: str) -> Callable[[str], dict[str, Any]]:
    """A comma-separated list; an empty one clears the setting."""
    return lambda value: {key: [a for a in value.split(",") if a.strip()]}


def _named(key: str, option: str) -> Callable[[list[str]], dict[str, Any]]:
    return lambda items: {key: {n: v.strip() for n, v in pairs(items, option).items()}}


def send_window(value: str) -> dict[str, Any]:
    """START-END in whole hours of the tenant's day (0-24), start before end: 8-18."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", value)
    if not match:
        raise CliError(f"--send-window takes START-END in hours, e.g. 8-18, got {value!r}")
    start, end = int(match[1]), int(match[2])
    if start > 24 or end > 24:
        raise CliError(f"--send-window hours run from 0 to 24, got {value!r}")
    if start >= end:
        raise CliError(
            f"--send-window must start before it ends (a window over midnight is not "
            f"supported), got {value!r}"
        )
    return {"send_window": {"start_hour": start, "end_hour": end}}


SETTING_OPTIONS = (
    SettingOption(
        "mailbox",
        "--mailbox",
        "maildir:///path, imaps://user@host/INBOX, gmail://...",
        _setting("mailbox"),
    ),
    SettingOption(
        "send_mode",
        "--send-mode",
        "dry_run | internal_only | limited_live (the live modes need --from-address).",
        _setting("send_mode"),
    ),
    SettingOption(
        "allowlist", "--allowlist", "Comma-separated addresses or domains.", _listed("allowlist")
    ),
    SettingOption(
        "own_addresses",
        "--own-addresses",
        "Comma-separated addresses/domains that are us.",
        _listed("own_addresses"),
    ),
    SettingOption(
        "cap",
        "--cap",
        "NAME=N, e.g. emails_per_day=50 (repeatable).",
        _named("caps", "--cap"),
        repeatable=True,
    ),
    SettingOption(
        "threshold",
        "--threshold",
        "NAME=VALUE, e.g. engagement_days=21.",
        _named("thresholds", "--threshold"),
        repeatable=True,
    ),
    SettingOption(
        "alert_email",
        "--alert-email",
        "Where this tenant's alerts are mailed.",
        _setting("alert_email"),
    ),
    SettingOption(
        "documents_dir",
        "--documents-dir",
        "Folder of this tenant's uploaded documents.",
        _setting("documents_dir"),
    ),
    SettingOption(
        "from_address",
        "--from-address",
        "Sender address of this tenant's mail.",
        _setting("from_address"),
    ),
    SettingOption(
        "alert_webhook",
        "--alert-webhook",
        "Slack-compatible URL for alerts.",
        _setting("alert_webhook"),
    ),
    SettingOption(
        "approval",
        "--approval",
        "KIND=auto|approval, e.g. send_email=auto (repeatable).",
        _named("approvals", "--approval"),
        repeatable=True,
    ),
    SettingOption(
        "goal",
        "--goal",
        "NAME=VALUE, e.g. orders_per_month=60 (repeatable).",
        _named("goals", "--goal"),
        repeatable=True,
    ),
    SettingOption(
        "provider",
        "--provider",
        "KIND=file|URL, e.g. social_post=https://hooks.example/x (repeatable).",
        _named("providers", "--provider"),
        repeatable=True,
    ),
    SettingOption(
        "send_window",
        "--send-window",
        "START-END, the hours customer mail may go out in the tenant's timezone, e.g. 8-18.",
        send_window,
    ),
    SettingOption(
        "weekends",
        "--weekends/--no-weekends",
        "Whether customer mail may also go out on Saturdays and Sundays.",
        lambda on: {"send_window": {"weekends": on}},
        switch=True,
    ),
    SettingOption(
        "review_url",
        "--review-url",
        "Where happy clients are asked to leave a review ('' for none).",
        lambda url: {"feedback": {"review_url": url.strip() or None}},
    ),
    SettingOption(
        "referral_requests",
        "--referral-requests/--no-referral-requests",
        "Whether a happy client (with no review page set) is asked for a referral.",
        lambda on: {"feedback": {"referral_requests": on}},
        switch=True,
    ),
    SettingOption(
        "holidays",
        "--holidays",
        "Country whose public holidays are not business days, e.g. US, GB, DE ('' for none).",
        lambda country: {"holidays": {"country": country.strip().upper() or None}},
    ),
    SettingOption(
        "subdivision",
        "--subdivision",
        "The state or region within --holidays' country, e.g. CA, BY ('' for none).",
        lambda region: {"holidays": {"subdivision": region.strip().upper() or None}},
    ),
)


def with_setting_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` every option of SETTING_OPTIONS after its own parameters, and call it
    with the settings patch they make as `patch` (only what was given: an update keeps the
    rest). Typer reads the parameters from the signature, so they are added to it."""
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "patch"]

    @functools.wraps(command)
    def run(**given: Any) -> None:
        values = {o.name: given.pop(o.name) for o in SETTING_OPTIONS}
        command(**given, patch=settings_patch(values))

    run.__signature__ = inspect.Signature([*own, *(o.parameter() for o in SETTING_OPTIONS)])
    return run


def settings_patch(values: dict[str, Any]) -> dict[str, Any]:
    """The settings the options name, nested parts merged (--send-window and --weekends both
    change the send window)."""
    patch: dict[str, Any] = {}
    for option in SETTING_OPTIONS:
        value = values[option.name]
        if value is None or (option.repeatable and not value):
            continue
        for key, part in option.patch(value).items():
            if isinstance(part, dict):
                patch.setdefault(key, {}).update(part)
            else:
                patch[key] = part
    return patch

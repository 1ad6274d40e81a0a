"""A tenant's mailbox secrets: read when a mailbox is opened, never stored, never printed.

Secrets stay out of the database and the run config on purpose: a database dump, a Dagster run
page or a log line must never be enough to read someone's mail. They come from the environment
(`STEWARD_MAILBOX_PASSWORD_<SLUG>`, `STEWARD_MAILBOX_TOKEN_<SLUG>`, the slug upper-cased with
dashes as underscores) or from a JSON secrets file (`STEWARD_SECRETS_FILE`, by default
`$STEWARD_HOME/secrets.json`, mode 600) shaped `{"tenants": {"<slug>": {"mailbox_password":
"...", "oauth_token": "..."}}}`, or from the encrypted secrets store (resources/secrets.py,
what `steward inbox connect` and `steward secret` write). The environment wins, then the store,
then the plain file; a secret revoked in the store is taken from nowhere.

A mailbox that should keep working for months has an OAuth grant instead of an access token:
`oauth_provider` (google or microsoft), `oauth_client_id`, `oauth_client_secret` and
`oauth_refresh_token` (environment: STEWARD_MAILBOX_OAUTH_PROVIDER_<SLUG>, ..._CLIENT_ID_,
..._CLIENT_SECRET_, ..._REFRESH_TOKEN_), optionally `oauth_token_url` (or
STEWARD_OAUTH_TOKEN_URL for every tenant: a local token endpoint in tests). Access tokens are
then fetched and renewed as needed (resources/mailbox/oauth.py).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resources.mailbox.base import MailboxAuthError, MailboxError
from resources.mailbox.oauth import TokenSource
from resources.paths import steward_home
from resources.secrets import SecretsError, secrets_store

PASSWORD_VAR = "STEWARD_MAILBOX_PASSWORD_"
TOKEN_VAR = "STEWARD_MAILBOX_TOKEN_"
SECRETS_FILE_VAR = "STEWARD_SECRETS_FILE"
TOKEN_URL_VAR = "STEWARD_OAUTH_TOKEN_URL"
# secrets-file key -> environment variable prefix, for the refresh grant
GRANT = {"oauth_provider": "STEWARD_MAILBOX_OAUTH_PROVIDER_",
         "oauth_client_id": "STEWARD_MAILBOX_CLIENT_ID_",
         "oauth_client_secret": "STEWARD_MAILBOX_CLIENT_SECRET_",
         "oauth_refresh_token": "STEWARD_MAILBOX_REFRESH_TOKEN_",
         "oauth_token_url": "STEWARD_MAILBOX_TOKEN_URL_"}
# every secret a mailbox may use -> its environment variable prefix
ENVIRONMENT = {"mailbox_password": PASSWORD_VAR, "oauth_token": TOKEN_VAR, **GRANT}


def env_suffix(tenant_slug: str) -> str:
    return tenant_slug.upper().replace("-", "_")


def secrets_file_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    configured = environ.get(SECRETS_FILE_VAR)
    return Path(configured).expanduser() if configured else steward_home() / "secrets.json"


@dataclass(frozen=True)
class Credentials:
    """A password and/or an OAuth access token; repr and str show only whether each is set.

    An OAuth token means XOAUTH2 for IMAP and a Bearer header for the Gmail API; when both are
    present the token is used.
    """

    password: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)
    origin: str = "none"  # where they came from, for messages: "environment", a file path
    grant: TokenSource | None = field(default=None, repr=False)  # renews access tokens
    # the secrets read: (name, version in the secrets store, or None from elsewhere)
    used: tuple[tuple[str, int | None], ...] = ()

    @property
    def uses_oauth(self) -> bool:
        return bool(self.grant or self.oauth_token)

    def bearer(self, renew: bool = False) -> str | None:
        """The access token to present: a fresh one from the grant when there is one (`renew`
        asks for a new one at once, after a server refused the last), else the fixed token."""
        if self.grant is not None:
            return self.grant.access_token(force=renew)
        return self.oauth_token

    def __repr__(self) -> str:
        def mask(value: str | None) -> str:
            return "'***'" if value else "None"

        return (
            f"Credentials(password={mask(self.password)}, oauth_token={mask(self.oauth_token)}, "
            f"{'grant=***, ' if self.grant else ''}origin={self.origin!r})"
        )

    __str__ = __repr__

    def scrub(self, text: str) -> str:
        """`text` with any secret replaced, for error messages built from server replies."""
        grant = self.grant.secrets() if self.grant else ()
        for secret in (self.password, self.oauth_token, *grant):
            if secret:
                text = text.replace(secret, "***")
        return text

    @classmethod
    def for_tenant(cls, tenant_slug: str, environ: Mapping[str, str] | None = None) -> Credentials:
        """The tenant's credentials, each value from the environment, else the encrypted
        secrets store (resources/secrets.py), else the plain secrets file."""
        environ = os.environ if environ is None else environ
        suffix = env_suffix(tenant_slug)
        try:
            stored = secrets_store(environ).tenant_current(tenant_slug)
        except SecretsError as exc:
            named = str(exc) if str(exc).startswith(f"tenant {tenant_slug}:") else (
                f"tenant {tenant_slug}: {exc}")
            raise MailboxAuthError(named) from None
        path = secrets_file_path(environ)
        entry: dict[str, Any] | None = None
        values: dict[str, str | None] = {}
        used: list[tuple[str, int | None]] = []
        sources: list[str] = []
        for key, var in ENVIRONMENT.items():
            value, version, source = environ.get(var + suffix) or None, None, "environment"
            if key in stored and stored[key] is None:
                raise MailboxAuthError(f"tenant {tenant_slug}: secret {key} was revoked "
                                       "(steward secret set or rotate gives it a new value)")
            if value is None and key in stored:
                (value, version), source = stored[key], "secrets store"
            if value is None:
                entry = _file_entry(path, tenant_slug) if entry is None else entry
                value, source = entry.get(key) or None, str(path)
            values[key] = value
            if value is not None:
                used.append((key, version))
                if source not in sources:
                    sources.append(source)
        return cls(values["mailbox_password"], values["oauth_token"],
                   " and ".join(sources) or "none", _grant(tenant_slug, values, environ),
                   tuple(used))


def _grant(tenant_slug: str, values: dict[str, str | None],
           environ: Mapping[str, str]) -> TokenSource | None:
    """The refresh grant, when the tenant has one; half of one is an error naming what is
    missing (never a value)."""
    needed = ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token")
    given = [k for k in needed if values[k]]
    if not given:
        return None
    missing = [k for k in needed if not values[k]]
    if missing:
        raise MailboxAuthError(
            f"tenant {tenant_slug}: the mailbox's OAuth grant lacks {', '.join(missing)}")
    return TokenSource(
        tenant_slug, (values["oauth_provider"] or "google").lower(), values["oauth_client_id"],
        values["oauth_client_secret"], values["oauth_refresh_token"],
        token_url=values["oauth_token_url"] or environ.get(TOKEN_URL_VAR, ""))


def _read_file(path: Path) -> str | None:
    """The secrets file's text (None: there is none); refused when others may read it."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise MailboxError(
                f"secrets file {path} can be read or written by others (mode "
                f"{stat.S_IMODE(mode):o}): run `chmod 600 {path}`; it is not used until then")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MailboxError(f"cannot read secrets file {path}: {exc.strerror}") from None


def _file_entry(path: Path, tenant_slug: str) -> dict[str, Any]:
    """The tenant's entry in the secrets file; a missing file or tenant is simply no secrets."""
    text = _read_file(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # The position only: the message around it could quote a secret.
        raise MailboxError(
            f"secrets file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    tenants = data.get("tenants") if isinstance(data, dict) else None
    entry = tenants.get(tenant_slug) if isinstance(tenants, dict) else None
    if entry is None:
        return {}
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k, ""), str) for k in ENVIRONMENT
    ):
        raise MailboxError(
            f"secrets file {path}: tenants.{tenant_slug} must map {', '.join(ENVIRONMENT)} "
            "to strings"
        )
    return entry

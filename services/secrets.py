"""Changing a tenant's secrets: set, rotate with a check, revoke, each on the audit.

A rotation writes the new value as a pending version and proves it before anything uses it: a
mailbox password or access token by logging in to the tenant's mailbox with it, a part of an
OAuth grant by one token refresh with it. Only then is it current and the old version retired;
a failed check leaves the old version in use and says why. Secrets nothing here can check
(a name of the tenant's own) become current with "not checked" on the record.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from resources.database import Database
from resources.mailbox.base import MailboxError
from resources.mailbox.credentials import Credentials
from resources.mailbox.resource import Mailboxes
from resources.secrets import secrets_store
from resources.store import secret_audit
from resources.store.tenants import get_tenant

LOGIN = {"mailbox_password": "password", "oauth_token": "oauth_token"}
GRANT = {"oauth_client_secret": "client_secret", "oauth_refresh_token": "refresh_token",
         "oauth_client_id": "client_id"}


def set_secret(db: Database, slug: str, name: str, value: str, by: str, now: datetime) -> int:
    version = secrets_store().put(slug, name, value, now)
    with db.for_tenant(slug) as scope:
        secret_audit.record(scope, name, version, "set", "steward secret set", True, now, by=by)
    return version


def _check(db: Database, mailboxes: Mailboxes, slug: str, name: str, value: str) -> str | None:
    """None when the value works (or there is no check for it), else why it does not."""
    if name not in LOGIN and name not in GRANT:
        return None
    url = get_tenant(db, slug).settings.mailbox
    try:
        current = Credentials.for_tenant(slug)
        if name in GRANT:
            if current.grant is None:
                return None  # the rest of the grant is not there yet: nothing to prove it with
            grant = dataclasses.replace(current.grant, **{GRANT[name]: value})
            grant.access_token(force=True)
            return None
        if not url:
            return None
        creds = dataclasses.replace(current, **{LOGIN[name]: value},
                                    grant=None if name == "oauth_token" else current.grant)
        with mailboxes.open(slug, url, creds) as source:
            source.check()
    except MailboxError as exc:
        return str(exc)
    return None


def rotate(db: Database, mailboxes: Mailboxes, slug: str, name: str, value: str, by: str,
           now: datetime) -> tuple[int, str | None]:
    """The new version and, when it failed its check, why (the old one then stays)."""
    store = secrets_store()
    version = store.put(slug, name, value, now, pending=True)
    problem = _check(db, mailboxes, slug, name, value)
    store.settle(slug, name, version, passed=problem is None)
    with db.for_tenant(slug) as scope:
        secret_audit.record(scope, name, version, "check", "steward secret rotate",
                            problem is None, now, problem, by=by)
        if problem is None:
            secret_audit.record(scope, name, version, "rotate", "steward secret rotate", True,
                                now, None, by=by)
    return version, problem


def revoke(db: Database, slug: str, name: str, by: str, now: datetime) -> int:
    versions = secrets_store().revoke(slug, name)
    with db.for_tenant(slug) as scope:
        secret_audit.record(scope, name, None, "revoke", "steward secret revoke", True, now,
                            f"{versions} version(s) revoked", by=by)
    return versions

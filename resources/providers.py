"""Who delivers an action that is neither mail nor done inside Steward: a social post, a
newsletter, an SEO or ads change, ...

No platform can be reached from here, so each tenant chooses per kind (or per rate-limit bucket
of kinds) in its `providers` setting: "file" (the default) writes the deliverable as a JSON file
for a person or another system to pick up; an http(s) URL has it POSTed to a webhook. A real
platform client is one more class with the same `deliver`.

A webhook is a hand-over that leaves the system, so the dispatcher marks the row `sending`
before the POST: a crash mid-POST leaves the row's delivery unknown for a person, never resent
blindly. A repeat the protocol cannot rule out (a timeout after the receiver acted, a retry
after a 5xx) carries the same `Idempotency-Key` header, so the receiver can drop it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import dagster as dg

from agent.actions import KINDS
from resources.database import Tenant
from resources.mailer import Mailer

WEBHOOK_TIMEOUT_S = 10.0
# Client errors that say "not now" rather than "never": worth another attempt later.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


class ProviderError(Exception):
    """A delivery that did not happen; `retryable` says whether trying again later may help."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class Provider(Protocol):
    name: str
    leaves: bool  # the delivery leaves the system, so it must be handed over exactly once

    def deliver(self, tenant: Tenant, row: dict[str, Any]) -> str:
        """Deliver one outbox row; returns the provider's reference (a path, a URL, an id)."""
        ...


@dataclass(frozen=True)
class FileProvider:
    mailer: Mailer
    name: str = "file"
    leaves: bool = False

    def deliver(self, tenant: Tenant, row: dict[str, Any]) -> str:
        try:
            return str(write_deliverable(self.mailer.folder(tenant.slug), row))
        except OSError as exc:
            raise ProviderError(f"could not write the deliverable: {exc}", retryable=True) from exc


@dataclass(frozen=True)
class WebhookProvider:
    url: str
    timeout_s: float = WEBHOOK_TIMEOUT_S
    name: str = "webhook"
    leaves: bool = True

    def deliver(self, tenant: Tenant, row: dict[str, Any]) -> str:
        body = {
            "tenant": tenant.slug,
            "kind": row["kind"],
            "key": row["idempotency_key"],
            "target": row["target"],
            "payload": row["payload"],
            "reason": row["reason"],
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, default=str).encode(),
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": row["idempotency_key"],
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                code = response.status
        except urllib.error.HTTPError as exc:
            retryable = exc.code >= 500 or exc.code in RETRYABLE_CLIENT_ERRORS
            raise ProviderError(f"{self.url} -> HTTP {exc.code} {exc.reason}", retryable) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            why = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ProviderError(f"{self.url} unreachable: {why}", retryable=True) from exc
        return f"{self.url} -> HTTP {code}"


class Providers(dg.ConfigurableResource):
    """The providers resource: which provider delivers a tenant's kind, and how long a webhook
    may take. Files go where the mailer keeps the tenant's deliverables."""

    webhook_timeout_s: float = WEBHOOK_TIMEOUT_S

    def for_kind(self, tenant: Tenant, kind: str, mailer: Mailer) -> Provider:
        """The tenant's choice for the kind, else for its bucket, else a file."""
        chosen = tenant.settings.providers
        spec = KINDS.get(kind)
        choice = chosen.get(kind) or (chosen.get(spec.bucket) if spec and spec.bucket else None)
        if choice and choice != "file":
            return WebhookProvider(choice, self.webhook_timeout_s)
        return FileProvider(mailer)


def write_deliverable(folder: Path, row: dict[str, Any]) -> Path:
    body = {k: row[k] for k in ("idempotency_key", "kind", "target", "payload", "reason")}
    path = folder / row["kind"] / f"{file_name(row)}.json"
    return write_atomic(path, json.dumps(body, indent=2, default=str))


def file_name(row: dict[str, Any]) -> str:
    digest = hashlib.sha256(row["idempotency_key"].encode()).hexdigest()[:16]
    return f"{row['id']:08d}-{digest}"


def write_atomic(path: Path, text: str) -> Path:
    """Temp file and rename: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

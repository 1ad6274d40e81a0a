"""The secrets store on HashiCorp Vault or OpenBao (KV version 2), for deployments.

Each tenant's secrets live under `<mount>/steward/tenants/<slug>/<name>`, so a Vault policy per
tenant path (and a token per tenant, `STEWARD_VAULT_TOKEN_<SLUG>`, else `STEWARD_VAULT_TOKEN`)
keeps one tenant's credentials out of another's reach. KV v2 keeps the versions; which one is
in use, which failed a rotation's check and whether the secret is revoked are the secret's
custom metadata (Vault refuses empty values there: "none" and "no" stand for unset). A
revoked secret's versions are deleted (soft: Vault keeps them for an
operator, nothing here reads them). Vault's own audit device records every read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import hvac
import requests
from hvac import exceptions

from resources.secrets import SecretInfo, SecretsError

ADDR_VAR, TOKEN_VAR, MOUNT_VAR = "STEWARD_VAULT_ADDR", "STEWARD_VAULT_TOKEN", "STEWARD_VAULT_MOUNT"
TIMEOUT = 10


class VaultSecrets:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        self.addr = self.environ.get(ADDR_VAR) or self.environ.get("VAULT_ADDR") or ""
        if not self.addr:
            raise SecretsError(f"the Vault secrets backend needs {ADDR_VAR} (its URL)")
        self.mount = self.environ.get(MOUNT_VAR) or "secret"
        self.path = f"{self.addr} ({self.mount}/steward/tenants)"

    def _client(self, slug: str) -> Any:
        suffix = slug.upper().replace("-", "_")
        token = self.environ.get(f"{TOKEN_VAR}_{suffix}") or self.environ.get(TOKEN_VAR)
        if not token:
            raise SecretsError(f"tenant {slug}: no Vault token ({TOKEN_VAR}_{suffix} or "
                               f"{TOKEN_VAR})")
        return hvac.Client(url=self.addr, token=token, timeout=TIMEOUT).secrets.kv.v2

    @contextmanager
    def _talking(self, slug: str, name: str = "") -> Iterator[None]:
        what = f"secret {name}" if name else "its secrets"
        try:
            yield
        except exceptions.Forbidden:
            raise SecretsError(f"tenant {slug}: Vault refused access to {what} (permission "
                               "denied: the token's policy does not cover this path)") from None
        except (requests.ConnectionError, requests.Timeout):
            raise SecretsError(f"tenant {slug}: Vault at {self.addr} cannot be reached") from None
        except exceptions.VaultError as exc:
            raise SecretsError(f"tenant {slug}: Vault refused {what}: "
                               f"{type(exc).__name__}") from None

    def _key(self, slug: str, name: str = "") -> str:
        return f"steward/tenants/{slug}/{name}"

    def _names(self, kv: Any, slug: str) -> list[str]:
        try:
            listed = kv.list_secrets(path=self._key(slug), mount_point=self.mount)
        except exceptions.InvalidPath:
            return []
        return sorted(k for k in listed["data"]["keys"] if not k.endswith("/"))

    def _meta(self, kv: Any, slug: str, name: str) -> dict[str, Any]:
        return kv.read_secret_metadata(path=self._key(slug, name), mount_point=self.mount)["data"]

    def _mark(self, kv: Any, slug: str, name: str, **changes: str) -> None:
        marks = dict(self._meta(kv, slug, name).get("custom_metadata") or {})
        marks.update(changes)
        kv.update_metadata(path=self._key(slug, name), custom_metadata=marks,
                           mount_point=self.mount)

    def _read(self, kv: Any, slug: str, name: str, version: int) -> str:
        reply = kv.read_secret_version(path=self._key(slug, name), version=version,
                                       mount_point=self.mount, raise_on_deleted_version=True)
        return reply["data"]["data"]["value"]

    def tenant_current(self, slug: str) -> dict[str, tuple[str, int] | None]:
        kv, found = self._client(slug), {}
        with self._talking(slug):
            for name in self._names(kv, slug):
                marks = self._meta(kv, slug, name).get("custom_metadata") or {}
                if marks.get("revoked") == "yes":
                    found[name] = None
                elif marks.get("current", "none") != "none":
                    version = int(marks["current"])
                    found[name] = (self._read(kv, slug, name, version), version)
        return found

    def put(self, slug: str, name: str, value: str, now: datetime, pending: bool = False) -> int:
        kv = self._client(slug)
        with self._talking(slug, name):
            reply = kv.create_or_update_secret(path=self._key(slug, name),
                                               secret={"value": value}, mount_point=self.mount)
            version = int(reply["data"]["version"])
            if not pending:
                self._mark(kv, slug, name, current=str(version), revoked="no")
        return version

    def settle(self, slug: str, name: str, version: int, passed: bool) -> None:
        kv = self._client(slug)
        with self._talking(slug, name):
            if passed:
                self._mark(kv, slug, name, current=str(version), revoked="no")
            else:
                failed = (self._meta(kv, slug, name).get("custom_metadata") or {}).get("failed")
                self._mark(kv, slug, name, failed=",".join(filter(None, [failed, str(version)])))

    def revoke(self, slug: str, name: str) -> int:
        kv = self._client(slug)
        with self._talking(slug, name):
            if name not in self._names(kv, slug):
                raise SecretsError(f"tenant {slug} has no secret {name}")
            versions = [int(v) for v in self._meta(kv, slug, name)["versions"]]
            self._mark(kv, slug, name, revoked="yes", current="none")
            kv.delete_secret_versions(path=self._key(slug, name), versions=versions,
                                      mount_point=self.mount)
        return len(versions)

    def listing(self, slug: str) -> list[SecretInfo]:
        kv, found = self._client(slug), []
        with self._talking(slug):
            for name in self._names(kv, slug):
                meta = self._meta(kv, slug, name)
                marks = meta.get("custom_metadata") or {}
                current = marks.get("current", "none")
                version = int(current if current != "none" else meta["current_version"])
                status = ("revoked" if marks.get("revoked") == "yes" else "current"
                          if current != "none" else "pending")
                if str(version) in (marks.get("failed") or "").split(","):
                    status = "failed"
                created = meta["versions"][str(version)]["created_time"]
                found.append(SecretInfo(name, version, status, created))
        return found

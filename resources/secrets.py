"""The secrets store's embedded backend: one encrypted file of versioned secrets per tenant.

`$STEWARD_HOME/secrets.enc` (`STEWARD_SECRETS_STORE`) holds every tenant's secrets as JSON
encrypted with Fernet (AES-128-CBC with an HMAC: a changed or truncated file is refused, not
misread). The key comes from `STEWARD_SECRETS_KEY` or the key file `$STEWARD_HOME/secrets.key`
(`STEWARD_SECRETS_KEY_FILE`), made on first write. A store or key file that others may read is
refused, and so is a key that does not open the store.

Each secret keeps its versions: the `current` one is what is used; a rotation writes a `pending`
version, checks it, and only then makes it current and `retired` the old; a revocation marks
every version `revoked`, so nothing uses the secret any more. Values never leave this module
except to the code that uses them: listings carry names, versions and dates only.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from resources.paths import steward_home

STORE_VAR = "STEWARD_SECRETS_STORE"
KEY_VAR = "STEWARD_SECRETS_KEY"
KEY_FILE_VAR = "STEWARD_SECRETS_KEY_FILE"


class SecretsError(RuntimeError):
    """A secrets problem in one line that names the tenant and the secret, never its value."""


@dataclass(frozen=True)
class SecretInfo:
    name: str
    version: int
    status: str
    created_at: str


def _private(path: Path, what: str) -> None:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise SecretsError(f"{what} {path} can be read or written by others (mode "
                           f"{stat.S_IMODE(mode):o}): run `chmod 600 {path}`")


def _write_private(path: Path, data: bytes) -> None:
    """A new file of mode 600 that replaces the old one: no reader sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


class SecretsFile:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        home = steward_home()
        self.path = Path(self.environ.get(STORE_VAR) or home / "secrets.enc").expanduser()
        self.key_path = Path(self.environ.get(KEY_FILE_VAR) or home / "secrets.key").expanduser()

    def _fernet(self, create: bool) -> Fernet | None:
        key = self.environ.get(KEY_VAR)
        if not key:
            if self.key_path.exists():
                _private(self.key_path, "secrets key file")
                key = self.key_path.read_text().strip()
            elif create:
                key = Fernet.generate_key().decode()
                _write_private(self.key_path, key.encode())
            else:
                return None
        try:
            return Fernet(key.encode())
        except ValueError:
            raise SecretsError("the secrets key is not a Fernet key (32 url-safe base64 bytes; "
                               "`steward secret` makes one in secrets.key)") from None

    def _load(self, create: bool = False) -> dict[str, Any]:
        if not self.path.exists():
            return {"tenants": {}}
        _private(self.path, "secrets store")
        fernet = self._fernet(create=False)
        if fernet is None:
            raise SecretsError(f"secrets store {self.path} exists but no key was found "
                               f"({KEY_VAR} or {self.key_path})")
        try:
            data = json.loads(fernet.decrypt(self.path.read_bytes()))
        except InvalidToken:
            raise SecretsError(f"secrets store {self.path} cannot be opened with this key, or "
                               "it was changed or cut short") from None
        return data if isinstance(data, dict) else {"tenants": {}}

    def _save(self, data: dict[str, Any]) -> None:
        fernet = self._fernet(create=True)
        assert fernet is not None
        _write_private(self.path, fernet.encrypt(json.dumps(data).encode()))

    def _versions(self, data: dict[str, Any], slug: str, name: str) -> list[dict[str, Any]]:
        return data.setdefault("tenants", {}).setdefault(slug, {}).setdefault(name, [])

    def tenant_current(self, slug: str) -> dict[str, tuple[str, int] | None]:
        """Every secret of the tenant, one read of the file: name -> (value, version) in use,
        or None for a revoked one (which nothing may then take from elsewhere)."""
        found: dict[str, tuple[str, int] | None] = {}
        for name, versions in self._load().get("tenants", {}).get(slug, {}).items():
            if all(v["status"] == "revoked" for v in versions):
                found[name] = None
            for v in versions:
                if v["status"] == "current":
                    found[name] = (v["value"], v["version"])
        return found

    def put(self, slug: str, name: str, value: str, now: datetime, pending: bool = False) -> int:
        """A new version: current at once (the previous one retired), or pending a check."""
        data = self._load()
        versions = self._versions(data, slug, name)
        version = max((v["version"] for v in versions), default=0) + 1
        if not pending:
            for v in versions:
                if v["status"] in ("current", "pending"):
                    v["status"] = "retired"
        versions.append({"version": version, "value": value, "created_at": now.isoformat(),
                         "status": "pending" if pending else "current"})
        self._save(data)
        return version

    def settle(self, slug: str, name: str, version: int, passed: bool) -> None:
        """After a rotation's check: the pending version becomes current (the old one retired)
        or is marked failed (the old one stays current)."""
        data = self._load()
        versions = self._versions(data, slug, name)
        for v in versions:
            if passed and v["status"] == "current":
                v["status"] = "retired"
        for v in versions:
            if v["version"] == version:
                v["status"] = "current" if passed else "failed"
        self._save(data)

    def revoke(self, slug: str, name: str) -> int:
        """Every version revoked; returns how many there were."""
        data = self._load()
        versions = data.get("tenants", {}).get(slug, {}).get(name)
        if not versions:
            raise SecretsError(f"tenant {slug} has no secret {name}")
        for v in versions:
            v["status"] = "revoked"
        self._save(data)
        return len(versions)

    def listing(self, slug: str) -> list[SecretInfo]:
        """Each secret's newest version: name, version, status and date, never the value."""
        found = []
        for name, versions in sorted(self._load().get("tenants", {}).get(slug, {}).items()):
            newest = max(versions, key=lambda v: v["version"])
            shown = next((v for v in versions if v["status"] == "current"), newest)
            found.append(SecretInfo(name, shown["version"], shown["status"], shown["created_at"]))
        return found


BACKEND_VAR = "STEWARD_SECRETS_BACKEND"
ENV_PREFIX = "STEWARD_SECRET_"


class EnvironmentSecrets:
    """Development: each secret is the variable STEWARD_SECRET_<SLUG>_<NAME> (upper case,
    dashes as underscores). Read-only: Steward cannot set, rotate or revoke a variable."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        self.path = "the environment (STEWARD_SECRET_<SLUG>_<NAME>)"

    def _prefix(self, slug: str) -> str:
        return f"{ENV_PREFIX}{slug.upper().replace('-', '_')}_"

    def tenant_current(self, slug: str) -> dict[str, tuple[str, int] | None]:
        prefix = self._prefix(slug)
        return {k[len(prefix):].lower(): (v, 0) for k, v in self.environ.items()
                if k.startswith(prefix) and v}

    def listing(self, slug: str) -> list[SecretInfo]:
        return [SecretInfo(name, 0, "current", "-") for name in sorted(self.tenant_current(slug))]

    def _read_only(self, slug: str, name: str, *_: Any, **__: Any) -> Any:
        raise SecretsError(f"tenant {slug}: secrets come from the environment here "
                           f"({BACKEND_VAR}=env): set {self._prefix(slug)}{name.upper()} "
                           "instead")

    put = settle = revoke = _read_only


def secrets_store(environ: Mapping[str, str] | None = None) -> Any:
    """The configured backend: the encrypted file (the embedded default), the environment
    (`STEWARD_SECRETS_BACKEND=env`, read-only, for development) or Vault/OpenBao (`vault`,
    resources/secrets_vault.py). All answer the same calls: tenant_current, put, settle,
    revoke, listing."""
    environ = os.environ if environ is None else environ
    backend = (environ.get(BACKEND_VAR) or "file").lower()
    if backend == "file":
        return SecretsFile(environ)
    if backend == "env":
        return EnvironmentSecrets(environ)
    if backend == "vault":
        from resources.secrets_vault import VaultSecrets  # hvac loads only where it is used

        return VaultSecrets(environ)
    raise SecretsError(f"{BACKEND_VAR}={backend!r}: choose file, env or vault")

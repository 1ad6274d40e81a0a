"""A private Dovecot for the mailbox tests and the IMAP ingest benchmark.

`run_dovecot` starts the real IMAP server from the Debian package with its own config in a
temporary directory, on free loopback ports: implicit TLS and STARTTLS with a certificate made
here, password logins from a passwd-file and XOAUTH2 logins checked by Dovecot's oauth2 passdb
against a tiny token-info endpoint served from this process. No system service is involved.
Each caller takes accounts of its own (`DovecotServer.account`), so they never see each other's
mail. A failure to start raises RuntimeError with the end of Dovecot's log.

When run as root, Dovecot's own unprivileged users (dovecot, dovenull, from the package) run its
internal and login processes and mail is stored as `nobody`, because Dovecot refuses to give mail
access to root. Anyone else runs every part as themselves.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from imapclient import IMAPClient

from tests.mailbox.loopback import LoopbackServer, send_json
from tests.mailbox.tls import ServerCertificate, make_certificate

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def dovecot_installed() -> bool:
    return os.path.exists(DOVECOT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ImapAccount:
    user: str
    password: str
    server: DovecotServer

    def url(self, scheme: str = "imaps", folder: str = "INBOX", **query: str) -> str:
        """A mailbox URL for this account that trusts the test CA unless told otherwise."""
        port = self.server.imaps_port if scheme == "imaps" else self.server.imap_port
        query = {"cafile": str(self.server.cert.ca_file), **query}
        return f"{scheme}://{self.user}@127.0.0.1:{port}/{folder}?{urlencode(query)}"

    def client(self) -> IMAPClient:
        """A direct IMAP session (implicit TLS) to arrange or inspect the mailbox."""
        client = IMAPClient(
            "127.0.0.1",
            port=self.server.imaps_port,
            ssl=True,
            ssl_context=self.server.cert.client_context(),
            timeout=10,
        )
        client.login(self.user, self.password)
        return client

    def append(self, folder: str, messages: list[bytes], flags: tuple[bytes, ...] = ()) -> None:
        """APPEND `messages` to `folder` (created if missing), in order."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for message in messages:
                client.append(folder, message, flags=flags)


@dataclass
class DovecotServer:
    directory: Path
    cert: ServerCertificate
    imap_port: int
    imaps_port: int
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)  # OAuth access token -> user
    _free: Iterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self._free = iter(list(self.passwords))

    def account(self) -> ImapAccount:
        user = next(self._free)
        return ImapAccount(user, self.passwords[user], self)

    def issue_token(self, account: ImapAccount) -> str:
        token = "ya29." + secrets.token_urlsafe(24)
        self.tokens[token] = account.user
        return token

    def home(self, user: str) -> Path:
        """The account's home directory (its mail is in `Maildir` there), owned by the mail uid."""
        return self.directory / "home" / user

    def log(self) -> str:
        """The end of Dovecot's output and log, for a failure message."""
        paths = (self.directory / "dovecot.out", self.directory / "dovecot.log")
        text = "".join(p.read_text(errors="replace") for p in paths if p.exists())
        return text[-4000:]


class _TokenInfo(BaseHTTPRequestHandler):
    """Dovecot's oauth2 passdb asks here whether a bearer token is valid and whose it is."""

    server: Any

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        token = self.path.rsplit("=", 1)[-1]
        user = self.server.fake.get(token)
        status, body = (
            (200, {"email": user, "active": True}) if user else (401, {"error": "invalid_token"})
        )
        send_json(self, status, body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: Dovecot's log records every login."""


@dataclass(frozen=True)
class Identities:
    """Who Dovecot's processes run as, and who owns the stored mail."""

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int


def identities() -> Identities:
    if os.geteuid() != 0:  # cannot switch users: every part runs as this one
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(me.pw_gid).gr_name
        return Identities(me.pw_name, group, me.pw_name, me.pw_uid, me.pw_gid)
    for name in ("dovecot", "dovenull", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            raise RuntimeError(
                f"user {name!r} is missing; the dovecot-imapd package creates it"
            ) from None
    nobody = pwd.getpwnam("nobody")
    return Identities("dovecot", "dovecot", "dovenull", nobody.pw_uid, nobody.pw_gid)


def dovecot_config(
    directory: Path, cert: ServerCertificate, imap_port: int, imaps_port: int, token_url: str
) -> str:
    who = identities()
    return f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
default_internal_user = {who.internal_user}
default_internal_group = {who.internal_group}
default_login_user = {who.login_user}
first_valid_uid = 1
ssl = yes
ssl_cert = <{cert.cert_file}
ssl_key = <{cert.key_file}
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
# No listener for the auth penalty: otherwise each failed login from 127.0.0.1 delays the
# next one by up to 15 s, and the tests fail logins on purpose.
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {directory}/oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid={who.mail_uid} gid={who.mail_gid} home={directory}/home/%u
}}
"""


def _wait_for_ports(process: subprocess.Popen, server: DovecotServer) -> None:
    deadline = time.monotonic() + 15
    for port in (server.imap_port, server.imaps_port):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {process.returncode}:\n{server.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"dovecot did not listen on {port}:\n{server.log()}"
                    ) from None
                time.sleep(0.05)


@contextmanager
def run_dovecot(accounts: int = 60) -> Iterator[DovecotServer]:
    """A running Dovecot with `accounts` password accounts; stopped and removed on exit."""
    if not dovecot_installed():
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not a per-user temporary directory: Dovecot's mail processes run as another user when
    # started by root, and they need to reach their home directories.
    directory = Path(tempfile.mkdtemp(prefix="steward-dovecot-"))
    directory.chmod(0o755)
    tokens = LoopbackServer(_TokenInfo, {}).start()  # the fake: access token -> user
    process = None
    try:
        who = identities()
        (directory / "home").mkdir()
        os.chown(directory / "home", who.mail_uid, who.mail_gid)
        passwords = {f"user{n:02d}": secrets.token_urlsafe(12) for n in range(accounts)}
        (directory / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{pw}\n" for user, pw in passwords.items())
        )
        token_url = f"{tokens.url}/tokeninfo?access_token="
        (directory / "oauth2.conf.ext").write_text(
            f"tokeninfo_url = {token_url}\nusername_attribute = email\n"
        )
        server = DovecotServer(
            directory,
            make_certificate(directory),
            free_port(),
            free_port(),
            passwords,
            tokens.fake,
        )
        config = directory / "dovecot.conf"
        config.write_text(
            dovecot_config(directory, server.cert, server.imap_port, server.imaps_port, token_url)
        )
        with open(directory / "dovecot.out", "wb") as output:  # errors before the log opens
            process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT
            )
        _wait_for_ports(process, server)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        tokens.stop()
        shutil.rmtree(directory, ignore_errors=True)

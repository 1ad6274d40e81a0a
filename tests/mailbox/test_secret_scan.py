"""Planted secrets reach nothing a person or a model could be shown: after connecting a Gmail
mailbox with an OAuth grant, a tenant with a failing IMAP password, real Dagster runs of the
ingest and the cycle, a failed rotation and the status commands, no file under STEWARD_HOME
(the application database, Dagster's run and event storage, logs, rendered mail, exports)
and no command output holds a planted value or an access token that was issued."""

from __future__ import annotations

import socket
from pathlib import Path

import sqlalchemy as sa

from tests.cli import steward
from tests.mailbox.fake_gmail import FakeGmailServer
from tests.mailbox.fake_oauth import FakeOAuthServer
from tests.mailbox.mail import message

SECRET = "PLANTED-client-secret-5f3a9c"
REFRESH = "PLANTED-refresh-token-77be01"
PASSWORD = "PLANTED-imap-password-c4d2"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_planted_secret_reaches_logs_storage_or_output(
    fake_gmail: FakeGmailServer, fake_oauth: FakeOAuthServer, steward_env: Path,
    cli_env: dict[str, str],
) -> None:
    fake_oauth.fake.client_secret = SECRET
    fake_oauth.fake.refresh_tokens = {REFRESH}
    fake_gmail.fake.accepts = fake_oauth.fake.accepts
    for n in range(3):
        fake_gmail.fake.add(message(n + 1))
    env = {**cli_env, "STEWARD_OAUTH_TOKEN_URL": fake_oauth.token_url,
           "STEWARD_GMAIL_API_BASE": fake_gmail.url,
           "STEWARD_MAILBOX_PASSWORD_IMAP_CO": PASSWORD}
    outputs = []

    def run(*args: str, value: str | None = None, ok: bool = True) -> None:
        result = steward(env, *args, input=value, ok=ok)
        outputs.append(result.stdout + result.stderr)

    steward(env, "db", "upgrade")
    run("tenant", "add", "gmail-co", "--mailbox", f"gmail://{fake_gmail.fake.email}")
    run("tenant", "add", "imap-co", "--mailbox",
        f"imaps://owner@127.0.0.1:{_closed_port()}/INBOX")
    run("inbox", "connect", "gmail-co", "--provider", "google", "--client-id",
        fake_oauth.fake.client_id, value=f"{SECRET}\n{REFRESH}\n")
    run("run", "ingest", "--all")
    run("run", "cycle", "--all")
    run("secret", "rotate", "oauth_client_secret", "--tenant", "gmail-co",
        value=f"{SECRET}-wrong\n", ok=False)
    run("inbox", "status")
    run("secret", "list", "--tenant", "gmail-co")
    run("secret", "audit", "--tenant", "gmail-co")
    run("secret", "audit", "--tenant", "imap-co")

    issued = list(fake_oauth.fake.issued)
    assert issued, "the ingest never asked for an access token"
    planted = [SECRET, REFRESH, PASSWORD, *issued]
    home = Path(env["STEWARD_HOME"])
    files = [p for p in home.rglob("*") if p.is_file()]
    assert len(files) > 5 and any(p.name == "secrets.enc" for p in files)
    leaks = [(str(p.relative_to(home)), s[:16]) for p in files for s in planted
             if s.encode() in p.read_bytes()]
    leaks += [("output", s[:16]) for text in outputs for s in planted if s in text]
    database = _postgres_text(env)
    assert not env.get("STEWARD_DATABASE_ADMIN_URL") or "oauth_refresh_token" in database
    leaks += [("postgres", s[:16]) for s in planted if s in database]
    assert leaks == []
    assert "imap-co" in outputs[-4] and "unreachable" in outputs[-4]  # the failure was shown


def _postgres_text(env: dict[str, str]) -> str:
    """Every row of every table of the application's PostgreSQL database, as text (nothing on
    SQLite: its file is scanned with the others)."""
    admin = env.get("STEWARD_DATABASE_ADMIN_URL")
    if not admin:
        return ""
    engine = sa.create_engine(admin)
    try:
        with engine.connect() as conn:
            tables = conn.execute(sa.text(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname IN ('public', 'analytics')")).scalars().all()
            return "\n".join(str(row) for t in tables
                             for row in conn.execute(sa.text(f"SELECT t::text FROM {t} t")))
    finally:
        engine.dispose()

"""Fixtures for the mailbox sources: a private Dovecot (tests/mailbox/dovecot.py), and a fake
Gmail API.

`dovecot` is one server for the whole session, skipped when Dovecot is not installed (and a
failure under CI, which installs it); each test gets an account of its own (`imap_account`), so
tests never see each other's mail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.mailbox.dovecot import DovecotServer, ImapAccount, dovecot_installed, run_dovecot
from tests.mailbox.fake_gmail import FakeGmail, FakeGmailServer
from tests.mailbox.fake_oauth import FakeOAuth, FakeOAuthServer
from tests.mailbox.openbao import OpenBao, run_openbao

ACCOUNTS = 60  # one per test that needs a mailbox, with room to spare


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    if not dovecot_installed():
        if os.environ.get("CI"):
            pytest.fail("dovecot is required in CI (.ci/run installs dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with ExitStack() as stack:
        try:
            server = stack.enter_context(run_dovecot(ACCOUNTS))
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield server


@pytest.fixture
def imap_account(dovecot: DovecotServer) -> ImapAccount:
    """An account with an empty mailbox, used by this test only."""
    return dovecot.account()


@pytest.fixture
def fake_gmail() -> Iterator[FakeGmailServer]:
    """A fresh fake Gmail API per test, on its own port."""
    server = FakeGmailServer(FakeGmail()).start()
    yield server
    server.stop()


@pytest.fixture
def fake_oauth() -> Iterator[FakeOAuthServer]:
    """A token endpoint per test, on its own port."""
    server = FakeOAuthServer(FakeOAuth()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    """One OpenBao dev server for the session (tenants' paths keep tests apart)."""
    try:
        with run_openbao(tmp_path_factory.mktemp("openbao")) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))

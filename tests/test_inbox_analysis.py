"""Analysing fetched mail in worker processes gives what analysing it here gives, in order; the
fetch lookahead hands out every batch fetched before a failure, then the failure."""

from __future__ import annotations

import email
from pathlib import Path
from typing import Any

import pytest

import services.inbox.analysis as analysis
from agent.mail.model import RawMail
from resources.mailbox import FetchResult, MailboxUnreachableError, MailSource
from services.inbox.analysis import Analyser, fetch_analysed
from tests.mailbox.mail import message


def corpus() -> list[RawMail]:
    """Plain mail, and CPython's collection of odd and broken messages when it is installed."""
    data = [message(n) for n in range(1, 21)] + [b"\x00\x01 not mail at all \xff", b""]
    folder = Path(email.__file__).parent.parent / "test" / "test_email" / "data"
    data += [path.read_bytes() for path in sorted(folder.glob("msg_*.txt"))]
    return [RawMail(str(n), "INBOX", raw) for n, raw in enumerate(data)]


def fields(items: list) -> list[tuple]:
    return [(i.raw, i.msg, i.facts, i.direction, i.quarantine) for i in items]


def test_worker_processes_give_the_same_items_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = corpus()
    own = ["example.com"]
    with Analyser(own, 2000, workers=1) as here:
        expected = fields(here.submit(raws).items())
    monkeypatch.setattr(analysis, "POOL_MIN", 10)
    with Analyser(own, 2000, workers=2) as pooled:
        small = pooled.submit(raws[:5])
        assert pooled._pool is None  # a small batch is analysed here
        assert fields(pooled.submit(raws).items()) == expected
        assert pooled._pool is not None
    assert fields(small.items()) == expected[:5]


class Batches(MailSource):
    """Three batches of two messages, then the server goes away."""

    identity = "fake"

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def fetch(self, checkpoint: dict[str, Any] | None, limit: int | None = None) -> FetchResult:
        position = (checkpoint or {}).get("n", 0)
        self.calls.append(position)
        if position == 3:
            raise MailboxUnreachableError("gone")
        raws = [RawMail(f"{position}.{k}", "INBOX", message(2 * position + k)) for k in (1, 2)]
        return FetchResult(raws, {"n": position + 1}, ["INBOX"], more=True)

    def probe(self) -> str:
        return "fake"

    def close(self) -> None:
        pass


def test_batches_before_a_failed_fetch_are_handed_out_first() -> None:
    source = Batches()
    seen = []
    with Analyser([], 2000, workers=1) as analyser:
        batches = fetch_analysed(source, None, 2, analyser)
        with pytest.raises(MailboxUnreachableError):
            for result, items in batches:
                seen.append((result.checkpoint["n"], [i.raw.source_key for i in items]))
    assert seen == [(1, ["0.1", "0.2"]), (2, ["1.1", "1.2"]), (3, ["2.1", "2.2"])]
    assert source.calls == [0, 1, 2, 3]

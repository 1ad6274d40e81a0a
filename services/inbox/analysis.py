"""Fetched mail turned into `Item`s: one message at a time, and large batches on every core.

`process` parses and analyses one message. `Analyser` runs it over a batch: a small batch (the
usual incremental sync) in this process, a large one (a first sync, a backlog) split over a pool
of worker processes, one per core, started the first time a batch needs them and kept until the
sync ends. The items are the same either way, in the fetched order. Workers come from a fork
server (a clean single-threaded process started once), not from forking this one: the Dagster
run process has threads, and a child forked from it can inherit a lock another thread held.
`fetch_analysed` reads a mailbox batch by batch; with workers, the next batch is fetched while
they analyse the current one, and analysed while the caller stores the one before.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any

from agent.mail.analyze import analyze
from agent.mail.batch import Item, is_own
from agent.mail.model import RawMail
from agent.mail.parse import parse_message
from resources.mailbox.base import FetchResult, MailSource

POOL_MIN = 200  # messages in a batch before worker processes are worth their start (~1 s)
CHUNKS_PER_WORKER = 4  # a batch is split finer than one part per worker, to even out the load
PRELOAD = ["sklearn.feature_extraction.text", "sklearn.linear_model", "sklearn.pipeline"]


def process(raw: RawMail, own: list[str], max_attachment_bytes: int) -> Item:
    """Parse and analyse one message; whatever goes wrong quarantines it, never the batch."""
    msg = parse_message(raw.data, max_attachment_bytes)
    direction = "out" if msg.sender and is_own(msg.sender.email, own) else "in"
    if msg.fatal:
        return Item(raw, msg, None, direction, f"unreadable: {'; '.join(msg.errors)[:500]}")
    try:
        facts = analyze(msg, own)
    except Exception as exc:  # a bug in one rule must not lose the message or stop the batch
        return Item(raw, msg, None, direction, f"analysis failed: {type(exc).__name__}: {exc}")
    quarantine = f"mail loop: {facts.loop_suspected}" if facts.loop_suspected else None
    return Item(raw, msg, facts, direction, quarantine)


def _process_all(raws: list[RawMail], own: list[str], max_attachment_bytes: int) -> list[Item]:
    return [process(raw, own, max_attachment_bytes) for raw in raws]


def _start_method() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Imported once by the fork server, not by every worker of every sync: the classifier's
    # scikit-learn alone took each new worker 1.6 s of CPU. No effect once it is running.
    context.set_forkserver_preload([__name__, *PRELOAD])
    return context


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class AnalysedBatch:
    """A batch being analysed; `items()` waits for it."""

    def __init__(self, parts: list[Future[list[Item]]] | None = None,
                 items: list[Item] | None = None):
        self._parts = parts or []
        self._items = items

    def items(self) -> list[Item]:
        if self._items is None:
            self._items = [item for part in self._parts for item in part.result()]
        return self._items


class Analyser:
    """`process` over batches, in worker processes when a batch is large; a context manager that
    stops its workers on exit. `workers` 0 means one per core; 1 means never a pool."""

    def __init__(self, own: list[str], max_attachment_bytes: int, workers: int = 0):
        self.own = own
        self.max_attachment_bytes = max_attachment_bytes
        self.workers = workers or cores()
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, raws: list[RawMail]) -> AnalysedBatch:
        if self.workers < 2 or len(raws) < POOL_MIN:
            return AnalysedBatch(items=_process_all(raws, self.own, self.max_attachment_bytes))
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_start_method())
        size = math.ceil(len(raws) / (self.workers * CHUNKS_PER_WORKER))
        return AnalysedBatch(parts=[
            self._pool.submit(_process_all, raws[start:start + size], self.own,
                              self.max_attachment_bytes)
            for start in range(0, len(raws), size)
        ])

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def fetch_analysed(
    source: MailSource, checkpoint: dict[str, Any] | None, limit: int, analyser: Analyser
) -> Iterator[tuple[FetchResult, list[Item]]]:
    """Every batch from `checkpoint` until nothing new is left, with its items, in order.

    Each fetch happens one batch ahead of the caller. A fetch that fails is raised only after
    the batch before it was handed out, so the caller stores exactly what it would have stored
    without the lookahead (fetching is read-only, so fetching early changes nothing else).
    """
    result = source.fetch(checkpoint, limit=limit)
    batch = analyser.submit(result.messages)
    while result.more:
        try:
            following = source.fetch(result.checkpoint, limit=limit)
        except Exception:
            yield result, batch.items()
            raise
        next_batch = analyser.submit(following.messages)
        yield result, batch.items()
        result, batch = following, next_batch
    yield result, batch.items()

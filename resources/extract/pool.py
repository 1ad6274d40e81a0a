"""Extraction in worker processes. PDFium is not thread-safe and parsers have open hang
reports, so each worker is a spawned process (never a fork of the threaded Dagster process)
reading one file at a time under an address-space limit; the parent gives each file a deadline,
kills a worker that passes it, and starts another, so one bad file costs its timeout and the
queue goes on."""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path

from resources.extract.extractor import extract_file
from resources.extract.model import Extraction, Limits, memory_limit

Extract = Callable[[Path, Limits], Extraction]
CONTEXT = multiprocessing.get_context("spawn")


def _work(conn: Connection, extract: Extract, limits: Limits) -> None:
    limit = limits.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        try:
            result = extract(path, limits)
        except MemoryError:
            result = None
        if result is None:  # the heap may be in pieces: report and let the parent replace us
            conn.send(memory_limit(limits))
            return
        conn.send(result)


class _Worker:
    def __init__(self, extract: Extract, limits: Limits):
        self.conn, child = CONTEXT.Pipe()
        self.process = CONTEXT.Process(target=_work, args=(child, extract, limits), daemon=True)
        self.process.start()
        child.close()
        self.path: Path | None = None
        self.deadline = 0.0

    def give(self, path: Path, timeout_s: float) -> None:
        self.path, self.deadline = path, time.monotonic() + timeout_s
        self.conn.send(path)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class ExtractorPool:
    def __init__(self, workers: int = 2, limits: Limits = Limits(),  # noqa: B008
                 extract: Extract = extract_file):
        self.size, self.limits, self.extract = max(1, workers), limits, extract
        self._workers: list[_Worker] = []

    def __enter__(self) -> ExtractorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def _fresh(self) -> _Worker:
        worker = _Worker(self.extract, self.limits)
        self._workers.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self._workers.remove(worker)

    def map(self, paths: Iterable[Path]) -> Iterator[tuple[Path, Extraction]]:
        """Each path with its result, as each finishes; all workers kept busy."""
        waiting = deque(paths)
        try:
            while waiting or any(w.path for w in self._workers):
                for dead in [w for w in self._workers if w.path is None
                             and not w.process.is_alive()]:  # killed while idle (OOM killer)
                    self._replace(dead)
                idle = [w for w in self._workers if w.path is None]
                while waiting and (idle or len(self._workers) < self.size):
                    worker = idle.pop() if idle else self._fresh()
                    worker.give(waiting.popleft(), self.limits.timeout_s)
                busy = [w for w in self._workers if w.path is not None]
                soonest = min(w.deadline for w in busy) - time.monotonic()
                ready = wait([w.conn for w in busy], timeout=max(0.0, soonest))
                for worker in busy:
                    if worker.conn in ready:
                        yield from self._collect(worker)
                    elif time.monotonic() >= worker.deadline:
                        path = worker.path
                        self._replace(worker)
                        yield path, Extraction("failed", "unknown", error=(
                            f"timeout: extraction took longer than {self.limits.timeout_s:g} s"))
        finally:  # the caller stopped early: a file still in a worker must not answer a later map
            for worker in [w for w in self._workers if w.path is not None]:
                self._replace(worker)

    def _collect(self, worker: _Worker) -> Iterator[tuple[Path, Extraction]]:
        path, worker.path = worker.path, None
        try:
            result = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(5)
            code = worker.process.exitcode
            self._replace(worker)
            how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
            yield path, Extraction("failed", "unknown", error=f"worker crashed ({how})")
            return
        if result.error and result.error.startswith("memory limit"):
            self._replace(worker)
        yield path, result

"""A dispatcher pass's hand-over steps for SMTP mail (protocol: resources/store/outbox.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from queue import SimpleQueue
from typing import Any

import sqlalchemy as sa

from resources.database import Database, TenantScope
from resources.database.scoping import scope_statement
from resources.store.schema import outbox

SENT_COLUMNS = ("status", "sent_at", "send_mode", "provider", "provider_ref", "last_error",
                "claimed_by")


class Handover:
    """The hand-over steps of a dispatcher's pass, on a thread and a connection of their own, one
    short transaction and one statement per message, so that the database's commit overlaps the
    SMTP exchange instead of adding to it.

    `sending(row)` is asked for before MAIL FROM and waited for right before DATA: the message
    is never handed over before its row is durably `sending`. The same UPDATE records the
    previous message as `sent`; until then that row stays `sending`, so a crash in between leaves
    it delivery_unknown, the window its own reply has. A message refused before DATA has its row
    settled by the caller after the step is done (`settle` overwrites the status). The
    statements are built and scoped to the tenant once per pass.
    """

    def __init__(self, db: Database, slug: str, worker: str):
        self.db, self.slug, self.worker = db, slug, worker
        self._sent: dict[str, Any] | None = None
        self._jobs: SimpleQueue = SimpleQueue()
        ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name=f"handover-{slug}")
        self._thread.start()
        ready.result()

    def sending(self, row_id: int, now: datetime, message_id: str | None) -> Future:
        """A future: True once the row is `sending`, False if another dispatcher took it."""
        sent, self._sent = self._sent, None
        params = {**(sent or NOTHING_SENT), "row_id": row_id, "worker": self.worker, "now": now,
                  "mid": message_id}
        return self._submit(lambda scope: row_id in {
            r[0] for r in scope.conn.execute(self._both, params)})

    def sent(self, row_id: int, now: datetime, **values: Any) -> None:
        """Record a delivered message (every one of SENT_COLUMNS given) with the next step."""
        self.flush()
        self._sent = {"sent_id": row_id, "now": now,
                      **{f"v_{c}": values[c] for c in SENT_COLUMNS}}

    def flush(self) -> None:
        sent, self._sent = self._sent, None
        if sent is not None:
            self._submit(lambda scope: scope.conn.execute(self._record_sent, sent)).result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._jobs.put(None)
            self._thread.join()

    def _submit(self, job: Callable[[TenantScope], Any]) -> Future:
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    def _run(self, ready: Future) -> None:
        try:
            with self.db.steps(self.slug) as steps:
                self._build(steps.tenant.id)
                ready.set_result(None)
                while (item := self._jobs.get()) is not None:
                    job, future = item
                    try:
                        with steps.step() as scope:
                            result = job(scope)
                    except Exception as exc:  # the caller's future raises it
                        future.set_exception(exc)
                    else:  # only once committed: the lane sends DATA the moment it is told
                        future.set_result(result)
        except Exception as exc:  # the database could not be reached: the pass fails with it
            if not ready.done():
                ready.set_exception(exc)
            raise

    def _build(self, tenant_id: int) -> None:
        current = outbox.c.id == sa.bindparam("row_id")

        def kept(column: str) -> Any:  # the row being marked keeps it; the sent one gets it
            return sa.case((current, outbox.c[column]), else_=sa.bindparam(f"v_{column}"))

        now = sa.bindparam("now")
        self._both = scope_statement(
            sa.update(outbox)
            .where(outbox.c.id.in_([sa.bindparam("row_id"), sa.bindparam("sent_id")]),
                   sa.or_(~current, sa.and_(outbox.c.status == "claimed",
                                            outbox.c.claimed_by == sa.bindparam("worker"))))
            .values(status=sa.case((current, "sending"), else_=sa.bindparam("v_status")),
                    claimed_at=sa.case((current, now), else_=outbox.c.claimed_at),
                    message_id=sa.case((current, sa.bindparam("mid")),
                                       else_=outbox.c.message_id),
                    updated_at=now, **{c: kept(c) for c in SENT_COLUMNS if c != "status"})
            .returning(outbox.c.id), tenant_id)
        self._record_sent = scope_statement(
            sa.update(outbox).where(outbox.c.id == sa.bindparam("sent_id"))
            .values(updated_at=sa.bindparam("now"),
                    **{c: sa.bindparam(f"v_{c}") for c in SENT_COLUMNS}), tenant_id)


NOTHING_SENT = {"sent_id": -1, **{f"v_{c}": None for c in SENT_COLUMNS}}

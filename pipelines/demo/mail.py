"""Demo inbox: a Maildir of inbound messages from a tenant's clients, one of each kind the inbox
rules must tell apart, then a realistic mix.

Messages are written with fixed Message-IDs, Date headers, MIME boundaries and file names (the
email package and `mailbox.Maildir.add` would otherwise draw them from the clock and the global
random generator), so one seed gives byte-identical files under identical names.
"""

from __future__ import annotations

import mailbox
import os
import random
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

from faker import Faker

from pipelines.demo.mail_context import MailContext
from pipelines.demo.mail_kinds import BUILDERS, KINDS, MIX
from pipelines.demo.spec import Row, TenantSpec

# Headers are folded only past the RFC 5322 limit: a Message-ID longer than a 78-character line
# (our feedback requests' are) would otherwise be RFC 2047-encoded, which no client does.
WIRE = policy.default.clone(max_line_length=998)


def set_boundaries(msg: EmailMessage, number: int) -> None:
    """Name every multipart boundary; the email package would draw them from the global random."""
    for i, part in enumerate(msg.walk()):
        if part.is_multipart() and part.get_boundary() is None:
            part.set_boundary(f"=_demo_{number:04d}_{i}")


def deliver(root: Path, name: str, msg: EmailMessage, when: datetime) -> Path:
    """Maildir delivery (write to tmp/, rename into new/) under a name we choose."""
    data = msg.as_bytes(policy=WIRE)
    temporary, final = root / "tmp" / name, root / "new" / name
    temporary.write_bytes(data)
    os.replace(temporary, final)
    stamp = when.timestamp()
    os.utime(final, (stamp, stamp))
    return final


WEEK = 7 * 24 * 60
# A prospect's question came in the last day, so the first cycle answers it from the documents.
AGE_MINUTES = {"inquiry": 24 * 60}


def write_maildir(root: Path, spec: TenantSpec, rows: dict[str, list[Row]], count: int,
                  seed: int, now: datetime, requests: dict[str, str] | None = None
                  ) -> dict[str, int]:
    """Write `count` messages into the Maildir at `root`; returns how many of each kind.
    `requests` are the Message-IDs of the orders' feedback requests (mail_context.request_ids),
    which the clients' feedback answers reply to."""
    mailbox.Maildir(root, create=True)
    ctx = MailContext(rng=random.Random(f"{seed + spec.index}:mail"), fake=Faker("en_US"),
                      spec=spec, now=now, rows=rows, requests=requests or {})
    ctx.fake.seed_instance(f"{seed + spec.index}:mail")
    if not ctx.people():
        return {}
    kinds = list(KINDS[:count])
    kinds += ctx.rng.choices(list(MIX), weights=list(MIX.values()), k=count - len(kinds))
    written: dict[str, int] = {}
    for number, kind in enumerate(kinds, start=1):
        ctx.number = number
        ctx.date = now - timedelta(minutes=ctx.rng.randint(30, AGE_MINUTES.get(kind, WEEK)))
        msg = BUILDERS[kind](ctx)
        # Ground truth for tests and classifier evaluation; real mail has no such header.
        msg["X-Demo-Kind"] = kind
        set_boundaries(msg, number)
        deliver(root, f"{int(ctx.date.timestamp())}.M{number:06d}P{spec.index}.{spec.slug}",
                msg, ctx.date)
        written[kind] = written.get(kind, 0) + 1
    return written

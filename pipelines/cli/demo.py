"""`steward demo`: deterministic demo tenants, or many more for a benchmark."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from pipelines.cli.common import out, ready_database
from pipelines.instance import get_instance
from resources.paths import steward_home
from sensors.tenants import sync_partitions


def demo(
    tenants: int = typer.Option(3, min=1, help="Number of demo tenants."),
    contacts: int = typer.Option(120, min=1, help="Contacts per tenant."),
    accounts: int = typer.Option(25, min=1, help="Accounts per tenant."),
    orders: int = typer.Option(60, min=0, help="Orders per tenant."),
    deals: int = typer.Option(30, min=0, help="Deals per tenant."),
    quotes: int = typer.Option(20, min=0, help="Quotes per tenant."),
    messages: int = typer.Option(40, min=0, help="Inbound mails per tenant."),
    seed: int = typer.Option(42, help="Same seed, same data."),
    out_dir: Path = typer.Option(None, "--out", help="Where Maildirs and documents go."),
    files: bool = typer.Option(True, "--files/--no-files", help="Write Maildir and documents."),
) -> None:
    """(Re)create demo tenants: accounts, contacts, orders, deals, quotes, mail, documents."""
    from pipelines.demo import DemoSize, generate_demo  # Faker and the PDF writer load slowly

    db = ready_database()
    size = DemoSize(
        tenants=tenants,
        contacts=contacts,
        accounts=accounts,
        orders=orders,
        deals=deals,
        quotes=quotes,
        messages=messages,
    )
    target = out_dir or steward_home() / "demo"
    with Progress(transient=True) as progress:
        task = progress.add_task("demo data", total=tenants)

        def advance(label: str, done: int) -> None:
            progress.update(task, completed=done, description=label)

        summary = generate_demo(
            db, target, size=size, seed=seed, progress=advance, write_files=files
        )
    sync_partitions(get_instance(), [t.slug for t in db.tenants()])
    for row in summary.tenants:
        out.print("\t".join(f"{k}={v}" for k, v in row.items()), highlight=False)

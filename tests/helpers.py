"""Small builders shared by tests: tenants with a few rows each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resources import schema
from resources.database import Database
from resources.registry import add_tenant


def seed_tenant(db: Database, slug: str, contacts: int = 3, touched_days_ago: int = 5) -> None:
    """A tenant with one account and `contacts` contacts touched `touched_days_ago` days ago."""
    add_tenant(db, slug)
    touched = datetime.now(UTC) - timedelta(days=touched_days_ago)
    with db.for_tenant(slug) as scope:
        scope.insert(schema.accounts, {"name": f"{slug} account", "credit_limit": 1000})
        scope.insert(schema.contacts, [
            {"email": f"c{i}@{slug}.example", "full_name": f"Contact {i}", "last_touch_at": touched}
            for i in range(contacts)
        ])

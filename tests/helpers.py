"""Small builders shared by tests: tenants with a few rows each."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant

STEWARD = [sys.executable, "-c", "from pipelines.cli import main; main()"]


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


def steward(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    """Run the CLI as a user would; `ok=False` expects one `error: ...` line and a failure."""
    result = subprocess.run(
        [*STEWARD, *args], env=env, capture_output=True, text=True, timeout=300
    )
    if ok:
        assert result.returncode == 0, result.stderr[-3000:]
    else:
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-3000:]
    return result

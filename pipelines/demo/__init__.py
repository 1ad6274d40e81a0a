"""Demo data: realistic tenants with clients, contacts, orders, deals, quotes, a Maildir inbox and
documents, including the bad and stale cases the agent's rules exist to catch.

`generate_demo` builds and loads everything; `build_tenant_rows` and `load_rows` /
`resolve_links` are the pieces a benchmark reuses to bulk-load many tenants without files.
"""

from pipelines.demo.generate import demo_clock, generate_demo
from pipelines.demo.orders import DEFECTS
from pipelines.demo.rows import build_tenant_rows
from pipelines.demo.spec import DemoSize, DemoSummary, TenantSpec, tenant_spec
from resources.store.records import load_rows, resolve_links

__all__ = [
    "DEFECTS",
    "DemoSize",
    "DemoSummary",
    "TenantSpec",
    "build_tenant_rows",
    "demo_clock",
    "generate_demo",
    "load_rows",
    "resolve_links",
    "tenant_spec",
]

"""Research briefs from what Steward has recorded about an account or a contact.

No web is reachable from here, so the brief says so and keeps to the tenant's own records: the
account, its people, their recent mail, orders and deals. Asked about someone Steward has no
record of, the task is blocked for a person rather than answered with an empty brief.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import accounts, contacts, deals, messages, orders
from services.tasks.run import Outcome, TaskRun

TOP_ACCOUNTS = 3
RECENT = 10
NO_WEB = (
    "_From Steward's own records only: no web access here, so nothing public about them "
    "(website, news, filings) is included._"
)
Subject = tuple[dict[str, Any] | None, list[dict[str, Any]]]  # (account, its contacts)


def research_brief(run: TaskRun) -> Outcome:
    """A brief on context["account"] or context["contact"] (a name or an email address), or,
    when the task names neither, on the tenant's top accounts by order value."""
    asked = run.text("account", "contact")
    with run.db.for_tenant(run.tenant.slug) as scope:
        if asked:
            found = _find(scope, asked)
            subjects = [found] if found is not None else []
        else:
            subjects = _top_accounts(scope)
        sections = [line for subject in subjects for line in _dossier(scope, *subject)]
    if asked and not subjects:
        return Outcome(
            "blocked",
            f"Steward has no account or contact matching {asked!r}; research beyond its own "
            "records needs a person",
        )
    if not subjects:
        return Outcome("blocked", "no accounts recorded yet: nothing to research internally")
    about = asked or f"top {len(subjects)} account(s) by order value"
    lines = [f"# Research brief: {about}", "", NO_WEB, "", *sections]
    path = run.write(".md", "\n".join(lines) + "\n")
    people = sum(len(people) for _, people in subjects)
    return Outcome(
        "completed", f"research brief on {about}: {people} contact(s) on record", str(path)
    )


def _find(scope: TenantScope, asked: str) -> Subject | None:
    """An account by name, else a contact by email or name (with their account, if any), else
    an account whose name contains the words asked."""
    wanted = asked.strip().lower()
    account = _one(scope, accounts, sa.func.lower(accounts.c.name) == wanted)
    if account is None:
        contact = _one(
            scope,
            contacts,
            sa.or_(
                sa.func.lower(contacts.c.email) == wanted,
                sa.func.lower(contacts.c.full_name) == wanted,
            ),
        )
        if contact is not None and contact["account_id"] is None:
            return None, [contact]
        if contact is not None:
            account = _one(scope, accounts, accounts.c.id == contact["account_id"])
    if account is None:
        account = _one(scope, accounts, accounts.c.name.icontains(wanted, autoescape=True))
    return (account, _people(scope, account["id"])) if account is not None else None


def _top_accounts(scope: TenantScope) -> list[Subject]:
    value = sa.func.sum(orders.c.total_amount)
    ranked = list(
        scope.execute(
            scope.select(orders.c.account_id)
            .where(orders.c.account_id.is_not(None))
            .group_by(orders.c.account_id)
            .order_by(value.desc().nulls_last(), orders.c.account_id)
            .limit(TOP_ACCOUNTS)
        ).scalars()
    )
    if len(ranked) < TOP_ACCOUNTS:  # accounts without orders yet, by name
        ranked += scope.execute(
            scope.select(accounts.c.id)
            .where(accounts.c.id.not_in(ranked))
            .order_by(accounts.c.name)
            .limit(TOP_ACCOUNTS - len(ranked))
        ).scalars()
    rows = {
        r["id"]: dict(r)
        for r in scope.execute(scope.select(accounts).where(accounts.c.id.in_(ranked))).mappings()
    }
    return [(rows[i], _people(scope, i)) for i in ranked if i in rows]


def _dossier(scope: TenantScope, account: dict | None, people: list[dict]) -> list[str]:
    account_id = account["id"] if account is not None else None
    ids = [p["id"] for p in people]
    if account is None:
        lines = [f"## {_name(people[0])} (no account on record)", ""]
    else:
        lines = [f"## {account['name']}", "", *_account_facts(account), ""]
    lines += ["### Contacts", ""]
    lines += [f"- {_name(p)}{_touched(p)}" for p in people] or ["(none on record)"]
    count, total = scope.execute(
        scope.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(orders.c.total_amount), 0)
        ).where(_about(orders, account_id, ids))
    ).one()
    latest = f"; the latest {RECENT} below" if count > RECENT else ""
    lines += ["", f"### Orders ({count}, {total:,.2f} in total{latest})", ""]
    lines += [
        f"- {r['order_number']} {r['status']} {r['total_amount'] or 0:,.2f} "
        f"on {r['ordered_at']:%Y-%m-%d}"
        for r in _rows(scope, orders, _about(orders, account_id, ids), orders.c.ordered_at)
    ] or ["(none)"]
    lines += ["", "### Deals", ""]
    lines += [
        f"- {r['title']}: {r['stage']}, {r['amount']:,.2f}"
        for r in _rows(scope, deals, _about(deals, account_id, ids), deals.c.amount)
    ] or ["(none)"]
    dated = sa.and_(_about(messages, account_id, ids), messages.c.sent_at.is_not(None))
    lines += ["", "### Recent messages", ""]
    lines += [
        f"- {r['sent_at']:%Y-%m-%d} {r['direction']} {r['from_addr'] or '?'}: "
        f"{r['subject'] or '(no subject)'}"
        for r in _rows(scope, messages, dated, messages.c.sent_at)
    ] or ["(none)"]
    return [*lines, ""]


def _about(table: sa.Table, account_id: int | None, contact_ids: list[int]) -> Any:
    """Rows of the account or of its people (an order may name only the contact)."""
    theirs = table.c.contact_id.in_(contact_ids)
    return theirs if account_id is None else sa.or_(table.c.account_id == account_id, theirs)


def _account_facts(account: dict) -> list[str]:
    facts = [
        ("Industry", account["industry"]),
        ("Website", account["website"]),
        ("Billing", f"{account['billing_type']}, terms {account['terms'] or 'not set'}"),
        ("Credit limit", f"{account['credit_limit']:,.2f}"),
        ("Outstanding balance", f"{account['outstanding_balance']:,.2f}"),
        ("Active", "yes" if account["active"] else "no"),
    ]
    return [f"- {label}: {value}" for label, value in facts if value]


def _people(scope: TenantScope, account_id: int) -> list[dict]:
    query = scope.select(contacts).where(contacts.c.account_id == account_id)
    return [dict(r) for r in scope.execute(query.order_by(contacts.c.id)).mappings()]


def _one(scope: TenantScope, table: sa.Table, where: Any) -> dict | None:
    row = scope.execute(scope.select(table).where(where).order_by(table.c.id)).mappings().first()
    return dict(row) if row is not None else None


def _rows(scope: TenantScope, table: sa.Table, where: Any, newest: Any) -> list[dict]:
    """The first RECENT rows by `newest` (or largest), descending."""
    query = scope.select(table).where(where).order_by(newest.desc(), table.c.id.desc())
    query = query.limit(RECENT)
    return [dict(r) for r in scope.execute(query).mappings()]


def _name(person: dict) -> str:
    name = person["full_name"] or " ".join(
        p for p in (person["first_name"], person["last_name"]) if p
    )
    email = f" <{person['email']}>" if person["email"] else ""
    title = f", {person['title']}" if person["title"] else ""
    return f"{name or person['email'] or 'contact ' + str(person['id'])}{email}{title}"


def _touched(person: dict) -> str:
    last = person["last_touch_at"]
    return f", last touched {last:%Y-%m-%d}" if last else ", never touched"

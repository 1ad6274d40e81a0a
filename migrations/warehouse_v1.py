"""Version 1 of the warehouse event catalog: which change to which table writes which event.

Events are written by database triggers, so they land in the same transaction as the change
they describe whoever makes it: Steward's stores, the CLI, or the tenant's own order system
writing the orders table. A trigger fires only when a row really changes, and each event has a
natural key (`ON CONFLICT DO NOTHING` / `INSERT OR IGNORE`), so a rerun that changes nothing
writes nothing and an event is never counted twice.

On PostgreSQL an insert event is a statement-level trigger (transition tables: a COPY of 500
touches writes its 500 events in one INSERT ... SELECT) and a status change a row-level
trigger with a WHEN condition, so the many updates that change nothing of interest (a
dispatcher's claims) call no function; SQLite runs row-level triggers. Both are generated from
the same expressions, written with `{n}` (the new row) and `{o}` (the old).
Payloads hold ids, statuses, amounts and reasons, never addresses or message text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VERSION = 1

# The occurred-at of a status change: the writer's updated_at when it moved it, else the time
# of the change (a writer that does not keep updated_at still lands on the right day).
CHANGED_AT = ("CASE WHEN {n}.updated_at IS DISTINCT FROM {o}.updated_at THEN {n}.updated_at "
              "ELSE CURRENT_TIMESTAMP END")

# For a touch of ours, the earliest touch from the contact since our previous one: what it
# answered (NULL: it answered nothing), so response times are one aggregation of the events.
ANSWERS_SINCE = (
    "CASE WHEN {n}.touch_type <> 'email_in' AND {n}.contact_id IS NOT NULL THEN "
    "(SELECT min(t.occurred_at) FROM touches t WHERE t.tenant_id = {n}.tenant_id "
    "AND t.contact_id = {n}.contact_id AND t.touch_type = 'email_in' "
    "AND t.occurred_at < {n}.occurred_at AND NOT EXISTS (SELECT 1 FROM touches u "
    "WHERE u.tenant_id = {n}.tenant_id AND u.contact_id = {n}.contact_id "
    "AND u.touch_type <> 'email_in' AND u.occurred_at > t.occurred_at "
    "AND u.occurred_at < {n}.occurred_at)) END"
)


@dataclass(frozen=True)
class Event:
    name: str
    table: str
    operation: str  # INSERT | UPDATE
    event_type: str
    key: str
    occurred_at: str
    entity_type: str
    payload: dict[str, str]
    when: str | None = None
    entity_id: str = "{n}.id"
    watch: tuple[str, ...] = field(default=("status",))
    # Which existing rows a status change is written for when the catalog is installed (the
    # row's current status as one change from nothing); None: not backfilled.
    backfill: str | None = None


EVENTS: tuple[Event, ...] = (
    Event("order_placed", "orders", "INSERT", "order_placed",
          "'order_placed:' || {n}.id", "{n}.ordered_at", "order",
          {"order_number": "{n}.order_number", "account_id": "{n}.account_id",
           "contact_id": "{n}.contact_id", "product_sku": "{n}.product_sku",
           "billing_type": "{n}.billing_type", "status": "{n}.status",
           "total_amount": "{n}.total_amount", "fee_amount": "{n}.fee_amount"}),
    Event("order_status", "orders", "UPDATE", "order_status_changed",
          "'order_status:' || {n}.id || ':' || COALESCE({o}.status, '') || '>' || {n}.status"
          " || ':' || CAST(" + CHANGED_AT + " AS TEXT)",
          "CASE WHEN {n}.status = 'delivered' AND {n}.delivered_at IS NOT NULL "
          "THEN {n}.delivered_at ELSE " + CHANGED_AT + " END", "order",
          {"from_status": "{o}.status", "to_status": "{n}.status",
           "order_number": "{n}.order_number", "account_id": "{n}.account_id",
           "total_amount": "{n}.total_amount"},
          when="{o}.status IS DISTINCT FROM {n}.status", backfill="{n}.status <> 'new'"),
    Event("deal_created", "deals", "INSERT", "deal_created",
          "'deal_created:' || {n}.id", "{n}.created_at", "deal",
          {"stage": "{n}.stage", "amount": "{n}.amount", "account_id": "{n}.account_id"}),
    Event("deal_stage", "deal_stage_history", "INSERT", "deal_stage_changed",
          "'deal_stage:' || {n}.id", "{n}.changed_at", "deal",
          {"from_stage": "{n}.from_stage", "to_stage": "{n}.to_stage",
           "seconds_in_stage": "{n}.seconds_in_stage", "by": "{n}.by_whom",
           "amount": "(SELECT d.amount FROM deals d WHERE d.id = {n}.deal_id)"},
          entity_id="{n}.deal_id"),
    Event("quote_activity", "quote_activities", "INSERT", "quote_activity",
          "'quote_activity:' || {n}.id", "{n}.at", "quote",
          {"activity": "{n}.activity", "from_status": "{n}.from_status",
           "to_status": "{n}.to_status", "by": "{n}.by_whom",
           "amount": "(SELECT q.amount FROM quotes q WHERE q.id = {n}.quote_id)",
           "reason_code": "(SELECT q.reason_code FROM quotes q WHERE q.id = {n}.quote_id)",
           "sent_at": "(SELECT q.sent_at FROM quotes q WHERE q.id = {n}.quote_id)"},
          entity_id="{n}.quote_id"),
    Event("touch", "touches", "INSERT", "touch",
          "'touch:' || {n}.id", "{n}.occurred_at", "contact",
          {"touch_type": "{n}.touch_type", "by": "{n}.by_whom", "account_id": "{n}.account_id",
           "message_id": "{n}.message_id", "answers_since": ANSWERS_SINCE},
          entity_id="{n}.contact_id"),
    Event("message", "messages", "INSERT", "message_stored",
          "'message:' || {n}.id", "COALESCE({n}.sent_at, {n}.created_at)", "message",
          {"direction": "{n}.direction", "classification": "{n}.classification",
           "status": "{n}.status", "contact_id": "{n}.contact_id",
           "account_id": "{n}.account_id", "thread_key": "{n}.thread_key"}),
    Event("outbox", "outbox", "UPDATE", "outbox_settled",
          "'outbox:' || {n}.id || ':' || {n}.status", "COALESCE({n}.sent_at, " + CHANGED_AT + ")",
          "outbox",
          {"status": "{n}.status", "kind": "{n}.kind", "send_mode": "{n}.send_mode",
           "rule": "{n}.rule", "attempts": "{n}.attempts", "task_id": "{n}.task_id"},
          when="{o}.status IS DISTINCT FROM {n}.status AND {n}.status IN "
               "('sent', 'failed', 'delivery_unknown', 'cancelled')", backfill="1 = 1"),
    Event("suppression", "suppressions", "INSERT", "suppression_added",
          "'suppression_added:' || {n}.id", "{n}.created_at", "suppression",
          {"reason": "{n}.reason", "message_id": "{n}.message_id"}),
    Event("delivery_feedback", "delivery_feedback", "INSERT", "delivery_feedback",
          "'delivery_feedback:' || {n}.id", "{n}.occurred_at", "outbox",
          {"kind": "{n}.kind", "reason": "{n}.reason", "outcome": "{n}.outcome",
           "message_id": "{n}.message_id"},
          entity_id="{n}.outbox_id"),
    Event("compliance_opened", "compliance_checks", "INSERT", "compliance_check",
          "'compliance_check:' || {n}.id || ':' || {n}.status", "{n}.created_at",
          "compliance_check",
          {"from_status": "NULL", "status": "{n}.status", "schedule_id": "{n}.schedule_id",
           "entity_type": "{n}.entity_type", "entity_id": "{n}.entity_id",
           "due_on": "{n}.due_on"}),
    Event("compliance_status", "compliance_checks", "UPDATE", "compliance_check",
          "'compliance_check:' || {n}.id || ':' || {n}.status || ':' || CAST("
          + CHANGED_AT + " AS TEXT)", CHANGED_AT, "compliance_check",
          {"from_status": "{o}.status", "status": "{n}.status",
           "schedule_id": "{n}.schedule_id", "entity_type": "{n}.entity_type",
           "entity_id": "{n}.entity_id", "due_on": "{n}.due_on"},
          when="{o}.status IS DISTINCT FROM {n}.status"),
    Event("feedback_status", "feedback", "UPDATE", "feedback_status",
          "'feedback_status:' || {n}.id || ':' || {n}.status",
          "CASE WHEN {n}.status = 'answered' AND {n}.answered_at IS NOT NULL THEN {n}.answered_at"
          " WHEN {n}.status = 'requested' AND {n}.requested_at IS NOT NULL THEN {n}.requested_at"
          " ELSE " + CHANGED_AT + " END", "feedback",
          {"from_status": "{o}.status", "status": "{n}.status", "sentiment": "{n}.sentiment",
           "score": "{n}.score", "rating": "{n}.rating", "method": "{n}.method",
           "order_id": "{n}.order_id", "account_id": "{n}.account_id"},
          when="{o}.status IS DISTINCT FROM {n}.status", backfill="{n}.status <> 'scheduled'"),
    Event("action_decided", "actions", "INSERT", "action_decided",
          "'action:' || {n}.id || ':' || {n}.status || ':' || CAST({n}.decided_at AS TEXT)",
          "{n}.decided_at", "action",
          {"kind": "{n}.kind", "status": "{n}.status", "rule": "{n}.rule",
           "priority": "{n}.priority", "task_id": "{n}.task_id"}),
    Event("action_redecided", "actions", "UPDATE", "action_decided",
          "'action:' || {n}.id || ':' || {n}.status || ':' || CAST({n}.decided_at AS TEXT)",
          "{n}.decided_at", "action",
          {"kind": "{n}.kind", "status": "{n}.status", "rule": "{n}.rule",
           "priority": "{n}.priority", "task_id": "{n}.task_id"},
          when="{o}.status IS DISTINCT FROM {n}.status"),
    Event("task_created", "tasks", "INSERT", "task_status",
          "'task:' || {n}.id || ':' || {n}.status", "{n}.created_at", "task",
          {"from_status": "NULL", "status": "{n}.status", "kind": "{n}.kind",
           "approval_status": "{n}.approval_status", "attempts": "{n}.attempts"}),
    Event("task_status", "tasks", "UPDATE", "task_status",
          "'task:' || {n}.id || ':' || {n}.status || ':' || CAST(" + CHANGED_AT + " AS TEXT)",
          CHANGED_AT, "task",
          {"from_status": "{o}.status", "status": "{n}.status", "kind": "{n}.kind",
           "approval_status": "{n}.approval_status", "attempts": "{n}.attempts"},
          when="{o}.status IS DISTINCT FROM {n}.status"),
)

COLUMNS = ("tenant_id, event_key, event_type, entity_type, entity_id, occurred_at, payload, "
           "schema_version")


def _values(event: Event, n: str, o: str, payload_function: str) -> str:
    pairs = ", ".join(f"'{k}', {v.format(n=n, o=o)}" for k, v in event.payload.items())
    return (f"{n}.tenant_id, {event.key.format(n=n, o=o)}, '{event.event_type}', "
            f"'{event.entity_type}', CAST({event.entity_id.format(n=n, o=o)} AS TEXT), "
            f"{event.occurred_at.format(n=n, o=o)}, {payload_function}({pairs}), {VERSION}")


def sqlite_statements(event: Event) -> list[str]:
    timing = "INSERT" if event.operation == "INSERT" else f"UPDATE OF {', '.join(event.watch)}"
    when = f" WHEN {event.when.format(n='NEW', o='OLD')}" if event.when else ""
    values = _values(event, "NEW", "OLD", "json_object")
    return [
        f"CREATE TRIGGER warehouse_{event.name} AFTER {timing} ON {event.table} FOR EACH ROW"
        f"{when} BEGIN INSERT OR IGNORE INTO warehouse_events ({COLUMNS}) SELECT {values}; END"
    ]


def postgres_statements(event: Event) -> list[str]:
    function = f"warehouse_{event.name}"
    if event.operation == "UPDATE":
        values = _values(event, "NEW", "OLD", "jsonb_build_object")
        when = f" WHEN ({event.when.format(n='NEW', o='OLD')})" if event.when else ""
        return [
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO warehouse_events ({COLUMNS}) SELECT {values} "
            f"ON CONFLICT (tenant_id, event_key) DO NOTHING; RETURN NULL; END $$",
            f"CREATE TRIGGER {function} AFTER UPDATE OF {', '.join(event.watch)} "
            f"ON {event.table} FOR EACH ROW{when} EXECUTE FUNCTION {function}()",
        ]
    values = _values(event, "n", "o", "jsonb_build_object")
    return [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO warehouse_events ({COLUMNS}) SELECT {values} FROM new_rows n "
        f"ON CONFLICT (tenant_id, event_key) DO NOTHING; RETURN NULL; END $$",
        f"CREATE TRIGGER {function} AFTER INSERT ON {event.table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def backfill_statements(dialect: str) -> list[str]:
    """Events for the rows that exist before the triggers do."""
    postgres = dialect == "postgresql"
    insert = "INSERT INTO" if postgres else "INSERT OR IGNORE INTO"
    conflict = " ON CONFLICT (tenant_id, event_key) DO NOTHING" if postgres else ""
    nothing = ("(SELECT NULL::text AS status, NULL::timestamptz AS updated_at)" if postgres
               else "(SELECT NULL AS status, NULL AS updated_at)")
    function = "jsonb_build_object" if postgres else "json_object"
    statements = []
    for event in EVENTS:
        if event.operation == "INSERT":
            source, where = f"{event.table} n", ""
        elif event.backfill is not None:
            source = f"{event.table} n CROSS JOIN {nothing} o"
            where = f" WHERE {event.when.format(n='n', o='o')} AND {event.backfill.format(n='n')}"
        else:
            continue
        statements.append(f"{insert} warehouse_events ({COLUMNS}) SELECT "
                          f"{_values(event, 'n', 'o', function)} FROM {source}{where}{conflict}")
    return statements


def drop_statements(event: Event, dialect: str) -> list[str]:
    name = f"warehouse_{event.name}"
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {event.table}",
                f"DROP FUNCTION IF EXISTS {name}()"]
    return [f"DROP TRIGGER IF EXISTS {name}"]

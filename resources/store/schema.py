"""The application schema as SQLAlchemy Core tables.

Alembic migrations create these tables (see migrations/versions); this module is what the code
reads and writes through, and a test proves the two agree. Every tenant-owned table carries an
indexed `tenant_id`; `TENANT_TABLES` lists them so scoping and row-level security cover all of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Money = sa.Numeric(12, 2)


def _now() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _updated() -> sa.Column:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _tenant(nullable: bool = False) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.BigInteger,
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=nullable,
        index=True,
    )


def _id() -> sa.Column:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def _ref(name: str, table: str) -> sa.Column:
    return sa.Column(
        name, sa.BigInteger, sa.ForeignKey(f"{table}.id", ondelete="SET NULL"), nullable=True
    )


tenants = sa.Table(
    "tenants",
    metadata,
    _id(),
    sa.Column("slug", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("agent_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("settings", JSON, nullable=False),
    _now(),
    _updated(),
)

system_config = sa.Table(
    "system_config",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", JSON, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("updated_by", sa.String(200)),
    _updated(),
)

accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
    _tenant(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("billing_type", sa.String(20), nullable=False, server_default="bill"),
    sa.Column("credit_limit", Money, nullable=False, server_default="0"),
    sa.Column("outstanding_balance", Money, nullable=False, server_default="0"),
    sa.Column("terms", sa.String(40)),
    sa.Column("industry", sa.String(100)),
    sa.Column("phone", sa.String(40)),
    sa.Column("website", sa.String(200)),
    sa.Column("address", sa.Text),
    sa.Column("profile", JSON),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "name"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    _id(),
    _tenant(),
    _ref("account_id", "accounts"),
    sa.Column("email", sa.String(320)),
    sa.Column("first_name", sa.String(100)),
    sa.Column("last_name", sa.String(100)),
    sa.Column("full_name", sa.String(200)),
    sa.Column("phone", sa.String(40)),
    sa.Column("title", sa.String(200)),
    sa.Column("company", sa.String(200)),
    sa.Column("linkedin_url", sa.String(300)),
    sa.Column("address", sa.Text),
    sa.Column("source", sa.String(40), nullable=False, server_default="manual"),
    sa.Column("provenance", JSON),
    # The latest touch of any kind, ours (when, type, by whom) and their latest mail: kept by a
    # trigger on touches (migration 0019); last_touch_at may also be recorded by hand.
    sa.Column("last_touch_at", sa.DateTime(timezone=True)),
    sa.Column("last_outbound_at", sa.DateTime(timezone=True)),
    sa.Column("last_outbound_type", sa.String(30)),
    sa.Column("last_outbound_by", sa.String(200)),
    sa.Column("last_inbound_at", sa.DateTime(timezone=True)),
    sa.Column("ooo_until", sa.Date),
    sa.Column("profile", JSON),  # what compliance checks verify (license, insurance, W-9...)
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "email"),
)

products = sa.Table(
    "products",
    metadata,
    _id(),
    _tenant(),
    sa.Column("sku", sa.String(60), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("price", Money, nullable=False),
    sa.Column("tech_fee", Money, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _now(),
    sa.UniqueConstraint("tenant_id", "sku"),
)

orders = sa.Table(
    "orders",
    metadata,
    _id(),
    _tenant(),
    sa.Column("order_number", sa.String(60), nullable=False),
    _ref("account_id", "accounts"),
    _ref("contact_id", "contacts"),
    sa.Column("product_sku", sa.String(60)),
    sa.Column("billing_type", sa.String(20), nullable=False, server_default="bill"),
    sa.Column("fee_amount", Money),
    sa.Column("tech_fee", Money),
    sa.Column("total_amount", Money),
    sa.Column("status", sa.String(20), nullable=False, server_default="new"),
    sa.Column("property_address", sa.Text),
    sa.Column("borrower_name", sa.String(200)),
    sa.Column("borrower_email", sa.String(320)),
    sa.Column("borrower_phone", sa.String(40)),
    sa.Column("inspection_required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("property_contact_name", sa.String(200)),
    sa.Column("property_contact_phone", sa.String(40)),
    sa.Column("raw", JSON),
    sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("validated_at", sa.DateTime(timezone=True)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "order_number"),
)

deals = sa.Table(
    "deals",
    metadata,
    _id(),
    _tenant(),
    _ref("account_id", "accounts"),
    _ref("contact_id", "contacts"),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("stage", sa.String(30), nullable=False, server_default="lead"),
    sa.Column("amount", Money, nullable=False, server_default="0"),
    sa.Column("probability", sa.Float),
    sa.Column("expected_close", sa.Date),
    sa.Column("last_activity_at", sa.DateTime(timezone=True)),
    sa.Column("stalled_at", sa.DateTime(timezone=True)),
    sa.Column("next_follow_up_at", sa.DateTime(timezone=True)),
    sa.Column("follow_up_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("auto_follow_up_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # Why a person should look at the deal (no reply after the last follow-up, no address...).
    sa.Column("needs_attention", sa.Text),
    sa.Column("needs_attention_at", sa.DateTime(timezone=True)),
    _now(),
    _updated(),
)

# A deal's stage changes, each with how long the deal had been in the stage it left.
deal_stage_history = sa.Table(
    "deal_stage_history",
    metadata,
    _id(),
    _tenant(),
    _ref("deal_id", "deals"),
    sa.Column("from_stage", sa.String(30)),
    sa.Column("to_stage", sa.String(30), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seconds_in_stage", sa.BigInteger),
    sa.Column("by_whom", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text),
    _now(),
)

quotes = sa.Table(
    "quotes",
    metadata,
    _id(),
    _tenant(),
    sa.Column("quote_number", sa.String(60), nullable=False),
    _ref("account_id", "accounts"),
    _ref("contact_id", "contacts"),
    _ref("deal_id", "deals"),
    sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
    sa.Column("amount", Money, nullable=False, server_default="0"),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("viewed_at", sa.DateTime(timezone=True)),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("valid_until", sa.Date),
    sa.Column("follow_up_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_follow_up_at", sa.DateTime(timezone=True)),
    sa.Column("outcome_reason", sa.Text),
    # The win/loss reason from the tenant's list (settings.quote_reasons); outcome_reason is the
    # free text that goes with it.
    sa.Column("reason_code", sa.String(40)),
    sa.Column("needs_attention", sa.Text),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "quote_number"),
)

# Every change in a quote's life (created, sent, viewed, followed up, accepted, rejected,
# expired, a response too unclear to act on), with who and the evidence.
quote_activities = sa.Table(
    "quote_activities",
    metadata,
    _id(),
    _tenant(),
    _ref("quote_id", "quotes"),
    sa.Column("activity", sa.String(30), nullable=False),
    sa.Column("from_status", sa.String(20)),
    sa.Column("to_status", sa.String(20)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by_whom", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("evidence", sa.Text),
    _ref("message_id", "messages"),
    _now(),
    sa.Index("ix_quote_activities_quote", "tenant_id", "quote_id", "at"),
)

# A service-recovery case: opened by negative feedback (or a person), owned, closed with a
# resolution. An open case holds the order's and the account's feedback requests.
cases = sa.Table(
    "cases",
    metadata,
    _id(),
    _tenant(),
    _ref("order_id", "orders"),
    _ref("account_id", "accounts"),
    _ref("contact_id", "contacts"),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("source", sa.String(40), nullable=False),  # feedback | manual
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("owner", sa.String(200)),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("closed_by", sa.String(200)),
    sa.Column("resolution", sa.Text),
    _now(),
    _updated(),
    sa.Index("ix_cases_status", "tenant_id", "status"),
)

# A tenant's recurring compliance checks (agent/compliance.py ScheduleSpec, kept whole in
# `spec`); a removed schedule is deactivated, so its checks keep their history.
compliance_schedules = sa.Table(
    "compliance_schedules",
    metadata,
    _id(),
    _tenant(),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("spec", JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("note", sa.Text),  # what the last hour found (a filter matching nobody...)
    sa.Column("created_by", sa.String(200)),
    sa.Column("removed_at", sa.DateTime(timezone=True)),
    sa.Column("removed_by", sa.String(200)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "name"),
)

# One check per schedule, entity and period: open until its profile fields are valid (complete,
# by itself or by a person), waived (who, why, until when) or cancelled with its schedule.
compliance_checks = sa.Table(
    "compliance_checks",
    metadata,
    _id(),
    _tenant(),
    sa.Column("schedule_id", sa.BigInteger,
              sa.ForeignKey("compliance_schedules.id", ondelete="CASCADE"), nullable=False),
    sa.Column("entity_type", sa.String(20), nullable=False),  # account | contact
    sa.Column("entity_id", sa.BigInteger, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("problems", JSON),  # what the last validation found, one line each
    sa.Column("checked_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("completed_by", sa.String(200)),
    sa.Column("note", sa.Text),  # how it was completed, why it was waived or cancelled
    sa.Column("waived_by", sa.String(200)),
    sa.Column("waived_until", sa.Date),
    sa.Column("escalated_at", sa.DateTime(timezone=True)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "schedule_id", "entity_type", "entity_id", "due_on",
                        name="uq_compliance_checks_period"),
    sa.Index("ix_compliance_checks_status", "tenant_id", "status"),
)

# A tenant's campaigns (agent/broadcast.py): the segment and template kept whole, who approved
# it, where it stands, and its pace (batch size now, throttled until, throttles in a row).
broadcasts = sa.Table(
    "broadcasts",
    metadata,
    _id(),
    _tenant(),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
    sa.Column("segment", JSON, nullable=False),
    sa.Column("template", JSON, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True)),  # not before; None: once started
    sa.Column("batch_size", sa.Integer, nullable=False),
    sa.Column("pace_size", sa.Integer, nullable=False),  # the batch size after throttling
    sa.Column("throttled_until", sa.DateTime(timezone=True)),
    sa.Column("throttles", sa.Integer, nullable=False, server_default="0"),
    sa.Column("batches", sa.Integer, nullable=False, server_default="0"),  # batches planned
    sa.Column("created_by", sa.String(200)),
    sa.Column("approved_by", sa.String(200)),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("paused_at", sa.DateTime(timezone=True)),
    sa.Column("paused_by", sa.String(200)),  # a person, or `steward` (a rate crossed its limit)
    sa.Column("note", sa.Text),  # why it is paused, waiting or ended
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "name"),
    sa.Index("ix_broadcasts_status", "tenant_id", "status"),
)

# The audience frozen at start: one row per recipient, its batch, its mail's outbox key and
# what became of it (RECIPIENT_STATUSES), with the reason when it was skipped or failed.
broadcast_recipients = sa.Table(
    "broadcast_recipients",
    metadata,
    _id(),
    _tenant(),
    sa.Column("broadcast_id", sa.BigInteger,
              sa.ForeignKey("broadcasts.id", ondelete="CASCADE"), nullable=False),
    _ref("contact_id", "contacts"),
    sa.Column("address", sa.String(320)),
    sa.Column("vars", JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("reason", sa.Text),
    sa.Column("batch", sa.Integer),
    sa.Column("outbox_key", sa.String(300)),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    _updated(),
    sa.UniqueConstraint("tenant_id", "broadcast_id", "contact_id"),
    sa.Index("ix_broadcast_recipients_status", "tenant_id", "broadcast_id", "status"),
    sa.Index("ix_broadcast_recipients_key", "tenant_id", "outbox_key"),
)

# One feedback request per delivered order: scheduled, requested, skipped (with why) or
# answered, the answer scored (agent/feedback_score.py) and kept with the order and account.
feedback = sa.Table(
    "feedback",
    metadata,
    _id(),
    _tenant(),
    _ref("order_id", "orders"),
    _ref("account_id", "accounts"),
    _ref("contact_id", "contacts"),
    sa.Column("status", sa.String(20), nullable=False, server_default="scheduled"),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True)),
    sa.Column("skip_reason", sa.Text),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    _ref("reply_message_id", "messages"),
    sa.Column("sentiment", sa.String(10)),  # positive | neutral | negative
    sa.Column("score", sa.Float),
    sa.Column("rating", sa.String(20)),
    sa.Column("method", sa.String(10)),  # rating | vader
    sa.Column("evidence", sa.Text),
    _ref("case_id", "cases"),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "order_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    _id(),
    _tenant(),
    sa.Column("message_key", sa.String(500), nullable=False),
    sa.Column("message_id_header", sa.String(998)),
    sa.Column("thread_key", sa.String(500)),
    sa.Column("in_reply_to", sa.String(998)),
    sa.Column("references", sa.Text),
    sa.Column("direction", sa.String(8), nullable=False, server_default="in"),
    sa.Column("folder", sa.String(200)),
    sa.Column("from_addr", sa.String(320)),
    sa.Column("to_addrs", JSON),
    sa.Column("cc_addrs", JSON),
    sa.Column("subject", sa.Text),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("body_text", sa.Text),
    sa.Column("classification", sa.String(40)),
    sa.Column("classification_reason", sa.Text),
    _ref("contact_id", "contacts"),
    _ref("account_id", "accounts"),
    sa.Column("links", JSON),
    sa.Column("status", sa.String(20), nullable=False, server_default="stored"),
    sa.Column("error", sa.Text),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("source_key", sa.String(500)),
    sa.Column("raw_path", sa.Text),
    _now(),
    sa.UniqueConstraint("tenant_id", "message_key"),
    sa.Index("ix_messages_classification", "tenant_id", "classification"),
    sa.Index("ix_messages_thread", "tenant_id", "thread_key"),
)

touches = sa.Table(
    "touches",
    metadata,
    _id(),
    _tenant(),
    _ref("contact_id", "contacts"),
    _ref("account_id", "accounts"),
    _ref("message_id", "messages"),
    sa.Column("touch_type", sa.String(30), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by_whom", sa.String(200), nullable=False, server_default="agent"),
    sa.Column("source_key", sa.String(500)),
    _now(),
    sa.UniqueConstraint("tenant_id", "source_key"),
    sa.Index("ix_touches_contact_time", "tenant_id", "contact_id", "occurred_at"),
)

documents = sa.Table(
    "documents",
    metadata,
    _id(),
    _tenant(),
    sa.Column("filename", sa.String(500), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(200)),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("source", sa.String(30), nullable=False, server_default="upload"),
    # where an upload lives inside the tenant's documents folder: a changed file is found by it
    sa.Column("origin", sa.String(1000)),
    _ref("message_id", "messages"),
    _ref("order_id", "orders"),
    _ref("account_id", "accounts"),
    sa.Column("category", sa.String(30), nullable=False, server_default="other"),
    sa.Column("category_reason", sa.Text),
    sa.Column("category_by", sa.String(200)),
    sa.Column("detected_type", sa.String(30)),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("error", sa.Text),
    sa.Column("needs_ocr", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pages", sa.Integer),
    sa.Column("chars", sa.Integer),
    sa.Column("extractor", sa.String(60)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("extracted_at", sa.DateTime(timezone=True)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "sha256"),
    sa.UniqueConstraint("tenant_id", "origin"),
    sa.Index("ix_documents_status", "tenant_id", "status"),
)

document_pages = sa.Table(
    "document_pages",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "document_id", sa.BigInteger, sa.ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("tables", JSON, nullable=False),
    sa.Column("extractor", sa.String(30), nullable=False),
    sa.UniqueConstraint("tenant_id", "document_id", "page"),
)

# The search index over chunks lives beside this table and is left out of the metadata on
# purpose (SEARCH_INDEX_OBJECTS): on SQLite an FTS5 table kept by triggers, on PostgreSQL a
# generated tsvector column with a GIN index (migration 0014).
document_chunks = sa.Table(
    "document_chunks",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "document_id", sa.BigInteger, sa.ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # the chunk's LSA vector (float32), written by the tenant's vector index
    sa.Column("vector", sa.LargeBinary),
    sa.Index("ix_document_chunks_document", "tenant_id", "document_id"),
)

# One per tenant: the fitted TF-IDF/LSA model that turns a query into a chunk vector. The model
# is the last column: SQLite walks a large value's overflow pages to reach the columns after it,
# and every search reads `chunks` and `built_at`.
document_indexes = sa.Table(
    "document_indexes",
    metadata,
    _id(),
    _tenant(),
    sa.Column("chunks", sa.Integer, nullable=False),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("tenant_id"),
)

SEARCH_INDEX_OBJECTS = frozenset({"document_search", "search", "ix_document_chunks_search"})

tasks = sa.Table(
    "tasks",
    metadata,
    _id(),
    _tenant(),
    _ref("parent_id", "tasks"),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("kind", sa.String(40), nullable=False, server_default="general"),
    sa.Column("execution_type", sa.String(20), nullable=False, server_default="manual"),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("priority", sa.Integer, nullable=False, server_default="50"),
    sa.Column("approval_status", sa.String(20), nullable=False, server_default="not_required"),
    sa.Column("approval_expires_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decision_reason", sa.Text),
    sa.Column("requested_by", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("confidence", sa.Float),
    sa.Column("context", JSON),
    sa.Column("deliverable", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("idempotency_key", sa.String(300)),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    _ref("strategy_execution_id", "strategy_executions"),
    sa.Column("plan_key", sa.String(200)),  # the agent task's key in its strategy's plan
    sa.Column("approach", sa.String(20)),  # immediate | decompose | blocked
    sa.Column("approach_reason", sa.Text),
    sa.Column("timeout_s", sa.Float),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("escalated_at", sa.DateTime(timezone=True)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "idempotency_key"),
    sa.Index("ix_tasks_pick", "tenant_id", "status", "priority"),
)

task_dependencies = sa.Table(
    "task_dependencies",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "task_id", sa.BigInteger, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "depends_on_id",
        sa.BigInteger,
        sa.ForeignKey("tasks.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.UniqueConstraint("tenant_id", "task_id", "depends_on_id"),
)

# Append-only: a trigger refuses UPDATE and DELETE (migration 0005).
task_events = sa.Table(
    "task_events",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "task_id", sa.BigInteger, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("data", JSON),
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    _now(),
    sa.Index("ix_task_events_task", "task_id", "id"),
)

task_snapshots = sa.Table(
    "task_snapshots",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "task_id", sa.BigInteger, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("entity_type", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(100), nullable=False),
    sa.Column("data", JSON, nullable=False),
    _now(),
    sa.Index("ix_task_snapshots_task", "task_id"),
)

strategies = sa.Table(
    "strategies",
    metadata,
    _id(),
    _tenant(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("goal", sa.Text),
    sa.Column("items", JSON, nullable=False),  # the L4 items: id, title, description, depends_on
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "name"),
)

strategy_executions = sa.Table(
    "strategy_executions",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "strategy_id",
        sa.BigInteger,
        sa.ForeignKey("strategies.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_by", sa.String(200), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paused_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("metrics", JSON),
    sa.Column("health", JSON),
    _now(),
    _updated(),
)

execution_events = sa.Table(
    "execution_events",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "execution_id",
        sa.BigInteger,
        sa.ForeignKey("strategy_executions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("event", sa.String(30), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("data", JSON),
    _now(),
)

execution_health_snapshots = sa.Table(
    "execution_health_snapshots",
    metadata,
    _id(),
    _tenant(),
    sa.Column(
        "execution_id",
        sa.BigInteger,
        sa.ForeignKey("strategy_executions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("data", JSON),
    _now(),
)

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
    _tenant(),
    sa.Column("idempotency_key", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("target", sa.String(500)),
    sa.Column("payload", JSON),
    sa.Column("reason", sa.Text),
    sa.Column("rule", sa.String(100)),
    sa.Column("priority", sa.Integer, nullable=False, server_default="50"),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("not_before", sa.DateTime(timezone=True)),
    sa.Column("provider", sa.String(40)),
    sa.Column("provider_ref", sa.String(500)),
    sa.Column("last_error", sa.Text),
    _ref("task_id", "tasks"),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("send_mode", sa.String(20)),
    sa.Column("eml_path", sa.Text),
    # The Message-ID the mail went out under: a bounce or complaint names it, so it finds its row.
    sa.Column("message_id", sa.String(500)),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "idempotency_key"),
    sa.Index("ix_outbox_due", "tenant_id", "status", "not_before"),
    sa.Index("ix_outbox_message_id", "tenant_id", "message_id"),
)

actions = sa.Table(
    "actions",
    metadata,
    _id(),
    _tenant(),
    sa.Column("idempotency_key", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("target", sa.String(500)),
    sa.Column("payload", JSON),
    sa.Column("reason", sa.Text),
    sa.Column("priority", sa.Integer, nullable=False, server_default="50"),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("decision_reason", sa.Text, nullable=False),
    sa.Column("not_before", sa.DateTime(timezone=True)),
    sa.Column("evaluations", sa.Integer, nullable=False, server_default="1"),
    sa.Column("approved_by", sa.String(200)),
    _ref("task_id", "tasks"),
    _ref("agent_run_id", "agent_runs"),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "idempotency_key"),
    sa.Index("ix_actions_due", "tenant_id", "status", "not_before"),
)

provider_failures = sa.Table(
    "provider_failures",
    metadata,
    _id(),
    _tenant(),
    sa.Column("provider", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("code", sa.Integer),
    sa.Column("detail", sa.Text, nullable=False),
    _ref("outbox_id", "outbox"),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_provider_failures_time", "tenant_id", "occurred_at"),
)

agent_runs = sa.Table(
    "agent_runs",
    metadata,
    _id(),
    _tenant(),
    sa.Column("cycle_number", sa.Integer, nullable=False),
    sa.Column("cycle_hour", sa.DateTime(timezone=True), nullable=False),
    sa.Column("dagster_run_id", sa.String(64)),
    sa.Column("phase", sa.String(20), nullable=False, server_default="plan"),
    sa.Column("status", sa.String(20), nullable=False, server_default="running"),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("actions_planned", sa.Integer, nullable=False, server_default="0"),
    sa.Column("actions_executed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("actions_deferred", sa.Integer, nullable=False, server_default="0"),
    sa.Column("actions_blocked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("actions_awaiting_approval", sa.Integer, nullable=False, server_default="0"),
    sa.Column("errors", JSON),
    sa.Column("plan", JSON),
    sa.Column("metrics", JSON),
    sa.UniqueConstraint("tenant_id", "cycle_number"),
    sa.UniqueConstraint("tenant_id", "cycle_hour"),
)

cycle_locks = sa.Table(
    "cycle_locks",
    metadata,
    _id(),
    _tenant(),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("cycle_hour", sa.DateTime(timezone=True), nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tenant_id"),
)

order_exceptions = sa.Table(
    "order_exceptions",
    metadata,
    _id(),
    _tenant(),
    _ref("order_id", "orders"),
    sa.Column("rule", sa.String(60), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("tenant_id", "order_id", "rule"),
)

reflections = sa.Table(
    "reflections",
    metadata,
    _id(),
    _tenant(),
    _ref("agent_run_id", "agent_runs"),
    sa.Column("cycle_hour", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", sa.Text),
    sa.Column("changes", JSON),
    sa.Column("metrics", JSON),
    sa.Column("blocked", JSON),
    sa.Column("hints", JSON),
    _now(),
    sa.UniqueConstraint("tenant_id", "agent_run_id"),
)

policy_violations = sa.Table(
    "policy_violations",
    metadata,
    _id(),
    _tenant(),
    _ref("agent_run_id", "agent_runs"),
    sa.Column("action_kind", sa.String(40), nullable=False),
    sa.Column("target", sa.String(500)),
    sa.Column("idempotency_key", sa.String(300)),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.true()),
    _now(),
)

rate_limit_counters = sa.Table(
    "rate_limit_counters",
    metadata,
    _id(),
    _tenant(),
    sa.Column("action_kind", sa.String(40), nullable=False),
    sa.Column("window", sa.String(8), nullable=False),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("tenant_id", "action_kind", "window", "window_start"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    _id(),
    _tenant(nullable=True),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False, server_default="warning"),
    sa.Column("dedupe_key", sa.String(300), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("occurrences", sa.Integer, nullable=False, server_default="1"),
    sa.Column("channels", JSON),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_notified_at", sa.DateTime(timezone=True)),
    sa.Column("notifications", sa.Integer, nullable=False, server_default="0"),
    # who stopped the repeat notifications and who closed it (NULL: nobody; a rule resolves
    # an alert without a name)
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.Column("acknowledged_by", sa.String(200)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_by", sa.String(200)),
    sa.Index("ix_alerts_dedupe", "tenant_id", "dedupe_key"),
)

warehouse_events = sa.Table(
    "warehouse_events",
    metadata,
    _id(),
    _tenant(),
    sa.Column("event_key", sa.String(300), nullable=False),
    sa.Column("event_type", sa.String(60), nullable=False),
    sa.Column("entity_type", sa.String(40)),
    sa.Column("entity_id", sa.String(100)),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", JSON),
    sa.Column("dagster_run_id", sa.String(64)),
    sa.Column("schema_version", sa.SmallInteger, nullable=False, server_default="1"),
    _now(),
    sa.UniqueConstraint("tenant_id", "event_key"),
    sa.Index("ix_warehouse_events_type_time", "tenant_id", "event_type", "occurred_at"),
    sa.Index("ix_warehouse_events_kind_time", "event_type", "occurred_at"),
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    _id(),
    _tenant(),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("reason", sa.String(30), nullable=False),
    sa.Column("detail", sa.Text),
    _ref("message_id", "messages"),
    _now(),
    sa.UniqueConstraint("tenant_id", "email"),
)

# One entity's run through a cadence (agent/cadence.py): a deal's follow-ups, a quote's, an
# order's feedback request. `round` counts re-enrollments of the same entity (a deal that stalls
# again after a reply starts round 2), so every step key stays unique.
cadence_enrollments = sa.Table(
    "cadence_enrollments",
    metadata,
    _id(),
    _tenant(),
    sa.Column("cadence", sa.String(60), nullable=False),
    sa.Column("entity_type", sa.String(20), nullable=False),
    sa.Column("entity_id", sa.BigInteger, nullable=False),
    sa.Column("round", sa.Integer, nullable=False, server_default="1"),
    _ref("contact_id", "contacts"),
    sa.Column("address", sa.String(320)),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("steps_planned", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_due_at", sa.DateTime(timezone=True)),
    sa.Column("waiting", sa.Text),  # why nothing was sent this hour (deferred until, pending)
    sa.Column("paused_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("end_reason", sa.Text),  # stopped by / completed
    _now(),
    _updated(),
    sa.UniqueConstraint("tenant_id", "cadence", "entity_type", "entity_id", "round"),
    sa.Index("ix_cadence_enrollments_status", "tenant_id", "status"),
)

# Each step an enrollment planned, under the key that is also its ledger and outbox key.
cadence_steps = sa.Table(
    "cadence_steps",
    metadata,
    _id(),
    _tenant(),
    _ref("enrollment_id", "cadence_enrollments"),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("idempotency_key", sa.String(300), nullable=False),
    sa.Column("cycle_hour", sa.DateTime(timezone=True), nullable=False),
    sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
    _now(),
    sa.UniqueConstraint("tenant_id", "enrollment_id", "step"),
    sa.Index("ix_cadence_steps_key", "tenant_id", "idempotency_key"),
)

# What receivers said about mail we sent, one row per report and address: bounces (with their
# reason and outcome) and spam complaints. Soft bounces suppress only after several in a window,
# so each one is kept; `steward inbox status` counts them by reason.
delivery_feedback = sa.Table(
    "delivery_feedback",
    metadata,
    _id(),
    _tenant(),
    _ref("message_id", "messages"),
    _ref("outbox_id", "outbox"),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # bounce | complaint
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),  # suppress | soft | delay | ours
    sa.Column("evidence", sa.Text),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    _now(),
    sa.UniqueConstraint("tenant_id", "message_id", "email"),
    sa.Index("ix_delivery_feedback_email", "tenant_id", "email", "occurred_at"),
)

signals = sa.Table(
    "signals",
    metadata,
    _id(),
    _tenant(),
    _ref("message_id", "messages"),
    _ref("contact_id", "contacts"),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("strength", sa.Float, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("actioned_at", sa.DateTime(timezone=True)),
    _now(),
    sa.UniqueConstraint("tenant_id", "message_id", "kind"),
)

cadence_pauses = sa.Table(
    "cadence_pauses",
    metadata,
    _id(),
    _tenant(),
    _ref("contact_id", "contacts"),
    _ref("message_id", "messages"),
    sa.Column("thread_key", sa.String(500)),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resumed_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("tenant_id", "message_id"),
)

mailbox_state = sa.Table(
    "mailbox_state",
    metadata,
    _id(),
    _tenant(),
    sa.Column("mailbox", sa.String(500), nullable=False),
    sa.Column("checkpoint", JSON),
    sa.Column("status", sa.String(20), nullable=False, server_default="never_checked"),
    sa.Column("detail", sa.Text),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("checked_at", sa.DateTime(timezone=True)),
    sa.Column("last_success_at", sa.DateTime(timezone=True)),
    sa.Column("last_message_at", sa.DateTime(timezone=True)),
    sa.Column("messages_total", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("tenant_id", "mailbox"),
)

# Every use and change of a tenant's secret (resources/secrets.py), never its value.
secret_audit = sa.Table(
    "secret_audit",
    metadata,
    _id(),
    _tenant(),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer),  # in the secrets store; NULL: from the environment/file
    sa.Column("action", sa.String(20), nullable=False),  # use | set | rotate | check | revoke
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("by_whom", sa.String(200)),
    sa.Column("dagster_run_id", sa.String(64)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_secret_audit_time", "tenant_id", "at"),
)

# The warehouse (docs/warehouse.md): daily facts built from warehouse_events, one row per tenant,
# day and dimension, in the `analytics` schema on PostgreSQL (the main database on SQLite, where
# the engine maps the schema away). Each column's comment is its data-dictionary entry. No
# foreign key to tenants: the facts are derived and rebuilt, and checking one per row cost a
# sixth of a build; removing a tenant deletes its facts (resources/store/tenants.py).
ANALYTICS = "analytics"


def _count(name: str, comment: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0", comment=comment)


def _amount(name: str, comment: str) -> sa.Column:
    return sa.Column(name, Money, nullable=False, server_default="0", comment=comment)


def _fact(name: str, comment: str, *columns: sa.Column) -> sa.Table:
    dimensions = [c.name for c in columns if c.primary_key]
    return sa.Table(
        name,
        metadata,
        sa.Column("tenant_id", sa.BigInteger, primary_key=True,
                  comment="the tenant (tenants.id)"),
        sa.Column("day", sa.Date, primary_key=True, comment="the UTC day the events occurred on"),
        *columns,
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False,
                  comment="when this day was last built"),
        sa.Index(f"ix_{name}_day", "day", *dimensions),
        schema=ANALYTICS,
        comment=comment,
    )


def _dimension(name: str, comment: str, length: int = 100) -> sa.Column:
    return sa.Column(name, sa.String(length), primary_key=True, comment=comment)


orders_daily = _fact(
    "orders_daily", "orders placed, delivered and cancelled per tenant and day, with amounts",
    _count("orders_placed", "orders whose ordered_at falls on the day"),
    _amount("order_value", "total_amount of the orders placed"),
    _count("orders_delivered", "orders that moved to delivered on the day"),
    _amount("delivered_value", "total_amount of the orders delivered: revenue invoiced"),
    _count("orders_cancelled", "orders that moved to cancelled on the day"),
    _amount("cancelled_value", "total_amount of the orders cancelled"),
)

pipeline_daily = _fact(
    "pipeline_daily", "deals entering and leaving each stage per tenant and day",
    _dimension("stage", "the deal stage"),
    _count("deals_entered", "deals created in or moved into the stage"),
    _count("deals_left", "deals moved out of the stage"),
    _amount("value_entered", "amount of the deals that entered"),
    _amount("value_left", "amount of the deals that left"),
    sa.Column("days_in_stage", sa.Float,
              comment="mean days the deals that left had spent in the stage (NULL: none left)"),
)

quotes_daily = _fact(
    "quotes_daily", "quotes sent and decided per tenant, day, outcome and reason",
    _dimension("outcome", "sent, accepted, rejected or expired", 20),
    _dimension("reason_code", "the win/loss reason from the tenant's list ('' when none)", 40),
    _count("quotes", "quotes with this outcome on the day"),
    _amount("value", "their amount"),
    sa.Column("cycle_days", sa.Float,
              comment="mean days from sent to this outcome (NULL for sent, or no sent date)"),
)

engagement_daily = _fact(
    "engagement_daily", "touches and the 21-day engagement clocks per tenant and day",
    _count("touches_in", "touches from contacts (mail received from a person)"),
    _count("touches_out", "touches to contacts (mail, calls, visits recorded as ours)"),
    _count("contacts_touched", "distinct contacts touched either way"),
    sa.Column("contacts", sa.Integer,
              comment="contacts the day's last cycle counted (NULL: no cycle that day)"),
    sa.Column("compliance_rate", sa.Float,
              comment="share of reachable contacts within their window at the day's last cycle"),
    sa.Column("overdue", sa.Integer, comment="contacts past their window at the day's last cycle"),
)

response_times_daily = _fact(
    "response_times_daily", "how fast our mail answered contacts' mail, by the reply's day",
    _count("replies", "our touches that answered one or more touches from the contact"),
    sa.Column("minutes_total", sa.Float, nullable=False, server_default="0",
              comment="sum of minutes from the contact's first unanswered touch to our reply"),
    _count("within_1h", "replies within 60 minutes"),
    _count("within_4h", "replies within 4 hours"),
    _count("within_24h", "replies within 24 hours"),
    sa.Column("slowest_minutes", sa.Float, comment="the slowest reply's minutes"),
)

actions_daily = _fact(
    "actions_daily", "the gate's decisions per tenant, day, action kind, outcome and rule",
    _dimension("kind", "the action kind (send_email, create_task, ...)", 40),
    _dimension("status", "the decision: allowed, deferred, blocked, awaiting_approval, ...", 20),
    _dimension("rule", "the rule that decided", 100),
    _count("decisions", "decisions with this kind, outcome and rule"),
)

mail_daily = _fact(
    "mail_daily", "mail received and sent, bounces, complaints and suppressions per day",
    _count("received", "messages stored from the mailboxes"),
    _count("received_from_people", "of those, mail from people (not machine mail)"),
    _count("machine_mail", "bounces, auto-replies, notifications and reports received"),
    _count("sent", "outbox messages sent (dry-run files included: see send_mode in events)"),
    _count("send_failed", "outbox messages that failed for good"),
    _count("delivery_unknown", "outbox messages whose hand-over was interrupted"),
    _count("bounces_hard", "recipient failures that suppressed the address"),
    _count("bounces_soft", "soft recipient failures (counted toward suppression)"),
    _count("bounces_ours", "failures on our side (authentication, reputation)"),
    _count("delays", "delay notices"),
    _count("complaints", "spam complaints (feedback-loop reports)"),
    _count("suppressions", "addresses suppressed"),
)

feedback_daily = _fact(
    "feedback_daily", "feedback requested and answered per tenant and day, with sentiment",
    _count("requested", "feedback requests sent"),
    _count("answered", "feedback answers received"),
    _count("positive", "answers read as positive"),
    _count("neutral", "answers read as neutral"),
    _count("negative", "answers read as negative"),
    sa.Column("score_total", sa.Float, nullable=False, server_default="0",
              comment="sum of the answers' scores"),
    _count("scored", "answers with a score"),
)

compliance_daily = _fact(
    "compliance_daily", "compliance checks opened and settled per tenant and day",
    _count("opened", "checks opened"),
    _count("completed", "checks completed"),
    _count("waived", "checks waived"),
    _count("cancelled", "checks cancelled"),
)

FACTS: tuple[sa.Table, ...] = (
    orders_daily, pipeline_daily, quotes_daily, engagement_daily, response_times_daily,
    actions_daily, mail_daily, feedback_daily, compliance_daily,
)

# Insights (agent/insights.py) beside the facts, in the same schema, for the same readers.
anomalies = sa.Table(
    "anomalies",
    metadata,
    sa.Column("tenant_id", sa.BigInteger, primary_key=True, comment="the tenant (tenants.id)"),
    sa.Column("day", sa.Date, primary_key=True, comment="the UTC day judged"),
    sa.Column("metric", sa.String(40), primary_key=True, comment="the metric (agent/insights.py)"),
    sa.Column("status", sa.String(20), nullable=False,
              comment="anomaly, normal, not_enough_data, no_variation or not_built"),
    sa.Column("actual", sa.Float, comment="the day's value"),
    sa.Column("baseline", sa.Float, comment="median of the same weekday over the weeks before"),
    sa.Column("expected_low", sa.Float, comment="lower end of the expected range"),
    sa.Column("expected_high", sa.Float, comment="upper end of the expected range"),
    sa.Column("score", sa.Float, comment="robust z-score: distance from the median in MADs"),
    sa.Column("direction", sa.String(4), comment="up or down, for an anomaly"),
    sa.Column("evidence", JSON, comment="the [day, value] pairs of the baseline"),
    sa.Column("reason", sa.Text, nullable=False, comment="the finding in a sentence"),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False,
              comment="when the day was judged"),
    sa.Index("ix_anomalies_day", "day", "status"),
    schema=ANALYTICS,
    comment="each tenant's daily metrics judged against their same-weekday history",
)

client_patterns = sa.Table(
    "client_patterns",
    metadata,
    sa.Column("tenant_id", sa.BigInteger, primary_key=True, comment="the tenant (tenants.id)"),
    sa.Column("week", sa.Date, primary_key=True, comment="the Monday of the week judged"),
    sa.Column("account_id", sa.BigInteger, primary_key=True, comment="the account (accounts.id)"),
    sa.Column("account", sa.String(200), nullable=False, comment="the account's name"),
    sa.Column("orders", sa.Integer, nullable=False, comment="days the account ordered on"),
    sa.Column("status", sa.String(20), nullable=False, comment="pattern or not_enough_data"),
    sa.Column("reason", sa.Text, nullable=False, comment="the pattern, or why there is none"),
    sa.Column("median_interval_days", sa.Float, comment="usual days between orders"),
    sa.Column("last_order_on", sa.Date, comment="the latest order day"),
    sa.Column("days_since", sa.Integer, comment="days from the latest order to the week's end"),
    sa.Column("overdue_ratio", sa.Float, comment="days_since / median_interval_days"),
    sa.Column("churn_risk", sa.String(10), comment="low, medium (2x usual) or high (3x)"),
    sa.Column("seasonality", sa.Text, comment="the busiest month, or why none is named"),
    sa.Column("reply_hours", JSON, comment="local hours the account's people write most"),
    sa.Column("win_loss", JSON, comment="decided quotes by outcome:reason"),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False,
              comment="when the week was judged"),
    schema=ANALYTICS,
    comment="each account's order cadence, churn risk, seasonality, reply hours and quotes",
)

success_strategies = sa.Table(
    "success_strategies",
    metadata,
    sa.Column("tenant_id", sa.BigInteger, primary_key=True, comment="the tenant (tenants.id)"),
    sa.Column("strategy_key", sa.String(200), primary_key=True,
              comment="what makes it the same recommendation (kind, account, last order)"),
    sa.Column("kind", sa.String(40), nullable=False, comment="reorder_check_in"),
    sa.Column("account_id", sa.BigInteger, comment="the account it is about"),
    sa.Column("title", sa.Text, nullable=False, comment="the recommendation in a sentence"),
    sa.Column("support", sa.Integer, nullable=False, comment="how many observations back it"),
    sa.Column("evidence", JSON, nullable=False, comment="the figures behind it"),
    sa.Column("action", JSON, nullable=False, comment="the action the next cycle proposes"),
    sa.Column("status", sa.String(20), nullable=False,
              comment="open (the next cycle proposes it), proposed or withdrawn"),
    sa.Column("week", sa.Date, nullable=False, comment="the week that found it"),
    sa.Column("action_key", sa.String(300), comment="the ledger's key once proposed"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              comment="when it was first found"),
    sa.Column("proposed_at", sa.DateTime(timezone=True), comment="when a cycle proposed it"),
    sa.Index("ix_success_strategies_status", "tenant_id", "status"),
    schema=ANALYTICS,
    comment="recommendations with their evidence, each proposing one action to the gate",
)

INSIGHTS: tuple[sa.Table, ...] = (anomalies, client_patterns, success_strategies)
ANALYTICS_TABLES: tuple[sa.Table, ...] = FACTS + INSIGHTS
# What an analyst role may read (steward db create-analyst-role), and the views over them
# (migration 0017, outside this metadata).
ANALYST_TABLES: tuple[str, ...] = tuple(t.name for t in ANALYTICS_TABLES)
ANALYTICS_VIEWS: tuple[str, ...] = ("pipeline_by_stage",)

# When each fact's day was last built and the newest event it saw, so the next run finds the
# days that got late events since.
warehouse_builds = sa.Table(
    "warehouse_builds",
    metadata,
    sa.Column("fact", sa.String(60), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("events_through", sa.BigInteger, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
)

TENANT_TABLES: tuple[sa.Table, ...] = tuple(t for t in metadata.sorted_tables if "tenant_id" in t.c)

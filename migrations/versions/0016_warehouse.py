"""Warehouse (issue 17): events from every area by trigger (migrations/warehouse_v1.py), the
daily fact tables in an `analytics` schema (the main database on SQLite), and the build log.

The events a database already holds the history for (orders, deal stage changes, quote
activities, touches, messages, suppressions, bounces, decisions, tasks, compliance checks) are
written for the existing rows too, so the first build can backfill the facts over history.

On PostgreSQL, warehouse_events and the facts get the warehouse's row-level security
(migrations/warehouse_policy.py).

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa

from migrations import rls, warehouse_policy, warehouse_v1


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)


def _n(name, comment):
    return sa.Column(name, sa.Integer(), server_default='0', nullable=False, comment=comment)


def _m(name, comment):
    return sa.Column(name, MONEY, server_default='0', nullable=False, comment=comment)


def _d(name, comment, length=100):
    return sa.Column(name, sa.String(length=length), nullable=False, comment=comment)


def _f(name, comment):
    return sa.Column(name, sa.Float(), nullable=True, comment=comment)


FACTS = {
    'orders_daily': ("orders placed, delivered and cancelled per tenant and day, with amounts", [
        _n('orders_placed', "orders whose ordered_at falls on the day"),
        _m('order_value', "total_amount of the orders placed"),
        _n('orders_delivered', "orders that moved to delivered on the day"),
        _m('delivered_value', "total_amount of the orders delivered: revenue invoiced"),
        _n('orders_cancelled', "orders that moved to cancelled on the day"),
        _m('cancelled_value', "total_amount of the orders cancelled")]),
    'pipeline_daily': ("deals entering and leaving each stage per tenant and day", [
        _d('stage', "the deal stage"),
        _n('deals_entered', "deals created in or moved into the stage"),
        _n('deals_left', "deals moved out of the stage"),
        _m('value_entered', "amount of the deals that entered"),
        _m('value_left', "amount of the deals that left"),
        _f('days_in_stage',
           "mean days the deals that left had spent in the stage (NULL: none left)")]),
    'quotes_daily': ("quotes sent and decided per tenant, day, outcome and reason", [
        _d('outcome', "sent, accepted, rejected or expired", 20),
        _d('reason_code', "the win/loss reason from the tenant's list ('' when none)", 40),
        _n('quotes', "quotes with this outcome on the day"),
        _m('value', "their amount"),
        _f('cycle_days', "mean days from sent to this outcome (NULL for sent, or no sent date)")]),
    'engagement_daily': ("touches and the 21-day engagement clocks per tenant and day", [
        _n('touches_in', "touches from contacts (mail received from a person)"),
        _n('touches_out', "touches to contacts (mail, calls, visits recorded as ours)"),
        _n('contacts_touched', "distinct contacts touched either way"),
        sa.Column('contacts', sa.Integer(), nullable=True,
                  comment="contacts the day's last cycle counted (NULL: no cycle that day)"),
        _f('compliance_rate',
           "share of reachable contacts within their window at the day's last cycle"),
        sa.Column('overdue', sa.Integer(), nullable=True,
                  comment="contacts past their window at the day's last cycle")]),
    'response_times_daily': ("how fast our mail answered contacts' mail, by the reply's day", [
        _n('replies', "our touches that answered one or more touches from the contact"),
        sa.Column('minutes_total', sa.Float(), server_default='0', nullable=False,
                  comment="sum of minutes from the contact's first unanswered touch to our reply"),
        _n('within_1h', "replies within 60 minutes"),
        _n('within_4h', "replies within 4 hours"),
        _n('within_24h', "replies within 24 hours"),
        _f('slowest_minutes', "the slowest reply's minutes")]),
    'actions_daily': ("the gate's decisions per tenant, day, action kind, outcome and rule", [
        _d('kind', "the action kind (send_email, create_task, ...)", 40),
        _d('status', "the decision: allowed, deferred, blocked, awaiting_approval, ...", 20),
        _d('rule', "the rule that decided"),
        _n('decisions', "decisions with this kind, outcome and rule")]),
    'mail_daily': ("mail received and sent, bounces, complaints and suppressions per day", [
        _n('received', "messages stored from the mailboxes"),
        _n('received_from_people', "of those, mail from people (not machine mail)"),
        _n('machine_mail', "bounces, auto-replies, notifications and reports received"),
        _n('sent', "outbox messages sent (dry-run files included: see send_mode in events)"),
        _n('send_failed', "outbox messages that failed for good"),
        _n('delivery_unknown', "outbox messages whose hand-over was interrupted"),
        _n('bounces_hard', "recipient failures that suppressed the address"),
        _n('bounces_soft', "soft recipient failures (counted toward suppression)"),
        _n('bounces_ours', "failures on our side (authentication, reputation)"),
        _n('delays', "delay notices"),
        _n('complaints', "spam complaints (feedback-loop reports)"),
        _n('suppressions', "addresses suppressed")]),
    'feedback_daily': ("feedback requested and answered per tenant and day, with sentiment", [
        _n('requested', "feedback requests sent"),
        _n('answered', "feedback answers received"),
        _n('positive', "answers read as positive"),
        _n('neutral', "answers read as neutral"),
        _n('negative', "answers read as negative"),
        sa.Column('score_total', sa.Float(), server_default='0', nullable=False,
                  comment="sum of the answers' scores"),
        _n('scored', "answers with a score")]),
    'compliance_daily': ("compliance checks opened and settled per tenant and day", [
        _n('opened', "checks opened"),
        _n('completed', "checks completed"),
        _n('waived', "checks waived"),
        _n('cancelled', "checks cancelled")]),
}


def _schema(postgres: bool):
    return 'analytics' if postgres else None


def _create_fact(name, comment, columns, schema):
    keys = ['tenant_id', 'day'] + [c.name for c in columns if isinstance(c.type, sa.String)]
    op.create_table(
        name,
        sa.Column('tenant_id', sa.BigInteger(), nullable=False, comment="the tenant (tenants.id)"),
        sa.Column('day', sa.Date(), nullable=False, comment="the UTC day the events occurred on"),
        *columns,
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False,
                  comment="when this day was last built"),
        sa.PrimaryKeyConstraint(*keys, name=op.f(f'pk_{name}')),
        schema=schema,
        comment=comment,
    )
    op.create_index(f'ix_{name}_day', name, keys[1:], unique=False, schema=schema)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    with op.batch_alter_table('warehouse_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schema_version', sa.SmallInteger(), server_default='1',
                                      nullable=False))
        batch_op.create_index('ix_warehouse_events_kind_time', ['event_type', 'occurred_at'],
                              unique=False)
    op.create_table(
        'warehouse_builds',
        sa.Column('fact', sa.String(length=60), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('events_through', sa.BigInteger(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fact', 'day', name=op.f('pk_warehouse_builds')),
    )
    schema = _schema(postgres)
    if postgres:
        op.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    for name, (comment, columns) in FACTS.items():
        _create_fact(name, comment, columns, schema)
    for event in warehouse_v1.EVENTS:
        statements = (warehouse_v1.postgres_statements(event) if postgres
                      else warehouse_v1.sqlite_statements(event))
        for statement in statements:
            op.execute(statement)
    for statement in warehouse_v1.backfill_statements(bind.dialect.name):
        op.execute(statement)
    if postgres:
        warehouse_policy.secure(['public.warehouse_events']
                                + [f'analytics.{name}' for name in FACTS])



def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    for event in warehouse_v1.EVENTS:
        for statement in warehouse_v1.drop_statements(event, bind.dialect.name):
            op.execute(statement)
    schema = _schema(postgres)
    for name in FACTS:
        op.drop_table(name, schema=schema)
    if postgres:
        op.execute("DROP SCHEMA IF EXISTS analytics")
        op.execute(f"DROP POLICY IF EXISTS {rls.POLICY} ON warehouse_events")
        op.execute(f"CREATE POLICY {rls.POLICY} ON warehouse_events USING ({rls.PREDICATE}) "
                   f"WITH CHECK ({rls.PREDICATE})")
    op.drop_table('warehouse_builds')
    with op.batch_alter_table('warehouse_events', schema=None) as batch_op:
        batch_op.drop_index('ix_warehouse_events_kind_time')
        batch_op.drop_column('schema_version')

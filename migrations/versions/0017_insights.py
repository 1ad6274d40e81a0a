"""Insights (issue 17): daily anomalies, weekly client patterns and the recommendations the
cycle acts on, beside the facts in the `analytics` schema (the main database on SQLite), under
the same row-level security as the facts; and the view `pipeline_by_stage`.

Revision ID: 0017
Revises: 0016
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import warehouse_policy


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
TENANT = "the tenant (tenants.id)"
# Open deals per stage at the end of each day with movements, from the movements: a view, so
# it is never out of step with the facts. security_invoker: the reader's row-level security
# applies, not the owner's.
PIPELINE_VIEW = (
    "CREATE VIEW {view}{invoker} AS SELECT tenant_id, day, stage, "
    "sum(deals_entered - deals_left) OVER (PARTITION BY tenant_id, stage ORDER BY day) "
    "AS open_deals, "
    "sum(value_entered - value_left) OVER (PARTITION BY tenant_id, stage ORDER BY day) "
    "AS open_value FROM {table}"
)


def _t(name, comment, nullable=True):
    return sa.Column(name, sa.Text(), nullable=nullable, comment=comment)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    schema = 'analytics' if postgres else None
    op.create_table(
        'anomalies',
        sa.Column('tenant_id', sa.BigInteger(), nullable=False, comment=TENANT),
        sa.Column('day', sa.Date(), nullable=False, comment="the UTC day judged"),
        sa.Column('metric', sa.String(length=40), nullable=False,
                  comment="the metric (agent/insights.py)"),
        sa.Column('status', sa.String(length=20), nullable=False,
                  comment="anomaly, normal, not_enough_data, no_variation or not_built"),
        sa.Column('actual', sa.Float(), comment="the day's value"),
        sa.Column('baseline', sa.Float(),
                  comment="median of the same weekday over the weeks before"),
        sa.Column('expected_low', sa.Float(), comment="lower end of the expected range"),
        sa.Column('expected_high', sa.Float(), comment="upper end of the expected range"),
        sa.Column('score', sa.Float(),
                  comment="robust z-score: distance from the median in MADs"),
        sa.Column('direction', sa.String(length=4), comment="up or down, for an anomaly"),
        sa.Column('evidence', JSON, comment="the [day, value] pairs of the baseline"),
        _t('reason', "the finding in a sentence", nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False,
                  comment="when the day was judged"),
        sa.PrimaryKeyConstraint('tenant_id', 'day', 'metric', name=op.f('pk_anomalies')),
        schema=schema,
        comment="each tenant's daily metrics judged against their same-weekday history",
    )
    op.create_index('ix_anomalies_day', 'anomalies', ['day', 'status'], schema=schema)
    op.create_table(
        'client_patterns',
        sa.Column('tenant_id', sa.BigInteger(), nullable=False, comment=TENANT),
        sa.Column('week', sa.Date(), nullable=False, comment="the Monday of the week judged"),
        sa.Column('account_id', sa.BigInteger(), nullable=False,
                  comment="the account (accounts.id)"),
        sa.Column('account', sa.String(length=200), nullable=False,
                  comment="the account's name"),
        sa.Column('orders', sa.Integer(), nullable=False,
                  comment="days the account ordered on"),
        sa.Column('status', sa.String(length=20), nullable=False,
                  comment="pattern or not_enough_data"),
        _t('reason', "the pattern, or why there is none", nullable=False),
        sa.Column('median_interval_days', sa.Float(), comment="usual days between orders"),
        sa.Column('last_order_on', sa.Date(), comment="the latest order day"),
        sa.Column('days_since', sa.Integer(),
                  comment="days from the latest order to the week's end"),
        sa.Column('overdue_ratio', sa.Float(), comment="days_since / median_interval_days"),
        sa.Column('churn_risk', sa.String(length=10),
                  comment="low, medium (2x usual) or high (3x)"),
        _t('seasonality', "the busiest month, or why none is named"),
        sa.Column('reply_hours', JSON, comment="local hours the account's people write most"),
        sa.Column('win_loss', JSON, comment="decided quotes by outcome:reason"),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False,
                  comment="when the week was judged"),
        sa.PrimaryKeyConstraint('tenant_id', 'week', 'account_id',
                                name=op.f('pk_client_patterns')),
        schema=schema,
        comment="each account's order cadence, churn risk, seasonality, reply hours and quotes",
    )
    op.create_table(
        'success_strategies',
        sa.Column('tenant_id', sa.BigInteger(), nullable=False, comment=TENANT),
        sa.Column('strategy_key', sa.String(length=200), nullable=False,
                  comment="what makes it the same recommendation (kind, account, last order)"),
        sa.Column('kind', sa.String(length=40), nullable=False, comment="reorder_check_in"),
        sa.Column('account_id', sa.BigInteger(), comment="the account it is about"),
        _t('title', "the recommendation in a sentence", nullable=False),
        sa.Column('support', sa.Integer(), nullable=False,
                  comment="how many observations back it"),
        sa.Column('evidence', JSON, nullable=False, comment="the figures behind it"),
        sa.Column('action', JSON, nullable=False,
                  comment="the action the next cycle proposes"),
        sa.Column('status', sa.String(length=20), nullable=False,
                  comment="open (the next cycle proposes it), proposed or withdrawn"),
        sa.Column('week', sa.Date(), nullable=False, comment="the week that found it"),
        sa.Column('action_key', sa.String(length=300), comment="the ledger's key once proposed"),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                  comment="when it was first found"),
        sa.Column('proposed_at', sa.DateTime(timezone=True),
                  comment="when a cycle proposed it"),
        sa.PrimaryKeyConstraint('tenant_id', 'strategy_key',
                                name=op.f('pk_success_strategies')),
        schema=schema,
        comment="recommendations with their evidence, each proposing one action to the gate",
    )
    op.create_index('ix_success_strategies_status', 'success_strategies',
                    ['tenant_id', 'status'], schema=schema)
    if postgres:
        warehouse_policy.secure([f'analytics.{name}' for name in
                                 ('anomalies', 'client_patterns', 'success_strategies')])
    op.execute(PIPELINE_VIEW.format(
        view='analytics.pipeline_by_stage' if postgres else 'pipeline_by_stage',
        table='analytics.pipeline_daily' if postgres else 'pipeline_daily',
        invoker=' WITH (security_invoker = true)' if postgres else ''))


def downgrade() -> None:
    schema = 'analytics' if op.get_bind().dialect.name == 'postgresql' else None
    op.execute(f"DROP VIEW IF EXISTS {'analytics.' if schema else ''}pipeline_by_stage")
    for name in ('success_strategies', 'client_patterns', 'anomalies'):
        op.drop_table(name, schema=schema)

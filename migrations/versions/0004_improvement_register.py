"""Improvement register: improvements, root causes and why-steps, actions, metrics and measurements,
links to articles, phase history

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('chart', sa.String(length=10), nullable=False),
    sa.Column('statistic', sa.String(length=10), nullable=False),
    sa.Column('proportion', sa.Boolean(), nullable=False),
    sa.Column('scale', sa.Float(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics')),
    sa.UniqueConstraint('name', name=op.f('uq_metrics_name'))
    )
    op.create_table('improvements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('touchpoint', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=10), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('change_date', sa.Date(), nullable=True),
    sa.Column('metric_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('what_changed', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('follows_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['follows_id'], ['improvements.id'], name=op.f('fk_improvements_follows_id_improvements'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_improvements_metric_id_metrics')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_improvements_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvements'))
    )
    with op.batch_alter_table('improvements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvements_metric_id'), ['metric_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvements_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvements_phase'), ['phase'], unique=False)

    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_measurements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_measurements_metric_id_metrics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements')),
    sa.UniqueConstraint('metric_id', 'taken_on', name=op.f('uq_measurements_metric_id'))
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurements_metric_id'), ['metric_id'], unique=False)

    op.create_table('improvement_articles',
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_improvement_articles_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['improvement_id'], ['improvements.id'], name=op.f('fk_improvement_articles_improvement_id_improvements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('improvement_id', 'article_id', name=op.f('pk_improvement_articles'))
    )
    with op.batch_alter_table('improvement_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_articles_article_id'), ['article_id'], unique=False)

    op.create_table('phase_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=10), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['improvement_id'], ['improvements.id'], name=op.f('fk_phase_periods_improvement_id_improvements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase_periods'))
    )
    with op.batch_alter_table('phase_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phase_periods_improvement_id'), ['improvement_id'], unique=False)

    op.create_table('root_causes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['improvement_id'], ['improvements.id'], name=op.f('fk_root_causes_improvement_id_improvements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_root_causes'))
    )
    with op.batch_alter_table('root_causes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_root_causes_improvement_id'), ['improvement_id'], unique=False)

    op.create_table('improvement_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('cause_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('drop_reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['cause_id'], ['root_causes.id'], name=op.f('fk_improvement_actions_cause_id_root_causes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['improvement_id'], ['improvements.id'], name=op.f('fk_improvement_actions_improvement_id_improvements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_improvement_actions_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_actions'))
    )
    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_actions_improvement_id'), ['improvement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_actions_owner_id'), ['owner_id'], unique=False)

    op.create_table('why_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cause_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['cause_id'], ['root_causes.id'], name=op.f('fk_why_steps_cause_id_root_causes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_why_steps')),
    sa.UniqueConstraint('cause_id', 'position', name=op.f('uq_why_steps_cause_id'))
    )
    with op.batch_alter_table('why_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_why_steps_cause_id'), ['cause_id'], unique=False)


def downgrade() -> None:
    for table in ("why_steps", "improvement_actions", "root_causes", "phase_periods", "improvement_articles",
                  "measurements", "improvements", "metrics"):
        op.drop_table(table)

"""Feedback (votes, flags, reuse), onboarding (paths, assignments, acknowledgements, knowledge checks),
major revisions, an article's last view and reuse, and where an improvement came from

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # ids of search_pending rows are never used twice
        with op.batch_alter_table("search_pending", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}) as batch_op:
            pass
    op.create_table('learning_paths',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('expected_minutes', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_learning_paths_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_paths'))
    )
    op.create_table('acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_acknowledgements_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_acknowledgements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgements')),
    sa.UniqueConstraint('user_id', 'article_id', 'revision_number', name=op.f('uq_acknowledgements_user_id'))
    )
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgements_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgements_user_id'), ['user_id'], unique=False)

    op.create_table('article_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('flagged_by_id', sa.Integer(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('fixed_in_revision', sa.Integer(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=False),
    sa.Column('outcome_seen', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_flags_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flagged_by_id'], ['users.id'], name=op.f('fk_article_flags_flagged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_article_flags_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_flags'))
    )
    with op.batch_alter_table('article_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_flags_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_flags_flagged_by_id'), ['flagged_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_flags_status'), ['status'], unique=False)

    op.create_table('article_reuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_reuses_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_reuses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_reuses'))
    )
    with op.batch_alter_table('article_reuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_reuses_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_reuses_at'), ['at'], unique=False)

    op.create_table('article_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_votes_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_votes')),
    sa.UniqueConstraint('article_id', 'user_id', name=op.f('uq_article_votes_article_id'))
    )
    with op.batch_alter_table('article_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_votes_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_votes_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_votes_user_id'), ['user_id'], unique=False)

    op.create_table('check_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_check_attempts_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_check_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_attempts'))
    )
    with op.batch_alter_table('check_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_attempts_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_attempts_user_id'), ['user_id'], unique=False)

    op.create_table('check_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_check_questions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_check_questions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_questions')),
    sa.UniqueConstraint('article_id', 'position', name=op.f('uq_check_questions_article_id'))
    )
    with op.batch_alter_table('check_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_questions_article_id'), ['article_id'], unique=False)

    op.create_table('path_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_path_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], name=op.f('fk_path_assignments_path_id_learning_paths'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_path_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_assignments')),
    sa.UniqueConstraint('path_id', 'user_id', name=op.f('uq_path_assignments_path_id'))
    )
    with op.batch_alter_table('path_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_path_assignments_path_id'), ['path_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_path_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('path_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_path_items_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], name=op.f('fk_path_items_path_id_learning_paths'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_items')),
    sa.UniqueConstraint('path_id', 'article_id', name=op.f('uq_path_items_path_id'))
    )
    with op.batch_alter_table('path_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_path_items_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_path_items_path_id'), ['path_id'], unique=False)

    op.create_table('check_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['check_questions.id'], name=op.f('fk_check_choices_question_id_check_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_choices'))
    )
    with op.batch_alter_table('check_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_choices_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_viewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_reused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('use_count', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE articles SET use_count = view_count + reuse_count")
    op.create_index("ix_articles_state_use_count", "articles", ["state", "use_count"])

    with op.batch_alter_table('improvements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=220), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_improvements_origin'), ['origin'], unique=False)

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('major', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("search_pending", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": False}) as batch_op:
            pass
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('major')

    with op.batch_alter_table('improvements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvements_origin'))
        batch_op.drop_column('evidence')
        batch_op.drop_column('origin')

    op.drop_index("ix_articles_state_use_count", table_name="articles")
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('use_count')
        batch_op.drop_column('last_reused_at')
        batch_op.drop_column('last_viewed_at')

    with op.batch_alter_table('check_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_choices_question_id'))

    op.drop_table('check_choices')
    with op.batch_alter_table('path_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_path_items_path_id'))
        batch_op.drop_index(batch_op.f('ix_path_items_article_id'))

    op.drop_table('path_items')
    with op.batch_alter_table('path_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_path_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_path_assignments_path_id'))

    op.drop_table('path_assignments')
    with op.batch_alter_table('check_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_questions_article_id'))

    op.drop_table('check_questions')
    with op.batch_alter_table('check_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_attempts_user_id'))
        batch_op.drop_index(batch_op.f('ix_check_attempts_article_id'))

    op.drop_table('check_attempts')
    with op.batch_alter_table('article_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_votes_user_id'))
        batch_op.drop_index(batch_op.f('ix_article_votes_at'))
        batch_op.drop_index(batch_op.f('ix_article_votes_article_id'))

    op.drop_table('article_votes')
    with op.batch_alter_table('article_reuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_reuses_at'))
        batch_op.drop_index(batch_op.f('ix_article_reuses_article_id'))

    op.drop_table('article_reuses')
    with op.batch_alter_table('article_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_flags_status'))
        batch_op.drop_index(batch_op.f('ix_article_flags_flagged_by_id'))
        batch_op.drop_index(batch_op.f('ix_article_flags_article_id'))

    op.drop_table('article_flags')
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgements_user_id'))
        batch_op.drop_index(batch_op.f('ix_acknowledgements_article_id'))

    op.drop_table('acknowledgements')
    op.drop_table('learning_paths')

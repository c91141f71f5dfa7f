"""reporting periods, period entries, and headquarters money per year

The office opens a reporting period (`report_period`: six months, a year or a quarter, with the day
entries are due) and closes it; each task's owner writes one entry per period (`period_entry`), a
draft until submitted, frozen after. Headquarters money is kept per project and year
(`hq_project_year`: the year's capital plan and disbursed to date), so a past year's report shows
that year's money; `hq_project` keeps the running totals. Closing a period copies its year's money as
it then stood (`period_money`): the period's report reads that copy.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_period',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('opened_by', sa.String(length=50), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by', sa.String(length=50), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('nua_nam', 'nam', 'quy')", name=op.f('ck_report_period_kind')),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_report_period_state')),
        sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_report_period_span')),
        sa.CheckConstraint('version >= 1', name=op.f('ck_report_period_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_period')),
        sa.UniqueConstraint('label', name='report_period_label'),
    )
    op.create_index(op.f('ix_report_period_ends_on'), 'report_period', ['ends_on'])

    op.create_table(
        'period_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('progress_pct', sa.Integer(), nullable=False),
        sa.Column('obstacles', sa.Text(), nullable=False),
        sa.Column('proposals', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('submitted_by', sa.String(length=50), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sa.String(length=50), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'submitted')", name=op.f('ck_period_entry_state')),
        sa.CheckConstraint('progress_pct BETWEEN 0 AND 100', name=op.f('ck_period_entry_progress_pct')),
        sa.CheckConstraint('version >= 1', name=op.f('ck_period_entry_version')),
        sa.ForeignKeyConstraint(
            ['period_id'], ['report_period.id'], name=op.f('fk_period_entry_period_id_report_period')
        ),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_period_entry_task_id_task')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_period_entry')),
        sa.UniqueConstraint('period_id', 'task_id', name='period_entry_task'),
    )
    op.create_index(op.f('ix_period_entry_period_id'), 'period_entry', ['period_id'])
    op.create_index(op.f('ix_period_entry_task_id'), 'period_entry', ['task_id'])

    op.create_table(
        'hq_project_year',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('plan_vnd', sa.BigInteger(), nullable=False),
        sa.Column('disbursed_vnd', sa.BigInteger(), nullable=False),
        sa.Column('updated_by', sa.String(length=50), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint('plan_vnd >= 0 AND disbursed_vnd >= 0', name=op.f('ck_hq_project_year_money')),
        sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_hq_project_year_year')),
        sa.CheckConstraint('version >= 1', name=op.f('ck_hq_project_year_version')),
        sa.ForeignKeyConstraint(
            ['project_id'], ['hq_project.id'], name=op.f('fk_hq_project_year_project_id_hq_project')
        ),
        sa.PrimaryKeyConstraint('project_id', 'year', name=op.f('pk_hq_project_year')),
    )
    op.create_index(op.f('ix_hq_project_year_year'), 'hq_project_year', ['year'])

    op.create_table(
        'period_money',
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('plan_vnd', sa.BigInteger(), nullable=False),
        sa.Column('disbursed_vnd', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('plan_vnd >= 0 AND disbursed_vnd >= 0', name=op.f('ck_period_money_money')),
        sa.ForeignKeyConstraint(
            ['period_id'], ['report_period.id'], name=op.f('fk_period_money_period_id_report_period')
        ),
        sa.ForeignKeyConstraint(
            ['project_id'], ['hq_project.id'], name=op.f('fk_period_money_project_id_hq_project')
        ),
        sa.PrimaryKeyConstraint('period_id', 'project_id', name=op.f('pk_period_money')),
    )


def downgrade() -> None:
    op.drop_table('period_money')
    op.drop_index(op.f('ix_hq_project_year_year'), table_name='hq_project_year')
    op.drop_table('hq_project_year')
    op.drop_index(op.f('ix_period_entry_task_id'), table_name='period_entry')
    op.drop_index(op.f('ix_period_entry_period_id'), table_name='period_entry')
    op.drop_table('period_entry')
    op.drop_index(op.f('ix_report_period_ends_on'), table_name='report_period')
    op.drop_table('report_period')

"""year-end report drafts with versions; tasks frozen with a closed period

The office keeps one draft of the year-end report per year and scope (`report_draft`: a locality's
code, or "toan-tinh" for the province); each save adds a version (`report_draft_version`: the text of
its sections, who saved it, when, and a note such as "Khôi phục bản 2"), never changed afterwards.
The draft's `version` is the latest version's number: a save from an older one is refused.
Closing a period now also copies each task's state, deadline, completion day and place
(`period_task`), so the task table of that period's report counts the tasks as they stood then;
periods closed before this revision have no copy and their reports recount today's tasks.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'period_task',
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('locality_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('current_deadline', sa.Date(), nullable=True),
        sa.Column('completed_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ['period_id'], ['report_period.id'], name=op.f('fk_period_task_period_id_report_period')
        ),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_period_task_task_id_task')),
        sa.PrimaryKeyConstraint('period_id', 'task_id', name=op.f('pk_period_task')),
    )
    op.create_table(
        'report_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('created_by', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_report_draft_year')),
        sa.CheckConstraint('version >= 1', name=op.f('ck_report_draft_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_draft')),
        sa.UniqueConstraint('year', 'scope', name='report_draft_year_scope'),
    )
    op.create_table(
        'report_draft_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('general', sa.Text(), nullable=False),
        sa.Column('obstacles', sa.Text(), nullable=False),
        sa.Column('proposals', sa.Text(), nullable=False),
        sa.Column('outlook', sa.Text(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('saved_by', sa.String(length=50), nullable=False),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('number >= 1', name=op.f('ck_report_draft_version_number')),
        sa.ForeignKeyConstraint(
            ['draft_id'], ['report_draft.id'], name=op.f('fk_report_draft_version_draft_id_report_draft')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_draft_version')),
        sa.UniqueConstraint('draft_id', 'number', name='report_draft_version_number'),
    )
    op.create_index(
        op.f('ix_report_draft_version_draft_id'), 'report_draft_version', ['draft_id']
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_report_draft_version_draft_id'), table_name='report_draft_version')
    op.drop_table('report_draft_version')
    op.drop_table('report_draft')
    op.drop_table('period_task')

"""indexes for the overview's aggregates at scale

The bucket counts read a narrow covering index instead of whole task rows (titles and
results are long), and so do the money sums of headquarters projects; "last update per
locality" reads the newest entry of an index per locality instead of scanning rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:35:00
"""

from __future__ import annotations

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_task_buckets',
        'task',
        ['locality_id', 'state', 'current_deadline', 'completed_on', 'clause_id', 'lead_agency_id'],
    )
    op.create_index('ix_task_locality_updated', 'task', ['locality_id', 'updated_at'])
    op.create_index('ix_hq_project_unit_updated', 'hq_project', ['unit_id', 'updated_at'])
    op.create_index(
        'ix_hq_project_money', 'hq_project', ['unit_id', 'planned_vnd', 'allocated_vnd', 'disbursed_vnd']
    )


def downgrade() -> None:
    op.drop_index('ix_hq_project_money', table_name='hq_project')
    op.drop_index('ix_hq_project_unit_updated', table_name='hq_project')
    op.drop_index('ix_task_locality_updated', table_name='task')
    op.drop_index('ix_task_buckets', table_name='task')

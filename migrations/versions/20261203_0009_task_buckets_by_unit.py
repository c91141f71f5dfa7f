"""the overview's covering index of tasks also holds the unit and the last update

Since the 2025 reorganisations a task is placed by its unit as well as its district (a district
that ended groups the new phường and xã on its territory), and the league reads when each place
last reported. The bucket counts kept reading the narrow index and then every task row for those
two columns; the index now covers them (100k synthetic tasks, a district that ended: 609–631 ms
of CPU per overview before, 302–400 ms after).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 04:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = ['locality_id', 'state', 'current_deadline', 'completed_on', 'clause_id', 'lead_agency_id']
NEW = [
    'locality_id',
    'unit_id',
    'state',
    'current_deadline',
    'completed_on',
    'clause_id',
    'lead_agency_id',
    'updated_at',
]


def upgrade() -> None:
    op.drop_index('ix_task_buckets', table_name='task')
    op.create_index('ix_task_buckets', 'task', NEW)


def downgrade() -> None:
    op.drop_index('ix_task_buckets', table_name='task')
    op.create_index('ix_task_buckets', 'task', OLD)

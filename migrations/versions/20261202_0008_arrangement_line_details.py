"""arrangement lines keep what a file says beyond names: agency codes, a split's seat, a new agency's
header (superior, place), and lines that end a body without successor (change 'ended': the district
level, abolished on 1/7/2025)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD = "change IN ('same', 'merged', 'split', 'renamed', 'moved', 'upgraded')"
NEW = "change IN ('same', 'merged', 'split', 'renamed', 'moved', 'upgraded', 'ended')"


def upgrade() -> None:
    with op.batch_alter_table('arrangement_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('old_code', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('new_code', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('main', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('superior', sa.String(length=150), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('place', sa.String(length=50), nullable=False, server_default=''))
        batch_op.drop_constraint(op.f('ck_arrangement_line_change'), type_='check')
        batch_op.create_check_constraint(op.f('ck_arrangement_line_change'), NEW)


def downgrade() -> None:
    op.execute("DELETE FROM arrangement_line WHERE change = 'ended'")
    with op.batch_alter_table('arrangement_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_arrangement_line_change'), type_='check')
        batch_op.create_check_constraint(op.f('ck_arrangement_line_change'), OLD)
        batch_op.drop_column('place')
        batch_op.drop_column('superior')
        batch_op.drop_column('main')
        batch_op.drop_column('new_code')
        batch_op.drop_column('old_code')

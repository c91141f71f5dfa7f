"""audit row version and browser session key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:29:29.414908
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_version', sa.Integer(), nullable=True))

    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browser_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_auth_session_browser_key'), ['browser_key'])



def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_auth_session_browser_key'), type_='unique')
        batch_op.drop_column('browser_key')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('row_version')


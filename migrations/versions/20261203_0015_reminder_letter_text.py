"""a reminder letter keeps its signer's title and its request, so an issued letter can be downloaded
again exactly as it went out

Letters issued before this revision did not keep them: both stay empty and the page says such a
letter cannot be rebuilt.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reminder') as batch:
        batch.add_column(sa.Column('signer_title', sa.String(length=150), nullable=False, server_default=''))
        batch.add_column(sa.Column('request', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('reminder') as batch:
        batch.drop_column('request')
        batch.drop_column('signer_title')

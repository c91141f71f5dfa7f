"""sign-in hardening: server-set re-login cookie, known browsers, locks per client and per browser

The re-login cookie is set by the server (HttpOnly) in exchange for a one-time code; browsers a
user signed in on get a device cookie that lets the owner past an account lock; locks hold back a
username, a client address or one known browser. Locks last minutes, so the old table is replaced
rather than converted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cookie_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cookie_code_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_auth_session_cookie_code_hash'), ['cookie_code_hash'])

    op.create_table(
        'trusted_device',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_device')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_trusted_device_token_hash')),
    )
    op.create_index(op.f('ix_trusted_device_username'), 'trusted_device', ['username'])

    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('device_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempt_client'), ['client'])
        batch_op.create_foreign_key(
            batch_op.f('fk_login_attempt_device_id_trusted_device'),
            'trusted_device',
            ['device_id'],
            ['id'],
            ondelete='SET NULL',
        )

    op.drop_table('login_lock')
    op.create_table(
        'login_lock',
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('account', 'client', 'device')", name=op.f('ck_login_lock_kind')),
        sa.PrimaryKeyConstraint('kind', 'subject', name=op.f('pk_login_lock')),
    )


def downgrade() -> None:
    op.drop_table('login_lock')
    op.create_table(
        'login_lock',
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('username', name=op.f('pk_login_lock')),
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_login_attempt_device_id_trusted_device'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_login_attempt_client'))
        batch_op.drop_column('device_id')
        batch_op.drop_column('client')
    op.drop_index(op.f('ix_trusted_device_username'), table_name='trusted_device')
    op.drop_table('trusted_device')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_auth_session_cookie_code_hash'), type_='unique')
        batch_op.drop_column('cookie_code_expires_at')
        batch_op.drop_column('cookie_code_hash')

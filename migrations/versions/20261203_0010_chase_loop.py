"""the chase loop: requests the office confirms, reminder letters, evidence files, comments

A focal point's request on a task (complete, suspend, cancel, a new deadline) waits for the office
(`task_request`, one pending per task); reminder letters and the tasks each names (`reminder`,
`reminder_task`) and the addressee's email (`agency.email`); evidence files with their bytes in a
table of their own (`attachment`, `attachment_content`); comments and directions per row, and the
users they mention (`comment`, `mention`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=False, server_default=''))

    op.create_table(
        'task_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('completed_on', sa.Date(), nullable=True),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('new_deadline', sa.Date(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('document', sa.String(length=200), nullable=False),
        sa.Column('task_version', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.String(length=50), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=50), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('hoan_thanh', 'tam_dung', 'huy', 'gia_han')", name=op.f('ck_task_request_kind')),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed', 'returned', 'withdrawn')", name=op.f('ck_task_request_state')
        ),
        sa.CheckConstraint('version >= 1', name=op.f('ck_task_request_version')),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_request_task_id_task')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_request')),
    )
    op.create_index('ix_task_request_task_state', 'task_request', ['task_id', 'state'])
    op.create_index(op.f('ix_task_request_state'), 'task_request', ['state'])
    op.create_index(
        'uq_task_request_pending',
        'task_request',
        ['task_id'],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )

    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('signer', sa.String(length=150), nullable=False),
        sa.Column('issuer', sa.String(length=150), nullable=False),
        sa.Column('reply_by', sa.Date(), nullable=True),
        sa.Column('emailed_to', sa.String(length=200), nullable=False),
        sa.Column('email_status', sa.String(length=200), nullable=False),
        sa.Column('created_by', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_reminder_agency_id_agency')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    )
    op.create_index(op.f('ix_reminder_agency_id'), 'reminder', ['agency_id'])
    op.create_table(
        'reminder_task',
        sa.Column('reminder_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['reminder_id'], ['reminder.id'], name=op.f('fk_reminder_task_reminder_id_reminder'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_reminder_task_task_id_task')),
        sa.PrimaryKeyConstraint('reminder_id', 'task_id', name=op.f('pk_reminder_task')),
    )
    op.create_index(op.f('ix_reminder_task_task_id'), 'reminder_task', ['task_id'])

    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('uploaded_by', sa.String(length=50), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('removed_by', sa.String(length=50), nullable=False),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "entity IN ('task', 'hq_project', 'model_ward', 'document', 'task_request')",
            name=op.f('ck_attachment_entity'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    )
    op.create_index('ix_attachment_entity_row', 'attachment', ['entity', 'row_id'])
    op.create_table(
        'attachment_content',
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['attachment_id'],
            ['attachment.id'],
            name=op.f('fk_attachment_content_attachment_id_attachment'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('attachment_id', name=op.f('pk_attachment_content')),
    )

    op.create_table(
        'comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('author', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("entity IN ('task', 'hq_project', 'model_ward')", name=op.f('ck_comment_entity')),
        sa.CheckConstraint("kind IN ('comment', 'direction')", name=op.f('ck_comment_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    )
    op.create_index('ix_comment_entity_row', 'comment', ['entity', 'row_id'])
    op.create_table(
        'mention',
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=50), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['comment_id'], ['comment.id'], name=op.f('fk_mention_comment_id_comment'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('comment_id', 'username', name=op.f('pk_mention')),
    )
    op.create_index(op.f('ix_mention_username'), 'mention', ['username'])


def downgrade() -> None:
    op.drop_index(op.f('ix_mention_username'), table_name='mention')
    op.drop_table('mention')
    op.drop_index('ix_comment_entity_row', table_name='comment')
    op.drop_table('comment')
    op.drop_table('attachment_content')
    op.drop_index('ix_attachment_entity_row', table_name='attachment')
    op.drop_table('attachment')
    op.drop_index(op.f('ix_reminder_task_task_id'), table_name='reminder_task')
    op.drop_table('reminder_task')
    op.drop_index(op.f('ix_reminder_agency_id'), table_name='reminder')
    op.drop_table('reminder')
    op.drop_index('uq_task_request_pending', table_name='task_request')
    op.drop_index(op.f('ix_task_request_state'), table_name='task_request')
    op.drop_index('ix_task_request_task_state', table_name='task_request')
    op.drop_table('task_request')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('email')

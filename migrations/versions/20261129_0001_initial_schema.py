"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 11:35:14.373698
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_meta',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_meta'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('issued_label', sa.String(length=30), nullable=False),
    sa.Column('issuer', sa.String(length=100), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('code', name=op.f('uq_document_code'))
    )
    op.create_table('locality',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('huyen', 'thi_xa', 'thanh_pho')", name=op.f('ck_locality_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locality')),
    sa.UniqueConstraint('code', name=op.f('uq_locality_code'))
    )
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('cong_an', 'so_nganh', 'ubnd', 'bao_chi')", name=op.f('ck_agency_kind')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_agency_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code'))
    )
    op.create_table('clause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_clause_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clause')),
    sa.UniqueConstraint('document_id', 'code', name='document_code')
    )
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('becomes_phuong_2025', sa.Boolean(), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('phuong', 'xa', 'thi_tran')", name=op.f('ck_unit_kind')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_unit_locality_id_locality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('locality_id', 'name', name='locality_name')
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_locality_id'), ['locality_id'], unique=False)

    op.create_table('hq_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('land_status', sa.String(length=20), nullable=False),
    sa.Column('land_area_m2', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('funding_source', sa.String(length=30), nullable=False),
    sa.Column('planned_vnd', sa.BigInteger(), nullable=False),
    sa.Column('allocated_vnd', sa.BigInteger(), nullable=False),
    sa.Column('disbursed_vnd', sa.BigInteger(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('planned_completion_on', sa.Date(), nullable=True),
    sa.Column('actual_completion_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=50), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("funding_source IN ('ngan_sach_tinh', 'ngan_sach_huyen', 'ngan_sach_xa', 'xa_hoi_hoa', 'hon_hop')", name=op.f('ck_hq_project_funding_source')),
    sa.CheckConstraint("kind IN ('xay_moi', 'cai_tao')", name=op.f('ck_hq_project_kind')),
    sa.CheckConstraint("land_status IN ('chua_bo_tri', 'dang_bo_tri', 'da_bo_tri')", name=op.f('ck_hq_project_land_status')),
    sa.CheckConstraint("stage IN ('chua_bo_tri_dat', 'da_bo_tri_dat', 'chuan_bi_dau_tu', 'dang_thi_cong', 'hoan_thanh', 'dua_vao_su_dung')", name=op.f('ck_hq_project_stage')),
    sa.CheckConstraint('planned_vnd >= allocated_vnd AND allocated_vnd >= disbursed_vnd AND disbursed_vnd >= 0', name=op.f('ck_hq_project_funding_chain')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_hq_project_version')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_hq_project_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hq_project'))
    )
    with op.batch_alter_table('hq_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hq_project_unit_id'), ['unit_id'], unique=False)

    op.create_table('model_ward',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year_registered', sa.Integer(), nullable=False),
    sa.Column('criteria_met', sa.Integer(), nullable=False),
    sa.Column('recognised_decision', sa.String(length=100), nullable=False),
    sa.Column('recognised_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=50), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('criteria_met BETWEEN 0 AND 22', name=op.f('ck_model_ward_criteria_met')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_model_ward_version')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_model_ward_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_ward')),
    sa.UniqueConstraint('unit_id', 'year_registered', name='unit_year')
    )
    with op.batch_alter_table('model_ward', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_ward_unit_id'), ['unit_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('lead_agency_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('original_deadline', sa.Date(), nullable=True),
    sa.Column('current_deadline', sa.Date(), nullable=True),
    sa.Column('extension_doc', sa.String(length=200), nullable=False),
    sa.Column('recurrence', sa.String(length=30), nullable=False),
    sa.Column('report_year', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('progress_pct', sa.Integer(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('result_doc', sa.String(length=200), nullable=False),
    sa.Column('obstacles', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=50), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('chua_trien_khai', 'dang_thuc_hien', 'hoan_thanh', 'tam_dung', 'huy')", name=op.f('ck_task_state')),
    sa.CheckConstraint('progress_pct BETWEEN 0 AND 100', name=op.f('ck_task_progress_pct')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_task_version')),
    sa.ForeignKeyConstraint(['clause_id'], ['clause.id'], name=op.f('fk_task_clause_id_clause')),
    sa.ForeignKeyConstraint(['lead_agency_id'], ['agency.id'], name=op.f('fk_task_lead_agency_id_agency')),
    sa.ForeignKeyConstraint(['locality_id'], ['locality.id'], name=op.f('fk_task_locality_id_locality')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_task_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_clause_id'), ['clause_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_current_deadline'), ['current_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_lead_agency_id'), ['lead_agency_id'], unique=False)
        batch_op.create_index('ix_task_locality_deadline', ['locality_id', 'current_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_state'), ['state'], unique=False)

    op.create_table('task_basis',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_task_basis_document_id_document')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_basis_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'document_id', name=op.f('pk_task_basis'))
    )
    with op.batch_alter_table('task_basis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_basis_document_id'), ['document_id'], unique=False)

    op.create_table('task_cooperator',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_task_cooperator_agency_id_agency')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_cooperator_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'agency_id', name=op.f('pk_task_cooperator'))
    )
    app_meta = sa.table('app_meta', sa.column('key', sa.String), sa.column('value', sa.BigInteger))
    op.bulk_insert(app_meta, [{'key': 'data_version', 'value': 0}])


def downgrade() -> None:
    op.drop_table('task_cooperator')
    with op.batch_alter_table('task_basis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_basis_document_id'))

    op.drop_table('task_basis')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_state'))
        batch_op.drop_index('ix_task_locality_deadline')
        batch_op.drop_index(batch_op.f('ix_task_lead_agency_id'))
        batch_op.drop_index(batch_op.f('ix_task_current_deadline'))
        batch_op.drop_index(batch_op.f('ix_task_clause_id'))

    op.drop_table('task')
    with op.batch_alter_table('model_ward', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_ward_unit_id'))

    op.drop_table('model_ward')
    with op.batch_alter_table('hq_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hq_project_unit_id'))

    op.drop_table('hq_project')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_locality_id'))

    op.drop_table('unit')
    op.drop_table('clause')
    op.drop_table('agency')
    op.drop_table('locality')
    op.drop_table('document')
    op.drop_table('app_meta')

"""living register: document kinds, recurring duties, lifecycles, the assigning document

Documents get a kind and a version (they are edited on /van-ban); a duty is a recurring
assignment from which each period's task is generated; a task names the document that assigned
it and may have no clause (documents after the letter have none); headquarters projects and
model-ward registrations get a lifecycle instead of ever being deleted; agencies and units can be
retired; rows created from a form or an import carry its key, so a resubmission creates nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:13:12.649176
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS = "'de_an', 'ke_hoach', 'cong_van', 'quyet_dinh', 'chi_thi', 'ket_luan', 'thong_bao', 'bao_cao', 'khac'"
LIFECYCLES = "'active', 'stopped', 'cancelled', 'merged'"


def upgrade() -> None:
    op.create_table(
        "duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("clause_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column("locality_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("recurrence", sa.String(length=20), nullable=False),
        sa.Column("due_month", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.Column("expected_product", sa.Text(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "recurrence IN ('mot_lan', 'hang_nam', 'sau_thang', 'hang_quy', 'thuong_xuyen')",
            name=op.f("ck_duty_recurrence"),
        ),
        sa.CheckConstraint(
            "due_month BETWEEN 1 AND 12 AND due_day BETWEEN 1 AND 31", name=op.f("ck_duty_due")
        ),
        sa.ForeignKeyConstraint(["clause_id"], ["clause.id"], name=op.f("fk_duty_clause_id_clause")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_duty_document_id_document")),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"], ["agency.id"], name=op.f("fk_duty_lead_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(["locality_id"], ["locality.id"], name=op.f("fk_duty_locality_id_locality")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_duty_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty")),
    )
    with op.batch_alter_table("duty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_document_id"), ["document_id"], unique=False)

    op.create_table(
        "duty_cooperator",
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_duty_cooperator_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["duty.id"], name=op.f("fk_duty_cooperator_duty_id_duty"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("duty_id", "agency_id", name=op.f("pk_duty_cooperator")),
    )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="cong_van")
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("updated_by", sa.String(length=50), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_document_number"), ["number"], unique=False)
        batch_op.create_check_constraint(batch_op.f("ck_document_kind"), f"kind IN ({KINDS})")
    document = sa.table("document", sa.column("code", sa.String), sa.column("kind", sa.String))
    for code, kind in (("30-da-bca", "de_an"), ("885-qd-ubnd", "quyet_dinh")):
        op.execute(document.update().where(document.c.code == code).values(kind=kind))

    with op.batch_alter_table("hq_project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lifecycle", sa.String(length=20), nullable=False, server_default="active")
        )
        batch_op.add_column(
            sa.Column("lifecycle_doc", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_hq_project_lifecycle"), f"lifecycle IN ({LIFECYCLES})"
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("creation_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_hq_project_lifecycle"), ["lifecycle"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_hq_project_creation_key"), ["creation_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_hq_project_merged_into_id_hq_project"), "hq_project", ["merged_into_id"], ["id"]
        )

    with op.batch_alter_table("model_ward", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lifecycle", sa.String(length=20), nullable=False, server_default="active")
        )
        batch_op.add_column(
            sa.Column("lifecycle_doc", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_model_ward_lifecycle"), f"lifecycle IN ({LIFECYCLES})"
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("creation_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_model_ward_lifecycle"), ["lifecycle"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_model_ward_creation_key"), ["creation_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_model_ward_merged_into_id_model_ward"), "model_ward", ["merged_into_id"], ["id"]
        )

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duty_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("expected_product", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("creation_key", sa.String(length=64), nullable=True))
        batch_op.alter_column("clause_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint("duty_period", ["duty_id", "period"])
        batch_op.create_index(batch_op.f("ix_task_document_id"), ["document_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_task_creation_key"), ["creation_key"])
        batch_op.create_foreign_key(batch_op.f("fk_task_duty_id_duty"), "duty", ["duty_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_task_document_id_document"), "document", ["document_id"], ["id"]
        )
    # Every task so far was assigned by the clause's document (the letter).
    op.execute(
        "UPDATE task SET document_id = (SELECT clause.document_id FROM clause WHERE clause.id = task.clause_id)"
    )

    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("retired_on")

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_task_document_id_document"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_task_duty_id_duty"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_task_creation_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_task_document_id"))
        batch_op.drop_constraint("duty_period", type_="unique")
        batch_op.alter_column("clause_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("creation_key")
        batch_op.drop_column("expected_product")
        batch_op.drop_column("period")
        batch_op.drop_column("duty_id")
        batch_op.drop_column("document_id")

    with op.batch_alter_table("model_ward", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_model_ward_merged_into_id_model_ward"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_model_ward_creation_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_model_ward_lifecycle"), type_="check")
        batch_op.drop_index(batch_op.f("ix_model_ward_lifecycle"))
        batch_op.drop_column("creation_key")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("lifecycle_doc")
        batch_op.drop_column("lifecycle")

    with op.batch_alter_table("hq_project", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_hq_project_merged_into_id_hq_project"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_hq_project_creation_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_hq_project_lifecycle"), type_="check")
        batch_op.drop_index(batch_op.f("ix_hq_project_lifecycle"))
        batch_op.drop_column("creation_key")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("lifecycle_doc")
        batch_op.drop_column("lifecycle")

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_document_kind"), type_="check")
        batch_op.drop_index(batch_op.f("ix_document_number"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("version")
        batch_op.drop_column("kind")

    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("retired_on")

    op.drop_table("duty_cooperator")
    with op.batch_alter_table("duty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_document_id"))

    op.drop_table("duty")

"""money index with the lifecycle: the headquarters sums and counts read one narrow index again

Since projects have a lifecycle, the money sums count every project that was not cancelled and the
counts only the projects followed; both read `lifecycle`, which the money index of 0004 lacked, so
they fell back to scanning the table (the count of the list went from a covering index to the
table). With the lifecycle right after the unit, the same index covers both again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_hq_project_money", table_name="hq_project")
    op.create_index(
        "ix_hq_project_money",
        "hq_project",
        ["unit_id", "lifecycle", "planned_vnd", "allocated_vnd", "disbursed_vnd"],
    )


def downgrade() -> None:
    op.drop_index("ix_hq_project_money", table_name="hq_project")
    op.create_index(
        "ix_hq_project_money", "hq_project", ["unit_id", "planned_vnd", "allocated_vnd", "disbursed_vnd"]
    )

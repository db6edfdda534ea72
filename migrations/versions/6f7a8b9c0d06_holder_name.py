"""The customer's name as on their identity document, an optional field of ticket creation
(api.md "Evidence analysis": `holder_name`, compared with a passport's MRZ).

Revision ID: 6f7a8b9c0d06
Revises: 5e6f7a8b9c05
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "6f7a8b9c0d06"
down_revision = "5e6f7a8b9c05"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and without a default: tickets made before it simply have none.
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("holder_name", sa.String(200)))


def downgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("holder_name")

"""The account's own language on its record: the registered owner's notices are written in
it, never in the language of whoever filed a change (recovery.md "Notice to the registered
owner"; triage.recovery.notices.owner_language). NULL: the deployment's DEFAULT_LANGUAGE.

Revision ID: 8b9c0d1e2f09
Revises: 7a8b9c0d1e07
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "8b9c0d1e2f09"
down_revision = "7a8b9c0d1e07"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_records") as batch:
        batch.add_column(sa.Column("language", sa.String(10), nullable=True))


def downgrade():
    with op.batch_alter_table("account_records") as batch:
        batch.drop_column("language")

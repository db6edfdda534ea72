"""Room for a PDF first page's perceptual hash: 4,096 bits as 1,024 hex digits (issue 13,
near-duplicates of PDFs; triage.analysis.phash.page_hash). Photos keep their 16.

Revision ID: 7a8b9c0d1e07
Revises: 6f7a8b9c0d06
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "7a8b9c0d1e07"
down_revision = "6f7a8b9c0d06"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence") as batch:
        batch.alter_column(
            "phash", existing_type=sa.String(16), type_=sa.String(1024), existing_nullable=True
        )


def downgrade():
    # The narrower column holds photos' hashes only; pages lose theirs (PDFs then simply take
    # no part in near-duplicate search, as before this revision).
    op.execute("UPDATE evidence SET phash = NULL WHERE length(phash) > 16")
    with op.batch_alter_table("evidence") as batch:
        batch.alter_column(
            "phash", existing_type=sa.String(1024), type_=sa.String(16), existing_nullable=True
        )

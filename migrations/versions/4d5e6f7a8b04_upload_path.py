"""Upload path: per-ticket file count and bytes on the ticket, for fewer statements per upload.

An upload checks the ticket's caps (TICKET_MAX_FILES, TICKET_MAX_BYTES) in the same
conditional UPDATE that takes the ticket's row, instead of a separate count and sum over
its evidence; the two columns are those running totals. Existing rows are backfilled from
their evidence.

Revision ID: 4d5e6f7a8b04
Revises: 3c4d5e6f7a03
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "4d5e6f7a8b04"
down_revision = "3c4d5e6f7a03"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("evidence_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("evidence_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE tickets SET "
        "evidence_count = (SELECT count(*) FROM evidence WHERE evidence.ticket_id = tickets.id), "
        "evidence_bytes = (SELECT coalesce(sum(size), 0) FROM evidence "
        "WHERE evidence.ticket_id = tickets.id) "
        "WHERE EXISTS (SELECT 1 FROM evidence WHERE evidence.ticket_id = tickets.id)"
    )


def downgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("evidence_bytes")
        batch.drop_column("evidence_count")

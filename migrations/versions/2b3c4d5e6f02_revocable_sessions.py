"""Revocable sessions

Revision ID: 2b3c4d5e6f02
Revises: 1a2b3c4d5e01
Create Date: 2026-12-03 07:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b3c4d5e6f02'
down_revision = '1a2b3c4d5e01'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewers: a session epoch in every cookie; sign-out raises it (Flask-Login's
    # alternative tokens), so cookies issued before stop working.
    with op.batch_alter_table('reviewers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    # Customers: one row per browser that may open a ticket; "forget this device" deletes it.
    op.create_table('ticket_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_code', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_grants_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_grants')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ticket_grants_token_hash'))
    )
    with op.batch_alter_table('ticket_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_grants_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_grants_ticket_id'))

    op.drop_table('ticket_grants')
    with op.batch_alter_table('reviewers', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

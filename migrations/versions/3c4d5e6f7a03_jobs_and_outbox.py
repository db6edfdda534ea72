"""Background jobs and the notification outbox.

Revision ID: 3c4d5e6f7a03
Revises: 2b3c4d5e6f02
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = '3c4d5e6f7a03'
down_revision = '2b3c4d5e6f02'
branch_labels = None
depends_on = None


def upgrade():
    # The customer's language: every email about the ticket is written in it.
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(
            sa.Column('language', sa.String(length=10), nullable=False, server_default='en')
        )

    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_by', sa.String(length=200), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('message_id', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['ticket_id'], ['tickets.id'],
            name=op.f('fk_notifications_ticket_id_tickets'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index(op.f('ix_notifications_ticket_id'), 'notifications', ['ticket_id'])
    op.create_index('ix_notifications_due', 'notifications', ['status', 'next_attempt_at'])

    op.create_table(
        'jobs',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('first_error_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    op.create_index('ix_jobs_status_updated', 'jobs', ['status', 'updated_at'])


def downgrade():
    op.drop_index('ix_jobs_status_updated', table_name='jobs')
    op.drop_table('jobs')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_index(op.f('ix_notifications_ticket_id'), table_name='notifications')
    op.drop_table('notifications')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('language')

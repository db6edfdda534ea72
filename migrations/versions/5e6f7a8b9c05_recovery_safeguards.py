"""Account-recovery safeguards (recovery.md): accounts of record, four eyes, the waiting
period and the owner's "this was not me" links, and retention with legal holds; and the
evidence analysis columns (api.md "Evidence analysis").

Revision ID: 5e6f7a8b9c05
Revises: 4d5e6f7a8b04
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "5e6f7a8b9c05"
down_revision = "4d5e6f7a8b04"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "account_records",
        sa.Column("account_key", sa.String(200), primary_key=True),
        sa.Column("account_name", sa.String(200), nullable=False),
        sa.Column("customer_type", sa.String(20)),
        sa.Column("real_name_auth", sa.String(20)),
        sa.Column("account_type", sa.String(20)),
        sa.Column("card_added", sa.Boolean()),
        sa.Column("payments_made", sa.Boolean()),
        sa.Column("enterprise_in_china", sa.Boolean()),
        sa.Column("email", sa.String(254)),
        sa.Column("mobile", sa.String(40)),
        sa.Column("card_last4", sa.String(4)),
        sa.Column("updated_at", TS, nullable=False),
    )
    with op.batch_alter_table("tickets") as batch:
        # "awaiting_second_approval" is 24 characters.
        batch.alter_column(
            "status", existing_type=sa.String(20), type_=sa.String(30), existing_nullable=False
        )
        batch.add_column(sa.Column("record", sa.JSON()))
        batch.add_column(sa.Column("record_status", sa.String(12)))
        batch.add_column(sa.Column("record_differences", sa.JSON()))
        batch.add_column(sa.Column("record_checked_at", TS))
        batch.add_column(sa.Column("contact_key", sa.String(254)))
        batch.add_column(sa.Column("first_approved_by_id", sa.Integer()))
        batch.add_column(sa.Column("first_approved_at", TS))
        batch.add_column(sa.Column("first_approval_note", sa.Text()))
        batch.add_column(sa.Column("second_approved_by_id", sa.Integer()))
        batch.add_column(sa.Column("second_approved_at", TS))
        batch.add_column(sa.Column("second_approval_note", sa.Text()))
        batch.add_column(sa.Column("effective_at", TS))
        batch.add_column(sa.Column("disputed_at", TS))
        batch.add_column(sa.Column("legal_hold_reason", sa.Text()))
        batch.add_column(sa.Column("legal_hold_at", TS))
        batch.add_column(sa.Column("legal_hold_by_id", sa.Integer()))
        batch.add_column(sa.Column("purged_at", TS))
        batch.create_foreign_key(
            "fk_tickets_first_approved_by", "reviewers", ["first_approved_by_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_tickets_second_approved_by", "reviewers", ["second_approved_by_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_tickets_legal_hold_by", "reviewers", ["legal_hold_by_id"], ["id"]
        )
        batch.create_index("ix_tickets_record_status", ["record_status"])
        batch.create_index("ix_tickets_contact_key", ["contact_key"])
        batch.create_index("ix_tickets_effective_at", ["effective_at"])
    # Existing tickets: the contact key velocity counts by (lower-cased; NFKC applies to
    # new tickets, whose addresses the intake already normalises).
    op.execute("UPDATE tickets SET contact_key = lower(contact_email)")
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("purged_at", TS))
        # api.md "Evidence analysis" (issue 13).
        batch.add_column(sa.Column("analysis", sa.String(10)))
        batch.add_column(sa.Column("findings", sa.JSON()))
        batch.add_column(sa.Column("extracted", sa.JSON()))
        batch.add_column(sa.Column("phash", sa.String(16)))
        batch.add_column(sa.Column("analysed_at", TS))
        batch.create_index("ix_evidence_phash", ["phash"])
    op.create_table(
        "dispute_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.String(32),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "notification_id",
            sa.Integer(),
            sa.ForeignKey("notifications.id", ondelete="SET NULL"),
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_index("ix_dispute_links_ticket_id", "dispute_links", ["ticket_id"])
    # The windows the lead's dashboard and /metrics count over (issue 13), and the purge.
    op.create_index("ix_events_action_at", "events", ["action", "at"])
    op.create_index("ix_tickets_decided_at", "tickets", ["decided_at"])
    op.create_index("ix_evidence_reviewed_at", "evidence", ["reviewed_at"])
    op.create_index("ix_evidence_analysed_at", "evidence", ["analysed_at"])
    op.create_index("ix_notifications_sent_at", "notifications", ["sent_at"])


def downgrade():
    op.drop_index("ix_notifications_sent_at", table_name="notifications")
    op.drop_index("ix_evidence_analysed_at", table_name="evidence")
    op.drop_index("ix_evidence_reviewed_at", table_name="evidence")
    op.drop_index("ix_tickets_decided_at", table_name="tickets")
    op.drop_index("ix_events_action_at", table_name="events")
    op.drop_index("ix_dispute_links_ticket_id", table_name="dispute_links")
    op.drop_table("dispute_links")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_index("ix_evidence_phash")
        for name in ("analysed_at", "phash", "extracted", "findings", "analysis", "purged_at"):
            batch.drop_column(name)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_effective_at")
        batch.drop_index("ix_tickets_contact_key")
        batch.drop_index("ix_tickets_record_status")
        batch.drop_constraint("fk_tickets_legal_hold_by", type_="foreignkey")
        batch.drop_constraint("fk_tickets_second_approved_by", type_="foreignkey")
        batch.drop_constraint("fk_tickets_first_approved_by", type_="foreignkey")
        for name in (
            "purged_at",
            "legal_hold_by_id",
            "legal_hold_at",
            "legal_hold_reason",
            "disputed_at",
            "effective_at",
            "second_approval_note",
            "second_approved_at",
            "second_approved_by_id",
            "first_approval_note",
            "first_approved_at",
            "first_approved_by_id",
            "contact_key",
            "record_checked_at",
            "record_differences",
            "record_status",
            "record",
        ):
            batch.drop_column(name)
        batch.alter_column(
            "status", existing_type=sa.String(30), type_=sa.String(20), existing_nullable=False
        )
    op.drop_table("account_records")

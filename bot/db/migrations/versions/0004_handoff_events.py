"""The handoff lifecycle's audit trail, when the customer was last seen, and an index for agent load.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("transition", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoff_events_handoff", "handoff_events", ["handoff_id"])
    op.create_index("ix_handoffs_agent_status", "handoffs", ["agent_id", "status"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("customer_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("customer_seen_at")
    op.drop_index("ix_handoffs_agent_status", "handoffs")
    op.drop_index("ix_handoff_events_handoff", "handoff_events")
    op.drop_table("handoff_events")

"""Handoffs (queued conversations with their context) and agents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("senior", sa.Boolean, nullable=False),
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("sla_seconds", sa.Integer, nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("routing", sa.JSON, nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("wrap_up", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_handoffs_status_queue", "handoffs", ["status", "queue"])
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_conversation_id", table_name="handoffs")
    op.drop_index("ix_handoffs_status_queue", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_table("agents")
